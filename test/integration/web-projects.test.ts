/**
 * The Projects pages and the Me page, inside workerd with real D1, signed in through the stand-in authority:
 * forms checked with the admin API's schemas (the error next to its field, nothing written), confirmations for
 * destructive actions, and who may read and change what (member reads, admin manages, another organization 404).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import type { SignInAuthority } from "../support/sign-in-authority";
import { newTeamsWorld, TENANT } from "../support/teams";
import { Browser, csrfIn, startSignInAuthority } from "../support/web-browser";
import { errorEvent, postStore, sentryAuth } from "./sentry-helpers";

let ms: MicrosoftStandIn;
let authority: SignInAuthority;

beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  authority = await startSignInAuthority(ms);
});
afterEach(() => ms.stop());

/** An organization with an active installation in this test's tenant (so its people can sign in by email). */
async function connectedOrg(tenant = TENANT) {
  const s = await seedOrg();
  const now = Date.now();
  const row = await env.DB.prepare(
    `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
     values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?) returning id`,
  )
    .bind(tenant, `19:web-${now}-${s.org.id}@thread.tacv2`, ms.serviceUrl, s.org.id, now, now)
    .first<{ id: number }>();
  return { ...s, integrationId: row!.id };
}

async function signedIn(s: SeededOrg, who: "admin" | "member", tenant = TENANT) {
  const b = new Browser();
  const res = await b.signIn(authority, { tenantId: tenant, objectId: `oid-${who}-${s.org.id}`, email: s[who].email, name: who });
  expect(res.status).toBe(302);
  return b;
}

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;
}

describe("projects pages", () => {
  it("an admin creates a project; a bad slug or a taken one shows the error next to the field and writes nothing", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const list = `/organizations/${s.org.slug}/projects/`;
    const page = await b.fetch(list);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(s.project.name);
    const csrf = csrfIn(html);
    const before = await count("select count(*) as n from projects");

    const bad = await b.post(list, { csrf, slug: "Not A Slug!", name: "Web" });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toMatch(/id="project-slug"[^>]*aria-invalid="true"/);
    expect(badHtml).toContain('id="project-slug-error"');
    expect(badHtml).toContain("must be lower-case letters, digits and inner dashes");
    expect(badHtml).toContain('value="Web"'); // what was typed stays
    const badPrefix = await b.post(list, { csrf, slug: "web", shortIdPrefix: "no-dashes" });
    expect(badPrefix.status).toBe(400);
    expect(await badPrefix.text()).toContain('id="project-prefix-error"');
    const taken = await b.post(list, { csrf, slug: s.project.slug });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain(`already has a project &#39;${s.project.slug}&#39;`);
    expect(await count("select count(*) as n from projects")).toBe(before);

    const ok = await b.post(list, { csrf, slug: "web-shop", name: "Web shop" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/organizations/${s.org.slug}/projects/web-shop/?done=created`);
    const project = await env.DB.prepare("select id, short_id_prefix as p from projects where organization_id = ? and slug = 'web-shop'").bind(s.org.id).first<{ id: number; p: string }>();
    expect(project!.p).toBe("WEBSHOP");
    const key = await env.DB.prepare("select public_key as k from project_keys where project_id = ?").bind(project!.id).first<{ k: string }>();
    const shown = await (await b.fetch(ok.headers.get("location")!)).text();
    const dsn = `https://${key!.k}@alerts.test/${project!.id}`;
    expect(shown).toContain("Project created.");
    expect(shown).toContain(`<pre class="copy" id="dsn">${dsn}</pre>`);
    // The SDK snippets carry the real DSN.
    expect(shown).toContain(`Sentry.init({ dsn: &quot;${dsn}&quot;`);
    expect(shown).toContain(`sentry_sdk.init(dsn=&quot;${dsn}&quot;)`);
    expect(shown).toContain("@sentry/browser");
  });

  it("keys: add one; rotate and revoke only when confirmed (unconfirmed writes nothing); the ingest refuses a revoked DSN", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/projects/${s.project.slug}/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    const keys = () => env.DB.prepare("select id, label, revoked_at as r from project_keys where project_id = ? order by id").bind(s.project.id).all<{ id: number; label: string; r: number | null }>().then((x) => x.results);

    const tooLong = await b.post(`${path}keys`, { csrf, action: "add", label: "x".repeat(101) });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('id="key-label-error"');
    expect(await keys()).toHaveLength(1);
    expect((await b.post(`${path}keys`, { csrf, action: "add", label: "second" })).status).toBe(303);
    expect((await keys()).map((k) => [k.label, k.r])).toEqual([["default", null], ["second", null]]);

    const unconfirmed = await b.post(`${path}keys`, { csrf, action: "rotate", label: "rotated" });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain("tick this to confirm: the other keys stop working");
    expect(await keys()).toHaveLength(2);
    const rotated = await b.post(`${path}keys`, { csrf, action: "rotate", label: "rotated", confirm: "on" });
    expect(rotated.status).toBe(303);
    const after = await keys();
    expect(after.map((k) => [k.label, k.r === null])).toEqual([["default", false], ["second", false], ["rotated", true]]);
    // The seeded key is refused by the ingest now; the new one is accepted.
    const newKey = (await env.DB.prepare("select public_key as k from project_keys where id = ?").bind(after[2].id).first<{ k: string }>())!.k;
    expect((await postStore(s.project.id, JSON.stringify(errorEvent()), sentryAuth(s.ingestKey))).status).toBe(401);
    expect((await postStore(s.project.id, JSON.stringify(errorEvent()), sentryAuth(newKey))).status).toBe(200);

    const live = after[2];
    const noConfirm = await b.post(`${path}keys/${live.id}/revoke`, { csrf });
    expect(noConfirm.status).toBe(400);
    expect(await noConfirm.text()).toContain(`id="confirm-revoke-${live.id}-error"`);
    expect((await keys())[2].r).toBeNull();
    expect((await b.post(`${path}keys/${live.id}/revoke`, { csrf, confirm: "on" })).status).toBe(303);
    expect((await keys())[2].r).toBeGreaterThan(0);
    const page = await (await b.fetch(path)).text();
    expect(page).toContain("Every key of this project is revoked");
  });

  it("releases: a reserved or duplicate version is refused next to the field; a good one is listed", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/projects/${s.project.slug}/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    const reserved = await b.post(`${path}releases`, { csrf, version: "latest" });
    expect(reserved.status).toBe(400);
    const html = await reserved.text();
    expect(html).toContain('id="release-version-error"');
    expect(html).toContain("is a reserved name");
    expect(await count("select count(*) as n from releases where project_id = ?", s.project.id)).toBe(0);
    expect((await b.post(`${path}releases`, { csrf, version: "api@1.4.2" })).status).toBe(303);
    expect((await b.post(`${path}releases`, { csrf, version: "api@1.4.2" })).status).toBe(409);
    expect(await count("select count(*) as n from releases where project_id = ?", s.project.id)).toBe(1);
    expect(await (await b.fetch(path)).text()).toContain("api@1.4.2");
  });

  it("a member reads projects and DSNs but cannot change them (403, nothing written); another organization's admin gets 404", async () => {
    const s = await connectedOrg();
    const member = await signedIn(s, "member");
    const list = `/organizations/${s.org.slug}/projects/`;
    const path = `${list}${s.project.slug}/`;
    const listHtml = await (await member.fetch(list)).text();
    expect(listHtml).not.toContain("Create project");
    const page = await member.fetch(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(s.ingestKey);
    expect(html).not.toContain("Rotate keys");
    const csrf = csrfIn(html);
    const keyId = (await env.DB.prepare("select id from project_keys where project_id = ?").bind(s.project.id).first<{ id: number }>())!.id;
    for (const [url, fields] of [
      [list, { slug: "sneaky" }],
      [`${path}keys`, { action: "rotate", confirm: "on" }],
      [`${path}keys/${keyId}/revoke`, { confirm: "on" }],
      [`${path}releases`, { version: "1.0" }],
    ] as const) {
      const res = await member.post(url, { csrf, ...fields });
      expect(res.status, url).toBe(403);
      expect(await res.text()).toContain("Admins only");
    }
    expect(await count("select count(*) as n from projects where organization_id = ?", s.org.id)).toBe(1);
    expect(await count("select count(*) as n from project_keys where project_id = ? and revoked_at is null", s.project.id)).toBe(1);
    expect(await count("select count(*) as n from releases where project_id = ?", s.project.id)).toBe(0);

    const other = await connectedOrg(crypto.randomUUID());
    const stranger = new Browser();
    expect((await stranger.signIn(authority, { tenantId: (await env.DB.prepare("select tenant_id as t from integrations where id = ?").bind(other.integrationId).first<{ t: string }>())!.t, objectId: "stranger", email: other.admin.email })).status).toBe(302);
    const strangerCsrf = csrfIn(await (await stranger.fetch(`/organizations/${other.org.slug}/projects/`)).text());
    for (const url of [list, path]) expect((await stranger.fetch(url)).status, url).toBe(404);
    expect((await stranger.post(`${path}keys`, { csrf: strangerCsrf, action: "rotate", confirm: "on" })).status).toBe(404);
    expect((await stranger.post(list, { csrf: strangerCsrf, slug: "sneaky" })).status).toBe(404);
    // A key of another project cannot be revoked through this project's URL.
    const admin = await signedIn(s, "admin");
    const adminCsrf = csrfIn(await (await admin.fetch(path)).text());
    const otherKey = (await env.DB.prepare("select id from project_keys where project_id = ?").bind(other.project.id).first<{ id: number }>())!.id;
    expect((await admin.post(`${path}keys/${otherKey}/revoke`, { csrf: adminCsrf, confirm: "on" })).status).toBe(404);
    expect(await count("select count(*) as n from project_keys where id = ? and revoked_at is null", otherKey)).toBe(1);
    // A form without the session's token, or from another site, is refused.
    expect((await admin.post(`${path}releases`, { csrf: "0".repeat(64), version: "2.0" })).status).toBe(403);
    expect((await admin.post(`${path}releases`, { csrf: adminCsrf, version: "2.0" }, "https://evil.test")).status).toBe(403);
    expect(await count("select count(*) as n from releases where project_id = ?", s.project.id)).toBe(0);
  });
});

describe("following a project", () => {
  it("a member follows a project from its page (as the chat's subscribe) and stops from Me; another organization's project is 404", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "member");
    const path = `/organizations/${s.org.slug}/projects/${s.project.slug}/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    expect((await b.post(`${path}follow`, { csrf, follow: "on" })).status).toBe(303);
    expect(await count("select count(*) as n from project_follows where user_id = ? and project_id = ?", s.member.id, s.project.id)).toBe(1);
    expect(await (await b.fetch(path)).text()).toContain("Stop following");
    const me = await (await b.fetch("/me/")).text();
    expect(me).toContain(`${s.project.name} (${s.project.slug})`);
    expect((await b.post("/me/unfollow", { csrf, projectId: String(s.project.id) })).status).toBe(303);
    expect(await count("select count(*) as n from project_follows where user_id = ?", s.member.id)).toBe(0);
    const other = await connectedOrg(crypto.randomUUID());
    expect((await b.post(`/organizations/${other.org.slug}/projects/${other.project.slug}/follow`, { csrf, follow: "on" })).status).toBe(404);
    expect(await count("select count(*) as n from project_follows where user_id = ?", s.member.id)).toBe(0);
  });
});

describe("me page", () => {
  it("saves the notification toggles the chat's notifications card shows, and unlinks my Teams account only when confirmed", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "member");
    const now = Date.now();
    const link = await env.DB.prepare(
      "insert into identities (integration_id, tenant_id, teams_user_id, aad_object_id, user_id, linked_at) values (?, ?, ?, ?, ?, ?) returning id",
    )
      .bind(s.integrationId, TENANT, `29:member-${s.org.id}`, "aad", s.member.id, now)
      .first<{ id: number }>();
    const adminLink = await env.DB.prepare(
      "insert into identities (integration_id, tenant_id, teams_user_id, aad_object_id, user_id, linked_at) values (?, ?, ?, ?, ?, ?) returning id",
    )
      .bind(s.integrationId, TENANT, `29:admin-${s.org.id}`, "aad2", s.admin.id, now)
      .first<{ id: number }>();
    const page = await b.fetch("/me/");
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of ["Issues assigned to me (by someone else)", "Issues I resolved that regress", "New issues in projects I follow", "Team Platform", "/settings/tokens/"]) {
      expect(html).toContain(text);
    }
    const csrf = csrfIn(html);
    // Only "regress" ticked: the other two go off.
    expect((await b.post("/me/notifications", { csrf, notifyResolvedRegressed: "on" })).status).toBe(303);
    expect(await env.DB.prepare("select notify_on_assign as a from users where id = ?").bind(s.member.id).first()).toEqual({ a: 0 });
    expect(await env.DB.prepare("select resolved_regressed as r, followed_new as f from notification_settings where user_id = ?").bind(s.member.id).first()).toEqual({ r: 1, f: 0 });
    expect(await (await b.fetch("/me/?done=saved")).text()).toMatch(/id="notifyResolvedRegressed" name="notifyResolvedRegressed" value="on" checked/);

    expect((await b.post(`/me/links/${link!.id}/unlink`, { csrf })).status).toBe(400);
    expect(await count("select count(*) as n from identities where id = ?", link!.id)).toBe(1);
    // Someone else's link is not mine to remove.
    expect((await b.post(`/me/links/${adminLink!.id}/unlink`, { csrf, confirm: "on" })).status).toBe(404);
    expect(await count("select count(*) as n from identities where id = ?", adminLink!.id)).toBe(1);
    expect((await b.post(`/me/links/${link!.id}/unlink`, { csrf, confirm: "on" })).status).toBe(303);
    expect(await count("select count(*) as n from identities where id = ?", link!.id)).toBe(0);
    // Signed out: sign in and back.
    const anonymous = await new Browser().fetch("/me/");
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toBe("/auth/sign-in?returnTo=%2Fme%2F");
  });
});

describe("public pages", () => {
  it("about, privacy and terms (the Teams package's links) are served signed out, styled under the CSP, and linked from every page", async () => {
    for (const [path, text] of [
      ["/about", "Sign in with Microsoft"],
      ["/privacy", "What is stored about people"],
      ["/terms", "Terms of use"],
    ] as const) {
      const res = await new Browser().fetch(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain(text);
      expect(html).toContain('<a href="/privacy">Privacy</a>');
    }
    const landing = await (await new Browser().fetch("/")).text();
    expect(landing).toContain('href="/about"');
    expect(landing).toContain('href="/auth/sign-in"');
  });
});
