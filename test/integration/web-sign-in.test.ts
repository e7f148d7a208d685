/**
 * Sign in with Microsoft, end to end inside workerd: the worker's outbound calls (metadata, keys, token endpoint)
 * reach the stand-in authority; the browser side is driven hop by hop. Covers the happy path, the id_token matrix
 * (each bad token refused with a page, no session), state/replay, who-is-who (email match only from a trusted
 * tenant, tenant join setting, no match creates nothing), sessions and sign-out, and the first-admin claim.
 */
import { env } from "cloudflare:workers";
import { SignJWT, base64url } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import type { SignInAuthority, SignInUser } from "../support/sign-in-authority";
import { Browser, csrfIn, startSignInAuthority } from "../support/web-browser";

let ms: MicrosoftStandIn;
let authority: SignInAuthority;
let s: SeededOrg;
let tenant: string;

const sessionCookie = "__Host-tia_session";

async function connectTenant(org: SeededOrg, tenantId: string) {
  const now = Date.now();
  await env.DB.prepare(
    `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
     values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?)`,
  )
    .bind(tenantId, `19:team-${crypto.randomUUID()}@thread.tacv2`, ms.serviceUrl, org.org.id, now, now)
    .run();
}

async function counts() {
  const row = await env.DB.prepare(
    "select (select count(*) from users) as users, (select count(*) from web_sessions) as sessions, (select count(*) from sign_in_identities) as identities, (select count(*) from memberships) as memberships",
  ).first<Record<string, number>>();
  return row!;
}

function adminUser(): SignInUser {
  return { tenantId: tenant, objectId: `oid-${crypto.randomUUID()}`, email: s.admin.email, name: "Ada Admin" };
}

beforeEach(async () => {
  ms = await startMicrosoftStandIn();
  authority = await startSignInAuthority(ms);
  s = await seedOrg();
  tenant = crypto.randomUUID();
  await connectTenant(s, tenant);
});
afterEach(() => ms.stop());

describe("sign-in flow", () => {
  it("redirects to the authority with PKCE S256, state and nonce, and a short-lived HttpOnly __Host- cookie", async () => {
    const b = new Browser();
    const res = await b.fetch("/auth/sign-in?returnTo=%2Forganizations%2Fx%2Fissues%2F");
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get("location")!);
    expect(url.origin + url.pathname).toBe(authority.authorizeUrl);
    expect(url.searchParams.get("client_id")).toBe(env.MICROSOFT_APP_ID);
    expect(url.searchParams.get("redirect_uri")).toBe("https://alerts.test/auth/microsoft/callback");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toBeTruthy();
    expect(url.searchParams.get("nonce")).toBeTruthy();
    const cookie = (res.headers as Headers & { getSetCookie(): string[] }).getSetCookie().find((c) => c.startsWith("__Host-tia_sign_in="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=600/);
  });

  it("signs in an existing user by email from a connected tenant, then by (tid, oid), and goes back to the page", async () => {
    const b = new Browser();
    const user = adminUser();
    const back = `/organizations/${s.org.slug}/issues/`;
    const res = await b.signIn(authority, user, back);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(back);
    expect(b.cookies.get(sessionCookie)).toMatch(/^[0-9a-f]{64}$/);
    // The token request carried the secret (client_secret_post) and the PKCE verifier.
    expect(authority.tokenRequests.at(-1)).toMatchObject({ grant_type: "authorization_code", client_secret: env.MICROSOFT_APP_PASSWORD });
    expect(authority.tokenRequests.at(-1)!.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await b.fetch(back);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Issues · ${s.org.name}`);
    const row = await env.DB.prepare("select user_id from sign_in_identities where tenant_id = ? and object_id = ?").bind(user.tenantId, user.objectId).first();
    expect(row).toEqual({ user_id: s.admin.id });

    // Later the email changes in the directory: the (tid, oid) still finds the same user.
    const b2 = new Browser();
    const again = await b2.signIn(authority, { ...user, email: "renamed@example.com" });
    expect(again.status).toBe(302);
    expect((await (await b2.fetch(back)).text())).toContain(`Issues · ${s.org.name}`);
  });

  it("keeps the stored session server-side: the cookie holds only a random id, the row its hash, with an expiry", async () => {
    const b = new Browser();
    await b.signIn(authority, adminUser());
    const id = b.cookies.get(sessionCookie)!;
    const rows = await env.DB.prepare("select id_hash, expires_at, created_at from web_sessions where user_id = ?").bind(s.admin.id).all<Record<string, unknown>>();
    expect(rows.results.length).toBeGreaterThan(0);
    expect(rows.results.map((r) => r.id_hash)).not.toContain(id);
    const r = rows.results.at(-1)!;
    expect((r.expires_at as number) - (r.created_at as number)).toBe(12 * 60 * 60 * 1000);
  });

  it("signs out: the session row is gone and the old cookie opens nothing", async () => {
    const b = new Browser();
    await b.signIn(authority, adminUser());
    const oldCookie = b.cookies.get(sessionCookie)!;
    const page = await b.fetch(`/organizations/${s.org.slug}/issues/`);
    const out = await b.post("/auth/sign-out", { csrf: csrfIn(await page.text()) });
    expect(out.status).toBe(303);
    expect(b.cookies.has(sessionCookie)).toBe(false);
    const replay = new Browser();
    replay.cookies.set(sessionCookie, oldCookie);
    const res = await replay.fetch(`/organizations/${s.org.slug}/issues/`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/auth/sign-in?returnTo=${encodeURIComponent(`/organizations/${s.org.slug}/issues/`)}`);
  });

  it("the cron deletes expired session rows, and an expired session opens nothing before that", async () => {
    const b = new Browser();
    await b.signIn(authority, adminUser());
    await env.DB.prepare("update web_sessions set expires_at = ? where user_id = ?").bind(Date.now() - 1000, s.admin.id).run();
    expect((await b.fetch(`/organizations/${s.org.slug}/issues/`)).status).toBe(302);
    const { runScheduled } = await import("../../src/maintenance/scheduled");
    await runScheduled(env, Date.now());
    expect(await env.DB.prepare("select count(*) as n from web_sessions where user_id = ?").bind(s.admin.id).first()).toEqual({ n: 0 });
  });

  it("refuses a sign-out posted without the CSRF token or from another origin", async () => {
    const b = new Browser();
    await b.signIn(authority, adminUser());
    const page = await (await b.fetch(`/organizations/${s.org.slug}/issues/`)).text();
    expect((await b.post("/auth/sign-out", { csrf: "0".repeat(64) })).status).toBe(403);
    expect((await b.post("/auth/sign-out", { csrf: csrfIn(page) }, "https://evil.test")).status).toBe(403);
    expect((await b.fetch(`/organizations/${s.org.slug}/issues/`)).status).toBe(200);
  });

  it("does not redirect anywhere but this site after sign-in (returnTo is a local path only)", async () => {
    for (const evil of ["https://evil.test/", "//evil.test/x", "/\\evil.test"]) {
      const b = new Browser();
      const res = await b.signIn(authority, adminUser(), evil);
      expect(res.headers.get("location")).toBe("/");
    }
  });
});

describe("state, replay and the authority's refusals", () => {
  it("refuses a callback with a wrong state, with a page (400) and no session", async () => {
    const b = new Browser();
    const start = await b.fetch("/auth/sign-in");
    const callback = new URL(await b.authorize(authority, adminUser(), start.headers.get("location")!));
    callback.searchParams.set("state", "not-the-state");
    const res = await b.fetch(callback.href);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toContain("Sign-in not accepted");
    expect(b.cookies.has(sessionCookie)).toBe(false);
  });

  it("refuses a replayed callback (same cookie, same state) even though it was valid once", async () => {
    const b = new Browser();
    const start = await b.fetch("/auth/sign-in");
    const flowCookie = b.cookies.get("__Host-tia_sign_in")!;
    const callback = await b.authorize(authority, adminUser(), start.headers.get("location")!);
    expect((await b.fetch(callback)).status).toBe(302);
    const attacker = new Browser();
    attacker.cookies.set("__Host-tia_sign_in", flowCookie);
    const replay = await attacker.fetch(callback);
    expect(replay.status).toBe(400);
    expect(attacker.cookies.has(sessionCookie)).toBe(false);
  });

  it("refuses a callback without the sign-in cookie (started in another browser)", async () => {
    const b = new Browser();
    const start = await b.fetch("/auth/sign-in");
    const callback = await b.authorize(authority, adminUser(), start.headers.get("location")!);
    const other = new Browser();
    const res = await other.fetch(callback);
    expect(res.status).toBe(400);
    expect(authority.tokenRequests).toHaveLength(0);
  });

  it("shows a page when the person cancels at Microsoft (error=access_denied), 401, no session", async () => {
    const b = new Browser();
    authority.denyNext = true;
    const res = await b.signIn(authority, adminUser());
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain("Not signed in");
    expect(html).not.toContain("AADSTS");
    expect(b.cookies.has(sessionCookie)).toBe(false);
  });

  it("treats a refused code exchange (invalid_grant) as a refused sign-in, not an error", async () => {
    const b = new Browser();
    const start = await b.fetch("/auth/sign-in");
    const callback = await b.authorize(authority, adminUser(), start.headers.get("location")!);
    authority.grants.clear(); // the code expired at the authority
    const res = await b.fetch(callback);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("AADSTS");
  });

  it("answers 502 with a page when the authority is down, and recovers when it is back", async () => {
    ms.stop(); // the guard now answers 599 to everything: Microsoft is unreachable
    const res = await new Browser().fetch("/auth/sign-in");
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("Sign-in unavailable");
    ms.install();
    expect((await new Browser().signIn(authority, adminUser())).status).toBe(302);
  });
});

describe("id_token checks: every bad token is refused (401 page, no session, nothing created)", () => {
  const cases: { name: string; reason: string; tamper: () => Promise<Parameters<typeof setTamper>[0]> }[] = [
    { name: "wrong aud", reason: "wrong_audience", tamper: async () => ({ claims: (c) => ({ ...c, aud: "someone-else" }) }) },
    { name: "aud list with another app", reason: "wrong_audience", tamper: async () => ({ claims: (c) => ({ ...c, aud: [c.aud as string, "other-app"] }) }) },
    { name: "iss of another tenant than tid", reason: "wrong_issuer", tamper: async () => ({ claims: (c) => ({ ...c, iss: authority.issuerFor(crypto.randomUUID()) }) }) },
    { name: "iss of another authority", reason: "wrong_issuer", tamper: async () => ({ claims: (c) => ({ ...c, iss: `https://evil.test/${c.tid}/v2.0` }) }) },
    { name: "tid changed but iss kept", reason: "wrong_issuer", tamper: async () => ({ claims: (c) => ({ ...c, tid: crypto.randomUUID() }) }) },
    { name: "wrong nonce", reason: "wrong_nonce", tamper: async () => ({ claims: (c) => ({ ...c, nonce: "another-nonce" }) }) },
    { name: "no nonce", reason: "wrong_nonce", tamper: async () => ({ claims: ({ nonce: _n, ...c }) => c }) },
    { name: "expired", reason: "expired", tamper: async () => ({ claims: (c) => ({ ...c, iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }) }) },
    { name: "not yet valid (nbf in 1 h)", reason: "not_yet_valid", tamper: async () => ({ claims: (c) => ({ ...c, nbf: now() + 3600 }) }) },
    { name: "issued in the future", reason: "not_yet_valid", tamper: async () => ({ claims: (c) => ({ ...c, iat: now() + 3600 }) }) },
    { name: "no oid", reason: "missing_claims", tamper: async () => ({ claims: ({ oid: _o, ...c }) => c }) },
    { name: "unknown kid", reason: "unknown_key", tamper: async () => ({ header: { kid: "kid-nobody-published" } }) },
    { name: "signed by another key under a published kid", reason: "bad_signature", tamper: async () => ({ key: (await authority.createKey()).privateKey }) },
    { name: "alg none", reason: "bad_alg", tamper: async () => ({ raw: await unsigned() }) },
    { name: "alg HS256 keyed with the client secret", reason: "bad_alg", tamper: async () => ({ raw: await hs256() }) },
    { name: "not a JWT", reason: "malformed", tamper: async () => ({ raw: "not-a-jwt" }) },
  ];

  for (const c of cases) {
    it(`refuses: ${c.name} (${c.reason})`, async () => {
      const warn = vi.spyOn(console, "warn");
      const before = await counts();
      const b = new Browser();
      setTamper(await c.tamper());
      const res = await b.signIn(authority, { ...adminUser(), email: `fresh-${crypto.randomUUID()}@example.com` });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain("Sign-in not accepted");
      expect(b.cookies.has(sessionCookie)).toBe(false);
      expect(await counts()).toEqual(before);
      expect(warn).toHaveBeenCalledWith("sign-in: id_token refused", c.reason);
      warn.mockRestore();
    });
  }

  it("accepts the same flow untampered (the matrix's control)", async () => {
    const b = new Browser();
    expect((await b.signIn(authority, adminUser())).status).toBe(302);
  });

  it("refetches the keys once for an unknown kid (key rotation), then accepts the new key", async () => {
    const b = new Browser();
    expect((await b.signIn(authority, adminUser())).status).toBe(302);
    const jwksBefore = authority.jwksRequests;
    const rotated = await authority.createKey();
    authority.keys.unshift(rotated);
    expect((await new Browser().signIn(authority, adminUser())).status).toBe(302);
    expect(authority.jwksRequests).toBe(jwksBefore + 1);
  });

  function now() {
    return Math.floor(Date.now() / 1000);
  }
  function setTamper(t: NonNullable<SignInAuthority["nextIdToken"]>) {
    authority.nextIdToken = t;
  }
  function claimsFor(): Record<string, unknown> {
    // A token with the right claims but no usable signature: the nonce cannot be known here, so these also fail
    // the nonce check — the alg check comes first and is what refuses them.
    return { iss: authority.issuerFor(tenant), aud: env.MICROSOFT_APP_ID, tid: tenant, oid: "x", iat: now(), exp: now() + 600, nonce: "n" };
  }
  async function unsigned() {
    const enc = (o: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(o)));
    return `${enc({ alg: "none", typ: "JWT" })}.${enc(claimsFor())}.`;
  }
  async function hs256() {
    return new SignJWT(claimsFor()).setProtectedHeader({ alg: "HS256", kid: authority.keys[0].kid }).sign(new TextEncoder().encode(env.MICROSOFT_APP_PASSWORD));
  }
});

describe("who is who", () => {
  it("does not let another tenant claim a user by email", async () => {
    const before = await counts();
    const b = new Browser();
    const res = await b.signIn(authority, { tenantId: crypto.randomUUID(), objectId: "attacker", email: s.admin.email, name: "Mallory" });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain("No account here yet");
    expect(html).toContain("Ask an admin");
    expect(await counts()).toEqual(before);
  });

  it("does not create anyone for an unknown person (setting off by default)", async () => {
    const before = await counts();
    const res = await new Browser().signIn(authority, { tenantId: tenant, objectId: "new-person", email: `new-${crypto.randomUUID()}@example.com`, name: "New" });
    expect(res.status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it("lets people of a connected tenant join as members when the organization allows it", async () => {
    await env.DB.prepare("update organizations set tenant_members_may_join = 1 where id = ?").bind(s.org.id).run();
    const email = `joiner-${crypto.randomUUID()}@example.com`;
    const b = new Browser();
    const res = await b.signIn(authority, { tenantId: tenant, objectId: "joiner", email, name: "Jo Iner" }, `/organizations/${s.org.slug}/issues/`);
    expect(res.status).toBe(302);
    const row = await env.DB.prepare("select m.role from memberships m join users u on u.id = m.user_id where u.email = ? and m.organization_id = ?").bind(email, s.org.id).first();
    expect(row).toEqual({ role: "member" });
    expect((await b.fetch(`/organizations/${s.org.slug}/issues/`)).status).toBe(200);
    // A member cannot open the organization's settings.
    expect((await b.fetch(`/organizations/${s.org.slug}/settings/`)).status).toBe(403);
  });

  it("does not join someone whose tenant is not connected, even with the setting on", async () => {
    await env.DB.prepare("update organizations set tenant_members_may_join = 1 where id = ?").bind(s.org.id).run();
    const before = await counts();
    const res = await new Browser().signIn(authority, { tenantId: crypto.randomUUID(), objectId: "x", email: `x-${crypto.randomUUID()}@example.com` });
    expect(res.status).toBe(403);
    expect(await counts()).toEqual(before);
  });
});

describe("first admin: claim this deployment", () => {
  it("is offered after an unmatched sign-in, needs ADMIN_TOKEN, works once", async () => {
    await env.DB.prepare("delete from instance_claims").run();
    const b = new Browser();
    const email = `first-${crypto.randomUUID()}@example.com`;
    const res = await b.signIn(authority, { tenantId: crypto.randomUUID(), objectId: "first", email, name: "First Admin" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('href="/auth/claim"');
    const form = await b.fetch("/auth/claim");
    expect(form.status).toBe(200);
    const csrf = csrfIn(await form.text());
    const slug = `claimed-${Math.floor(Math.random() * 1e9)}`;
    const wrong = await b.post("/auth/claim", { csrf, token: "wrong", organizationName: "Claimed", organizationSlug: slug });
    expect(wrong.status).toBe(401);
    expect(await env.DB.prepare("select count(*) as n from instance_claims").first()).toEqual({ n: 0 });
    const ok = await b.post("/auth/claim", { csrf, token: env.ADMIN_TOKEN as string, organizationName: "Claimed", organizationSlug: slug });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/organizations/${slug}/issues/`);
    expect((await b.fetch(`/organizations/${slug}/settings/`)).status).toBe(200);

    // Once only: someone else cannot claim again, even with the token.
    const other = new Browser();
    await other.signIn(authority, { tenantId: crypto.randomUUID(), objectId: "second", email: `second-${crypto.randomUUID()}@example.com` });
    const again = await other.fetch("/auth/claim");
    expect(again.status).toBe(403);
    expect(await again.text()).toContain("already has its first admin");
  });
});
