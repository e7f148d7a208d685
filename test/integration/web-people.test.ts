/**
 * The People page inside workerd with real D1, signed in through the stand-in authority: invitations by email that
 * become memberships on the person's first sign-in (only from a tenant where the organization is connected, never
 * taking over an existing user), roles and removal (never the last admin), teams and their members under the admin
 * API's rules, validation next to the field with nothing written, and who may read and change what.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import type { SignInAuthority } from "../support/sign-in-authority";
import { newTeamsWorld, TENANT } from "../support/teams";
import { Browser, csrfIn, startSignInAuthority } from "../support/web-browser";

let ms: MicrosoftStandIn;
let authority: SignInAuthority;

beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  authority = await startSignInAuthority(ms);
});
afterEach(() => ms.stop());

async function connect(orgId: number, tenant: string) {
  const now = Date.now();
  await env.DB.prepare(
    `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
     values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?)`,
  )
    .bind(tenant, `19:people-${crypto.randomUUID()}@thread.tacv2`, ms.serviceUrl, orgId, now, now)
    .run();
}

async function connectedOrg(tenant = TENANT) {
  const s = await seedOrg();
  await connect(s.org.id, tenant);
  return s;
}

async function signedIn(s: SeededOrg, who: "admin" | "member", tenant = TENANT) {
  const b = new Browser();
  expect((await b.signIn(authority, { tenantId: tenant, objectId: `oid-${who}-${s.org.id}`, email: s[who].email, name: who })).status).toBe(302);
  return b;
}

const one = async <T,>(sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds).first<T>();
const count = async (sql: string, ...binds: unknown[]) => (await one<{ n: number }>(sql, ...binds))!.n;

describe("invitations", () => {
  it("an admin invites an address (bad ones refused next to the field); the person becomes an admin on first sign-in from the connected tenant", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/people/`;
    const html = await (await b.fetch(path)).text();
    const csrf = csrfIn(html);
    const bad = await b.post(`${path}invitations`, { csrf, email: "not-an-email", role: "admin" });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="invite-email-error"');
    expect(badHtml).toMatch(/id="invite-email"[^>]*aria-invalid="true"/);
    const badRole = await b.post(`${path}invitations`, { csrf, email: "new@example.com", role: "owner" });
    expect(badRole.status).toBe(400);
    expect(await badRole.text()).toContain('id="invite-role-error"');
    const member = await b.post(`${path}invitations`, { csrf, email: s.member.email.toUpperCase(), role: "member" });
    expect(member.status).toBe(409);
    expect(await count("select count(*) as n from invitations where organization_id = ?", s.org.id)).toBe(0);

    const email = `Grace.${s.org.id}@Example.com`;
    expect((await b.post(`${path}invitations`, { csrf, email, role: "admin" })).status).toBe(303);
    const listed = await (await b.fetch(`${path}?done=invited`)).text();
    expect(listed).toContain(email.toLowerCase());
    expect(listed).toContain("Pending until");

    // From a tenant where the organization is not connected: nobody, nothing created, the invitation stays.
    const elsewhere = new Browser();
    const refused = await elsewhere.signIn(authority, { tenantId: crypto.randomUUID(), objectId: "grace-elsewhere", email, name: "Grace" });
    expect(refused.status).toBe(403);
    expect(await count("select count(*) as n from users where email = ?", email.toLowerCase())).toBe(0);

    const grace = new Browser();
    const ok = await grace.signIn(authority, { tenantId: TENANT, objectId: "grace", email, name: "Grace" }, path);
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe(path);
    const user = await one<{ id: number }>("select id from users where email = ?", email.toLowerCase());
    expect(await one("select role from memberships where organization_id = ? and user_id = ?", s.org.id, user!.id)).toEqual({ role: "admin" });
    expect(await count("select count(*) as n from invitations where organization_id = ?", s.org.id)).toBe(0);
    // An admin now: the People page has the forms.
    expect(await (await grace.fetch(path)).text()).toContain("Invite someone");
  });

  it("an invitation never lets a sign-in take over an existing user, and an expired or withdrawn one does nothing", async () => {
    const a = await connectedOrg();
    // Someone with an account in another organization, connected to another tenant.
    const b = await connectedOrg(crypto.randomUUID());
    const adminA = await signedIn(a, "admin");
    const path = `/organizations/${a.org.slug}/people/`;
    const csrf = csrfIn(await (await adminA.fetch(path)).text());
    expect((await adminA.post(`${path}invitations`, { csrf, email: b.admin.email, role: "member" })).status).toBe(303);
    // A's tenant claims b.admin's address: not tied to b.admin, nothing joined.
    const claim = new Browser();
    expect((await claim.signIn(authority, { tenantId: TENANT, objectId: "impostor", email: b.admin.email })).status).toBe(403);
    expect(await count("select count(*) as n from sign_in_identities where object_id = 'impostor'")).toBe(0);
    expect(await count("select count(*) as n from memberships where organization_id = ? and user_id = ?", a.org.id, b.admin.id)).toBe(0);

    const expired = `late-${a.org.id}@example.com`;
    expect((await adminA.post(`${path}invitations`, { csrf, email: expired, role: "member" })).status).toBe(303);
    await env.DB.prepare("update invitations set expires_at = ? where email = ?").bind(Date.now() - 1, expired).run();
    expect(await (await adminA.fetch(path)).text()).toContain("Expired");
    expect((await new Browser().signIn(authority, { tenantId: TENANT, objectId: "late", email: expired })).status).toBe(403);
    expect(await count("select count(*) as n from users where email = ?", expired)).toBe(0);

    const withdrawn = `gone-${a.org.id}@example.com`;
    expect((await adminA.post(`${path}invitations`, { csrf, email: withdrawn, role: "member" })).status).toBe(303);
    const id = (await one<{ id: number }>("select id from invitations where email = ?", withdrawn))!.id;
    expect((await adminA.post(`${path}invitations/${id}/revoke`, { csrf })).status).toBe(303);
    expect((await new Browser().signIn(authority, { tenantId: TENANT, objectId: "gone", email: withdrawn })).status).toBe(403);
  });
});

describe("invitations for people who already have an account", () => {
  it("a known user invited to a second organization connected to their tenant joins it on their next sign-in", async () => {
    const home = await connectedOrg();
    const other = await connectedOrg(); // also connected to TENANT
    // The member signs in once (their identity is now known), then the other organization invites them.
    await signedIn(home, "member");
    const adminB = await signedIn(other, "admin");
    const path = `/organizations/${other.org.slug}/people/`;
    const csrf = csrfIn(await (await adminB.fetch(path)).text());
    expect((await adminB.post(`${path}invitations`, { csrf, email: home.member.email, role: "member" })).status).toBe(303);
    expect(await count("select count(*) as n from memberships where organization_id = ? and user_id = ?", other.org.id, home.member.id)).toBe(0);
    const again = await signedIn(home, "member");
    expect(await one("select role from memberships where organization_id = ? and user_id = ?", other.org.id, home.member.id)).toEqual({ role: "member" });
    expect(await count("select count(*) as n from invitations where organization_id = ?", other.org.id)).toBe(0);
    expect((await again.fetch(path)).status).toBe(200);
  });
});

describe("members and teams", () => {
  it("an admin changes roles and removes members (confirmed), but never the last admin", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/people/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    const badRole = await b.post(`${path}members/${s.member.id}/role`, { csrf, role: "owner" });
    expect(badRole.status).toBe(400);
    expect(await badRole.text()).toContain(`id="role-${s.member.id}-error"`);
    const lastAdmin = await b.post(`${path}members/${s.admin.id}/role`, { csrf, role: "member" });
    expect(lastAdmin.status).toBe(409);
    expect(await lastAdmin.text()).toContain("make someone else an admin first");
    expect((await b.post(`${path}members/${s.admin.id}/remove`, { csrf, confirm: "on" })).status).toBe(409);
    expect(await one("select role from memberships where organization_id = ? and user_id = ?", s.org.id, s.admin.id)).toEqual({ role: "admin" });

    expect((await b.post(`${path}members/${s.member.id}/role`, { csrf, role: "admin" })).status).toBe(303);
    expect(await one("select role from memberships where organization_id = ? and user_id = ?", s.org.id, s.member.id)).toEqual({ role: "admin" });
    expect((await b.post(`${path}members/${s.member.id}/remove`, { csrf })).status).toBe(400);
    expect(await count("select count(*) as n from memberships where organization_id = ? and user_id = ?", s.org.id, s.member.id)).toBe(1);
    expect((await b.post(`${path}members/${s.member.id}/remove`, { csrf, confirm: "on" })).status).toBe(303);
    expect(await count("select count(*) as n from memberships where organization_id = ? and user_id = ?", s.org.id, s.member.id)).toBe(0);
    // Removing a member also took them out of the organization's teams (the same storage function as the API).
    expect(await count("select count(*) as n from org_team_members where team_id = ? and user_id = ?", s.team.id, s.member.id)).toBe(0);
    expect((await b.post(`${path}members/${s.outsider.id}/remove`, { csrf, confirm: "on" })).status).toBe(404);
  });

  it("teams: create (slug checked, taken refused), add only organization members, remove when confirmed", async () => {
    const s = await connectedOrg();
    const b = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/people/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    const bad = await b.post(`${path}teams`, { csrf, slug: "Front End", name: "Frontend" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('id="team-slug-error"');
    expect((await b.post(`${path}teams`, { csrf, slug: s.team.slug })).status).toBe(409);
    expect(await count("select count(*) as n from org_teams where organization_id = ?", s.org.id)).toBe(1);
    expect((await b.post(`${path}teams`, { csrf, slug: "frontend", name: "Frontend" })).status).toBe(303);
    const team = (await one<{ id: number }>("select id from org_teams where organization_id = ? and slug = 'frontend'", s.org.id))!;

    const outsider = await b.post(`${path}teams/${team.id}/members`, { csrf, userId: String(s.outsider.id) });
    expect(outsider.status).toBe(400);
    expect(await outsider.text()).toContain("not a member of this organization; add them to it first");
    expect((await b.post(`${path}teams/${team.id}/members`, { csrf, userId: "abc" })).status).toBe(400);
    expect(await count("select count(*) as n from org_team_members where team_id = ?", team.id)).toBe(0);
    expect((await b.post(`${path}teams/${team.id}/members`, { csrf, userId: String(s.member.id) })).status).toBe(303);
    expect((await b.post(`${path}teams/${team.id}/members`, { csrf, userId: String(s.member.id) })).status).toBe(409);
    const page = await (await b.fetch(path)).text();
    expect(page).toContain("#frontend");
    expect((await b.post(`${path}teams/${team.id}/members/${s.member.id}/remove`, { csrf })).status).toBe(400);
    expect(await count("select count(*) as n from org_team_members where team_id = ?", team.id)).toBe(1);
    expect((await b.post(`${path}teams/${team.id}/members/${s.member.id}/remove`, { csrf, confirm: "on" })).status).toBe(303);
    expect(await count("select count(*) as n from org_team_members where team_id = ?", team.id)).toBe(0);
  });

  it("a member reads the page without forms and cannot change anything (403); another organization's admin gets 404", async () => {
    const s = await connectedOrg();
    const path = `/organizations/${s.org.slug}/people/`;
    const member = await signedIn(s, "member");
    const page = await member.fetch(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(s.admin.email);
    expect(html).toContain("Backend");
    expect(html).not.toContain("Invite someone");
    const csrf = csrfIn(html);
    for (const [url, fields] of [
      [`${path}invitations`, { email: "x@example.com", role: "admin" }],
      [`${path}members/${s.member.id}/role`, { role: "admin" }],
      [`${path}members/${s.admin.id}/remove`, { confirm: "on" }],
      [`${path}teams`, { slug: "mine" }],
      [`${path}teams/${s.team.id}/members/${s.member.id}/remove`, { confirm: "on" }],
    ] as const) {
      const res = await member.post(url, { csrf, ...fields });
      expect(res.status, url).toBe(403);
    }
    expect(await count("select count(*) as n from invitations where organization_id = ?", s.org.id)).toBe(0);
    expect(await one("select role from memberships where organization_id = ? and user_id = ?", s.org.id, s.member.id)).toEqual({ role: "member" });
    expect(await count("select count(*) as n from org_teams where organization_id = ?", s.org.id)).toBe(1);
    expect(await count("select count(*) as n from org_team_members where team_id = ?", s.team.id)).toBe(1);

    const otherTenant = crypto.randomUUID();
    const other = await connectedOrg(otherTenant);
    const stranger = await signedIn(other, "admin", otherTenant);
    const strangerCsrf = csrfIn(await (await stranger.fetch(`/organizations/${other.org.slug}/people/`)).text());
    expect((await stranger.fetch(path)).status).toBe(404);
    expect((await stranger.post(`${path}invitations`, { csrf: strangerCsrf, email: "x@example.com", role: "admin" })).status).toBe(404);
    // Nor through their own organization's URL with this organization's team.
    const otherPath = `/organizations/${other.org.slug}/people/`;
    expect((await stranger.post(`${otherPath}teams/${s.team.id}/members/${s.member.id}/remove`, { csrf: strangerCsrf, confirm: "on" })).status).toBe(404);
    expect(await count("select count(*) as n from org_team_members where team_id = ?", s.team.id)).toBe(1);
  });
});
