/**
 * The issue and rule pages and their authorization, inside workerd with real D1: signed in through the stand-in
 * authority, a card posted by a real rule, the card's links opened, actions taken from the page (the posted card
 * is refreshed at the Connector stand-in), and every rule of who may see and do what.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authenticatePersonalToken } from "../../src/auth/personal-tokens";
import { issueUrl, ruleUrl } from "../../src/cards/links";
import { getDb } from "../../src/db/client";
import { admin, ingest, installAndSetUp, settleDeliveries } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import type { SignInAuthority } from "../support/sign-in-authority";
import { ALERTS_CHANNEL, newTeamsWorld, TEAM_ID, TENANT, teamsUser } from "../support/teams";
import { Browser, csrfIn, SITE, startSignInAuthority } from "../support/web-browser";

let ms: MicrosoftStandIn;
let authority: SignInAuthority;

beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  authority = await startSignInAuthority(ms);
  ms.connector.teams.set(TEAM_ID, { details: { id: TEAM_ID, name: "Platform" }, channels: [{ id: TEAM_ID, name: null }, { id: ALERTS_CHANNEL, name: "Alerts" }] });
  ms.connector.members.set(TEAM_ID, []);
});
afterEach(async () => {
  await settleDeliveries().catch(() => {});
  ms.stop();
});

/** An organization connected to this test's tenant, with a rule that posts new issues to the Alerts channel. */
async function world() {
  const s = await seedOrg();
  const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", s.admin.email));
  const res = await admin(`/projects/${s.project.id}/rules`, {
    method: "POST",
    body: { name: "New errors", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } },
  });
  expect(res.status).toBe(201);
  const rule = (await res.json()) as { id: number };
  return { s, integrationId, ruleId: rule.id };
}

/** An organization connected to this test's tenant without rules (no cards: for tests that ingest a lot). */
async function quietWorld() {
  const s = await seedOrg();
  const now = Date.now();
  await env.DB.prepare(
    `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
     values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?)`,
  )
    .bind(TENANT, `19:quiet-${now}-${s.org.id}@thread.tacv2`, ms.serviceUrl, s.org.id, now, now)
    .run();
  return { s };
}

async function signedIn(s: SeededOrg, who: "admin" | "member" | "outsider") {
  const b = new Browser();
  const res = await b.signIn(authority, { tenantId: TENANT, objectId: `oid-${who}-${s.org.id}`, email: s[who].email, name: who });
  return { b, res };
}

describe("issue pages", () => {
  it("opens the issue from the card's own link, shows it, resolves it, and the posted card is updated", async () => {
    const { s, ruleId } = await world();
    const { issueId } = await ingest(s, {
      message: "Payment provider timeout",
      release: "1.0.0",
      environment: "production",
      tags: { region: "eu" },
      exception: [{ type: "TimeoutError", value: "upstream took 30s", stacktrace: { frames: [{ filename: "node_modules/lib.js", function: "request", lineno: 10 }, { filename: "src/pay.ts", function: "charge", lineno: 42, in_app: true }] } }],
    });
    await settleDeliveries();
    const posted = ms.connector.sent(ALERTS_CHANNEL);
    expect(posted.length).toBeGreaterThan(0);
    const cardJson = JSON.stringify(posted.at(-1));
    const link = issueUrl(SITE, s.org.slug, issueId);
    expect(cardJson).toContain(link);
    expect(cardJson).toContain(ruleUrl(SITE, s.org.slug, s.project.slug, ruleId));

    // Signed out: the card's link goes to sign-in and back.
    const anonymous = new Browser();
    const bounce = await anonymous.fetch(link);
    expect(bounce.status).toBe(302);
    expect(bounce.headers.get("location")).toBe(`/auth/sign-in?returnTo=${encodeURIComponent(new URL(link).pathname)}`);
    const back = await anonymous.signIn(authority, { tenantId: TENANT, objectId: "oid-m", email: s.member.email }, new URL(link).pathname);
    expect(back.headers.get("location")).toBe(new URL(link).pathname);

    const page = await anonymous.fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    for (const text of ["TimeoutError", "upstream took 30s", "charge", "src/pay.ts:42", "in app", "1.0.0", "production", "region", "eu", "New errors", "Latest event"]) {
      expect(html).toContain(text);
    }

    const updatesBefore = ms.connector.calls.filter((c) => c.method === "PUT").length;
    const res = await anonymous.post(`${new URL(link).pathname}actions`, { csrf: csrfIn(html), action: "resolve", resolve: "resolved" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${new URL(link).pathname}?done=resolve`);
    const after = await (await anonymous.fetch(res.headers.get("location")!)).text();
    expect(after).toContain("Resolved. The issue&#39;s cards in Teams are being updated.");
    expect(after).toMatch(/resolved the issue\s+on the web/);
    await settleDeliveries();
    const updates = ms.connector.calls.filter((c) => c.method === "PUT" && c.status < 300).slice(updatesBefore);
    expect(updates.length).toBeGreaterThan(0);
    expect(JSON.stringify(updates.at(-1)!.body)).toMatch(/Resolved/);
    const row = await env.DB.prepare("select source, actor_user_id from issue_activity where issue_id = ? order by id desc limit 1").bind(issueId).first();
    expect(row).toEqual({ source: "web", actor_user_id: s.member.id });
  });

  it("says so when an action does not apply (already resolved: 409), and refuses a form without the session's CSRF token", async () => {
    const { s } = await world();
    const { issueId } = await ingest(s);
    const { b } = await signedIn(s, "member");
    const path = `/organizations/${s.org.slug}/issues/${issueId}/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    expect((await b.post(`${path}actions`, { csrf, action: "resolve", resolve: "resolved" })).status).toBe(303);
    const again = await b.post(`${path}actions`, { csrf, action: "resolve", resolve: "resolved" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already resolved");
    const forged = await b.post(`${path}actions`, { csrf: "f".repeat(64), action: "unresolve" });
    expect(forged.status).toBe(403);
    const crossSite = await b.post(`${path}actions`, { csrf, action: "unresolve" }, "https://evil.test");
    expect(crossSite.status).toBe(403);
    const status = await env.DB.prepare("select status from issues where id = ?").bind(issueId).first();
    expect(status).toEqual({ status: "resolved" });
    const bad = await b.post(`${path}actions`, { csrf, action: "ignore", ignore: "forever-and-ever" });
    expect(bad.status).toBe(400);
  });

  it("assigns to a member or team of the organization only", async () => {
    const { s } = await world();
    const other = await seedOrg();
    const { issueId } = await ingest(s);
    const { b } = await signedIn(s, "admin");
    const path = `/organizations/${s.org.slug}/issues/${issueId}/`;
    const csrf = csrfIn(await (await b.fetch(path)).text());
    expect((await b.post(`${path}actions`, { csrf, action: "assign", assignee: `user:${other.member.id}` })).status).toBe(400);
    expect((await b.post(`${path}actions`, { csrf, action: "assign", assignee: `team:${other.team.id}` })).status).toBe(400);
    expect((await b.post(`${path}actions`, { csrf, action: "assign", assignee: `team:${s.team.id}` })).status).toBe(303);
    expect(await env.DB.prepare("select team_id from issue_assignees where issue_id = ?").bind(issueId).first()).toEqual({ team_id: s.team.id });
    expect((await b.post(`${path}actions`, { csrf, action: "assign", assignee: "me" })).status).toBe(303);
    expect(await env.DB.prepare("select user_id from issue_assignees where issue_id = ?").bind(issueId).first()).toEqual({ user_id: s.admin.id });
    const mine = await (await b.fetch(`/organizations/${s.org.slug}/issues/?assignee=me`)).text();
    expect(mine).toContain(`/issues/${issueId}/`);
    expect((await b.post(`${path}actions`, { csrf, action: "unassign" })).status).toBe(303);
    expect(await env.DB.prepare("select count(*) as n from issue_assignees where issue_id = ?").bind(issueId).first()).toEqual({ n: 0 });
  });

  it("lists issues with filters, text or short id search, sorting, counts and pages", async () => {
    const { s } = await quietWorld();
    const ids: number[] = [];
    for (let i = 0; i < 27; i++) ids.push((await ingest(s, { message: `Distinct failure number ${i}`, fingerprint: [`f-${i}`] })).issueId);
    for (let i = 0; i < 3; i++) await ingest(s, { message: "Distinct failure number 5", fingerprint: ["f-5"] });
    const { b } = await signedIn(s, "member");
    const base = `/organizations/${s.org.slug}/issues/`;
    const first = await (await b.fetch(base)).text();
    expect(first).toContain("Issues 1–25 of 27");
    expect(first).toContain("Next →");
    const second = await (await b.fetch(`${base}?page=2`)).text();
    expect(second).toContain("Issues 26–27 of 27");
    const frequent = await (await b.fetch(`${base}?sort=events`)).text();
    // Most frequent first: the issue seen 4 times leads; by last seen, the newest issue does.
    expect(/<div class="title"><a href="[^"]*\/issues\/(\d+)\/"/.exec(frequent)![1]).toBe(String(ids[5]));
    expect(/<div class="title"><a href="[^"]*\/issues\/(\d+)\/"/.exec(first)![1]).toBe(String(ids[5]));
    const newest = await (await b.fetch(`${base}?sort=first_seen`)).text();
    expect(/<div class="title"><a href="[^"]*\/issues\/(\d+)\/"/.exec(newest)![1]).toBe(String(ids[26]));
    const search = await (await b.fetch(`${base}?query=${encodeURIComponent("number 13")}`)).text();
    expect(search).toContain("Issues 1–1 of 1");
    const shortId = (await env.DB.prepare("select short_id from issues where id = ?").bind(ids[3]).first<{ short_id: string }>())!.short_id;
    const byShort = await (await b.fetch(`${base}?query=${shortId.toLowerCase()}`)).text();
    expect(byShort).toContain(`/issues/${ids[3]}/`);
    expect(await (await b.fetch(`${base}?status=resolved`)).text()).toContain("No issues match.");
    expect(await (await b.fetch(`${base}?project=no-such-project`)).text()).toContain("No issues match.");
  });

  it("walks older and newer events of an issue", async () => {
    const { s } = await world();
    const { issueId } = await ingest(s, { message: "Same thing", fingerprint: ["same"], timestamp: (Date.now() - 3000) / 1000, tags: { n: "one" } });
    await ingest(s, { message: "Same thing", fingerprint: ["same"], timestamp: (Date.now() - 2000) / 1000, tags: { n: "two" } });
    const { b } = await signedIn(s, "member");
    const path = `/organizations/${s.org.slug}/issues/${issueId}/`;
    const latest = await (await b.fetch(path)).text();
    expect(latest).toContain("← Older event");
    const older = /href="([^"]+\?event=[0-9a-f]{32})"/.exec(latest)![1].replace(/&amp;/g, "&");
    const olderPage = await (await b.fetch(older)).text();
    expect(olderPage).toContain("Newer event →");
    expect(olderPage).toContain("Oldest event");
  });
});

describe("authorization", () => {
  it("a member of org A gets 404 (a page) for org B's issue by id, under either slug, and for B's pages", async () => {
    const a = await world();
    const bOrg = await seedOrg();
    const { issueId: bIssue } = await ingest(bOrg);
    const { issueId: aIssue } = await ingest(a.s);
    const { b } = await signedIn(a.s, "member");
    for (const path of [
      `/organizations/${a.s.org.slug}/issues/${bIssue}/`,
      `/organizations/${bOrg.org.slug}/issues/${bIssue}/`,
      `/organizations/${bOrg.org.slug}/issues/${aIssue}/`,
      `/organizations/${bOrg.org.slug}/issues/`,
      `/organizations/${bOrg.org.slug}/settings/`,
      `/organizations/no-such-org/issues/`,
    ]) {
      const res = await b.fetch(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain("There is no such page, or you do not have access to it.");
      expect(html).not.toContain(bOrg.org.name);
    }
    // Nor can they act on it.
    const csrf = csrfIn(await (await b.fetch(`/organizations/${a.s.org.slug}/issues/`)).text());
    const act = await b.post(`/organizations/${a.s.org.slug}/issues/${bIssue}/actions`, { csrf, action: "resolve", resolve: "resolved" });
    expect(act.status).toBe(404);
    expect(await env.DB.prepare("select status from issues where id = ?").bind(bIssue).first()).toEqual({ status: "unresolved" });
  });

  it("a member cannot change organization settings; an admin can", async () => {
    const { s } = await world();
    const member = (await signedIn(s, "member")).b;
    const csrf = csrfIn(await (await member.fetch(`/organizations/${s.org.slug}/issues/`)).text());
    expect((await member.fetch(`/organizations/${s.org.slug}/settings/`)).status).toBe(403);
    const post = await member.post(`/organizations/${s.org.slug}/settings/`, { csrf, tenantMembersMayJoin: "on" });
    expect(post.status).toBe(403);
    expect(await env.DB.prepare("select tenant_members_may_join as j from organizations where id = ?").bind(s.org.id).first()).toEqual({ j: 0 });
    const adminB = (await signedIn(s, "admin")).b;
    const page = await adminB.fetch(`/organizations/${s.org.slug}/settings/`);
    expect(page.status).toBe(200);
    const saved = await adminB.post(`/organizations/${s.org.slug}/settings/`, { csrf: csrfIn(await page.text()), tenantMembersMayJoin: "on" });
    expect(saved.status).toBe(303);
    expect(await env.DB.prepare("select tenant_members_may_join as j from organizations where id = ?").bind(s.org.id).first()).toEqual({ j: 1 });
  });

  it("shows the rule a card was posted by to members, 404 to others and for a rule of another project", async () => {
    const { s, ruleId } = await world();
    await ingest(s);
    await settleDeliveries();
    const path = new URL(ruleUrl(SITE, s.org.slug, s.project.slug, ruleId)).pathname;
    const { b } = await signedIn(s, "member");
    const page = await b.fetch(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of ["Alert rule: New errors", "A new issue is created", "Alerts", "Recent fires", "Recent deliveries", "delivered"]) expect(html).toContain(text);
    expect((await b.fetch(path.replace(s.project.slug, "other-project"))).status).toBe(404);
    // An admin of another organization (signed in from their own connected tenant) gets the same 404.
    const stranger = await seedOrg();
    const strangerTenant = crypto.randomUUID();
    const now = Date.now();
    await env.DB.prepare(
      `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('msteams', ?, ?, 'Other', ?, 'team', 'active', ?, ?, ?)`,
    )
      .bind(strangerTenant, `19:other-${now}@thread.tacv2`, ms.serviceUrl, stranger.org.id, now, now)
      .run();
    const outsider = new Browser();
    expect((await outsider.signIn(authority, { tenantId: strangerTenant, objectId: "stranger", email: stranger.admin.email })).status).toBe(302);
    expect((await outsider.fetch(`/organizations/${stranger.org.slug}/issues/`)).status).toBe(200);
    expect((await outsider.fetch(path)).status).toBe(404);
  });

  it("personal API tokens: created by their owner (shown once, authenticates as them), revoked by the owner only", async () => {
    const { s } = await world();
    const { b } = await signedIn(s, "member");
    const page = await b.fetch("/settings/tokens/");
    const csrf = csrfIn(await page.text());
    const created = await b.post("/settings/tokens/", { csrf, action: "create", name: "ci" });
    expect(created.status).toBe(201);
    const token = /<pre>(tia_[A-Za-z0-9_-]{43})<\/pre>/.exec(await created.text())![1];
    const row = await env.DB.prepare("select id, token_hash from api_tokens where user_id = ? and name = 'ci'").bind(s.member.id).first<{ id: number; token_hash: string }>();
    expect(row!.token_hash).not.toBe(token);
    expect((await authenticatePersonalToken(getDb(env.DB), token))?.id).toBe(s.member.id);
    const listed = await (await b.fetch("/settings/tokens/")).text();
    expect(listed).not.toContain(token);
    // Someone else's token id cannot be revoked by posting it.
    const { b: adminB } = await signedIn(s, "admin");
    const adminCsrf = csrfIn(await (await adminB.fetch("/settings/tokens/")).text());
    expect((await adminB.post("/settings/tokens/", { csrf: adminCsrf, action: "revoke", id: String(row!.id) })).status).toBe(303);
    expect(await env.DB.prepare("select revoked_at from api_tokens where id = ?").bind(row!.id).first()).toEqual({ revoked_at: null });
    expect((await b.post("/settings/tokens/", { csrf, action: "revoke", id: String(row!.id) })).status).toBe(303);
    expect((await env.DB.prepare("select revoked_at from api_tokens where id = ?").bind(row!.id).first<{ revoked_at: number }>())!.revoked_at).toBeGreaterThan(0);
    expect(await authenticatePersonalToken(getDb(env.DB), token)).toBeNull();
  });

  it("a page that does not exist is an HTML 404 for a browser, JSON for an API client", async () => {
    const res = await new Browser().fetch("/no/such/page");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const api = await admin("/no-such-route");
    expect(api.headers.get("content-type")).toMatch(/json/);
  });

  it("the landing page says what this is, links to sign-in, and is styled under the CSP", async () => {
    const res = await new Browser().fetch("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Issue alerts for Microsoft Teams");
    expect(html).toContain('href="/auth/sign-in"');
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    // The inline stylesheet, as the browser reads it, is the one the CSP allows by hash (else pages render unstyled).
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
    expect(csp).toContain(`'sha256-${btoa(String.fromCharCode(...digest))}'`);
  });
});
