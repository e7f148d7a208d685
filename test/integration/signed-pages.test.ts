/**
 * The signed pages (/setup, /link, /unlink) against hostile use: links are single-use and a setup link belongs to
 * one installation of the app (its generation); a used link is refused before anything else is looked at; a link
 * whose signed payload is malformed gets the same 400 page as any bad link; every HTML answer carries the page
 * security headers. Real worker, real D1, Microsoft stood in at fetch.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { identities, integrations, signInIdentities } from "../../src/db/schema";
import { db, installAndSetUp, postForm, signedInAs } from "../support/flows";
import { Browser, csrfIn, startSignInAuthority } from "../support/web-browser";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, snapshotCounts } from "../support/seed";
import {
  actionTitled,
  cardOf,
  dispatch,
  newTeamsWorld,
  personalChatId,
  personalMessage,
  sendActivity,
  TEAM_ID,
  teamInstall,
  teamsUser,
  teamUninstall,
  TENANT,
} from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

const teamRow = async () => (await db().select().from(integrations).where(eq(integrations.externalId, TEAM_ID)))[0];

/** The setup link of the newest welcome card in the team. */
function latestSetupUrl(): string {
  const welcomes = ms.connector.sent(TEAM_ID).filter((a) => JSON.stringify(a).includes("Complete setup"));
  return actionTitled(cardOf(welcomes.at(-1)), "Complete setup").url as string;
}

async function linkUrlFor(user: ReturnType<typeof teamsUser>, command: "link" | "unlink"): Promise<string> {
  await sendActivity(ms, personalMessage(ms, user, command));
  const card = cardOf(ms.connector.sent(personalChatId(user)).at(-1));
  return actionTitled(card, command === "link" ? "Link your account" : "Unlink account").url as string;
}

/** The Teams user signed in to the web app with their own Microsoft account (the link's tid/oid), as this user. */
async function signedInAsTeamsUser(user: ReturnType<typeof teamsUser>, userId: number, email: string): Promise<Browser> {
  const authority = await startSignInAuthority(ms);
  await db().insert(signInIdentities).values({ tenantId: TENANT, objectId: user.aadObjectId, userId, createdAt: Date.now(), lastSignInAt: Date.now() }).onConflictDoNothing();
  const b = new Browser();
  expect((await b.signIn(authority, { tenantId: TENANT, objectId: user.aadObjectId, email })).status).toBe(302);
  return b;
}

/** Completes setup as the organization's admin, signed in. */
async function setUpAs(b: Browser, url: string, slug: string): Promise<Response> {
  const page = await b.fetch(url);
  const html = await page.text();
  return b.post(url, { csrf: /name="csrf" value="([0-9a-f]{64})"/.test(html) ? csrfIn(html) : "0".repeat(64), organization: slug });
}

/** A token signed with the real secret and purpose, as src/signing.ts makes them, but with any payload. */
async function signedWith(purpose: string, claims: Record<string, unknown>, opts: { jti?: boolean } = {}): Promise<string> {
  let jwt = new SignJWT({ pur: purpose, ...claims }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("15m");
  if (opts.jti !== false) jwt = jwt.setJti(crypto.randomUUID());
  return jwt.sign(new TextEncoder().encode(env.LINK_SIGNING_SECRET as string));
}

describe("setup links are single-use and bound to their installation", () => {
  it("a setup link works once: afterwards the same link is refused as used, by GET and by POST", async () => {
    const s = await seedOrg();
    await sendActivity(ms, teamInstall(ms, teamsUser("Ada", "a@x")));
    const url = latestSetupUrl();
    const admin = await signedInAs(ms, s.admin);
    const csrf = csrfIn(await (await admin.fetch(url)).text());
    expect((await admin.post(url, { csrf, organization: s.org.slug })).status).toBe(200);

    const again = await dispatch(new Request(url));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("already used");
    const post = await admin.post(url, { csrf, organization: s.org.slug });
    expect(post.status).toBe(400);
    expect(await post.text()).toContain("already used");
  });

  it("after the app is removed and re-added, the old welcome card's link cannot bind the team; the new one can", async () => {
    const s = await seedOrg();
    const attacker = await seedOrg();
    const ada = teamsUser("Ada", "a@x");
    await sendActivity(ms, teamInstall(ms, ada));
    const stale = latestSetupUrl();
    const attackerAdmin = await signedInAs(ms, attacker.admin);
    const staleCsrf = csrfIn(await (await attackerAdmin.fetch(stale)).text());
    await sendActivity(ms, teamUninstall(ms, ada));
    await sendActivity(ms, teamInstall(ms, ada));
    const fresh = latestSetupUrl();
    expect(fresh).not.toBe(stale);
    expect((await teamRow()).status).toBe("pending");

    const page = await dispatch(new Request(stale));
    expect(page.status).toBe(400);
    const bind = await attackerAdmin.post(stale, { csrf: staleCsrf, organization: attacker.org.slug });
    expect(bind.status).toBe(400);
    expect(await teamRow()).toMatchObject({ status: "pending", organizationId: null });

    expect((await setUpAs(await signedInAs(ms, s.admin), fresh, s.org.slug)).status).toBe(200);
    expect(await teamRow()).toMatchObject({ status: "active", organizationId: s.org.id });
  });

  it("a used link is refused first: no 'token not valid' or CSRF answer for it, whatever the form holds", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "a@x");
    await installAndSetUp(ms, s, ada);
    const setupUrl = latestSetupUrl();
    for (const form of [{ csrf: "0".repeat(64), organization: s.org.slug, token: "nope" }, { organization: "", token: "" }]) {
      const res = await postForm(setupUrl, form as Record<string, string>);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("already used");
    }

    const linkUrl = await linkUrlFor(ada, "link");
    const b = await signedInAsTeamsUser(ada, s.member.id, s.member.email);
    const csrf = csrfIn(await (await b.fetch(linkUrl)).text());
    expect((await b.post(linkUrl, { csrf })).status).toBe(200);
    for (const res of [await b.post(linkUrl, { csrf }), await b.post(linkUrl, { csrf: "0".repeat(64) }), await postForm(linkUrl, { csrf })]) {
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("already used");
    }
    const page = await dispatch(new Request(linkUrl));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("already used");

    const unlinkUrl = await linkUrlFor(ada, "unlink");
    const ucsrf = csrfIn(await (await b.fetch(unlinkUrl)).text());
    expect((await b.post(unlinkUrl, { csrf: ucsrf })).status).toBe(200);
    const reused = await b.post(unlinkUrl, { csrf: "0".repeat(64) });
    expect(reused.status).toBe(400);
    expect(await reused.text()).toContain("already used");
  });
});

describe("malformed signed payloads", () => {
  const PAYLOADS: [string, Record<string, unknown>][] = [
    ["d: null", { d: null }],
    ["no d", {}],
    ["d: string", { d: "x" }],
    ["d: array", { d: [1, 2] }],
    ["d: number", { d: 7 }],
    ["setup id as string", { d: { integrationId: "1", generation: 1 } }],
    ["setup id negative", { d: { integrationId: -1, generation: 1 } }],
    ["no generation", { d: { integrationId: 1 } }],
    ["link tenant number", { d: { tenantId: 5, teamsUserId: "29:x", aadObjectId: null, integrationIds: [], conversationId: "a:1", serviceUrl: "https://smba.trafficmanager.test/amer/" } }],
    ["link ids not array", { d: { tenantId: "t", teamsUserId: "29:x", aadObjectId: null, integrationIds: "1", conversationId: "a:1", serviceUrl: "https://smba.trafficmanager.test/amer/" } }],
    ["link ids of junk", { d: { tenantId: "t", teamsUserId: "29:x", aadObjectId: null, integrationIds: [null, "1"], conversationId: "a:1", serviceUrl: "https://smba.trafficmanager.test/amer/" } }],
    ["link serviceUrl not https", { d: { tenantId: "t", teamsUserId: "29:x", aadObjectId: null, integrationIds: [], conversationId: "a:1", serviceUrl: "javascript:alert(1)" } }],
    ["link __proto__", { d: JSON.parse('{"__proto__": {"tenantId": "t"}}') }],
  ];

  it("every page answers 400 with the same page for each, and nothing is written", async () => {
    await seedOrg();
    const before = await snapshotCounts();
    const nonces = await env.DB.prepare("select count(*) as n from used_nonces").first<{ n: number }>();
    for (const purpose of ["setup", "link", "unlink"] as const) {
      const path = purpose === "setup" ? "setup" : purpose;
      for (const [label, claims] of PAYLOADS) {
        const url = `https://alerts.test/${path}/${await signedWith(purpose, claims)}`;
        for (const res of [await dispatch(new Request(url)), await postForm(url, { csrf: "0".repeat(64), organization: "x", token: "test-admin-token" })]) {
          expect(res.status, `${purpose} ${label}`).toBe(400);
          expect(res.headers.get("content-type"), `${purpose} ${label}`).toMatch(/^text\/html/);
          expect(await res.text(), `${purpose} ${label}`).toMatch(/invalid or has expired/);
        }
      }
      // A signed token without a nonce (jti) is not a link either.
      const noJti = await signedWith(purpose, { d: { integrationId: 1, generation: 1 } }, { jti: false });
      expect((await dispatch(new Request(`https://alerts.test/${path}/${noJti}`))).status).toBe(400);
    }
    expect(await snapshotCounts()).toEqual(before);
    expect(await env.DB.prepare("select count(*) as n from used_nonces").first<{ n: number }>()).toEqual(nonces);
  });
});

describe("page security headers", () => {
  const EXPECTED = {
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  };

  function expectPageHeaders(res: Response, label: string) {
    expect(res.headers.get("content-type"), label).toMatch(/^text\/html/);
    for (const [name, value] of Object.entries(EXPECTED)) expect(res.headers.get(name), `${label}: ${name}`).toBe(value);
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(" ")]));
    expect(directives, `${label}: CSP ${csp}`).toMatchObject({
      "default-src": "'none'",
      "form-action": "'self'",
      "frame-ancestors": "'none'",
      "base-uri": "'none'",
    });
    // Styles by hash only: no 'unsafe-inline', no hosts.
    expect(directives["style-src"], label).toMatch(/^('sha256-[A-Za-z0-9+/]+=*'\s*)+$/);
  }

  it("setup, link and unlink pages, their results and their refusals all carry them", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "a@x");
    await sendActivity(ms, teamInstall(ms, ada));
    const setupUrl = latestSetupUrl();
    const setupPage = await dispatch(new Request(setupUrl));
    const setupHtml = await setupPage.clone().text();
    expectPageHeaders(setupPage, "setup form");
    expect(setupHtml).toContain("Sign in with Microsoft");
    expectPageHeaders(await postForm(setupUrl, { mode: "admin_token", csrf: "0".repeat(64), organization: s.org.slug, token: "wrong" }), "setup refused token");
    const admin = await signedInAs(ms, s.admin);
    expectPageHeaders(await admin.post(setupUrl, { csrf: "0".repeat(64), organization: s.org.slug }), "setup CSRF refusal");
    expectPageHeaders(await admin.fetch(setupUrl), "setup pick");
    expectPageHeaders(await setUpAs(admin, setupUrl, s.org.slug), "setup done");
    expectPageHeaders(await dispatch(new Request(setupUrl)), "setup used");
    expectPageHeaders(await dispatch(new Request("https://alerts.test/setup/not-a-token")), "setup bad link");

    const linkUrl = await linkUrlFor(ada, "link");
    expectPageHeaders(await dispatch(new Request(linkUrl)), "link sign-in");
    const b = await signedInAsTeamsUser(ada, s.member.id, s.member.email);
    const linkPage = await b.fetch(linkUrl);
    expectPageHeaders(linkPage, "link form");
    expectPageHeaders(await b.post(linkUrl, { csrf: csrfIn(await linkPage.text()) }), "link done");
    const unlinkUrl = await linkUrlFor(ada, "unlink");
    expectPageHeaders(await dispatch(new Request(unlinkUrl)), "unlink form");
    expectPageHeaders(await dispatch(new Request("https://alerts.test/unlink/x.y.z")), "unlink bad link");
    expect(await db().select().from(identities).where(eq(identities.tenantId, TENANT))).toHaveLength(1);
  });

  it("the style-src hashes are those of the page's inline styles (the pages render styled under the CSP)", async () => {
    const page = await dispatch(new Request("https://alerts.test/link/not-a-token"));
    const html = await page.text();
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(styles.length).toBeGreaterThan(0);
    const csp = page.headers.get("content-security-policy")!;
    for (const style of styles) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
      expect(csp).toContain(`'sha256-${btoa(String.fromCharCode(...digest))}'`);
    }
  });

  it("JSON answers are left alone", async () => {
    const res = await dispatch(new Request("https://alerts.test/health"));
    expect(res.headers.get("content-security-policy")).toBeNull();
  });
});
