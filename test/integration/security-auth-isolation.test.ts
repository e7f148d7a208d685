/**
 * What the transport and admin suites do not already cover: oversized headers, tokens for other bots and other
 * serviceUrls in one place, admin / ingest tokens wrong, empty or another project's, the constant-time compare,
 * and isolation between organizations (a user linked in org A acting on org B's card, a tenant Y submit for a
 * tenant X integration).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { timingSafeEqual } from "../../src/http/bearer";
import { ingest, installAndSetUp, link } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { signBotToken, signedActivityRequest } from "../support/bot-tokens";
import { seedOrg, snapshotCounts } from "../support/seed";
import { cardSubmit, dispatch, newTeamsWorld, personalMessage, teamsUser, TEAM_ID } from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

async function expect401(res: Response) {
  expect(res.status).toBe(401);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.code).toBe("string");
  return body;
}

describe("bot tokens", () => {
  it("a token for another bot, a valid token for another serviceUrl, oversized headers → 401, nothing written", async () => {
    const before = await snapshotCounts();
    const user = teamsUser("Eve", "eve@example.com");
    const activity = personalMessage(ms, user, "help");
    await expect401(await dispatch(await signedActivityRequest(activity, { key: ms.signingKey, claims: { aud: "another-bot-app-id" } })));
    const elsewhere = await signBotToken({ key: ms.signingKey, serviceUrl: "https://smba.trafficmanager.test/emea/" });
    await expect401(await dispatch(await signedActivityRequest(activity, { key: ms.signingKey, authorization: `Bearer ${elsewhere}` })));
    // 64 KB of token, and a 64 KB header beside a valid token's garbage twin: refused, never a 5xx.
    await expect401(await dispatch(await signedActivityRequest(activity, { key: ms.signingKey, authorization: `Bearer ${"a".repeat(65_536)}` })));
    const huge = `Bearer ${"eyJhbGciOiJSUzI1NiJ9.".repeat(3000)}x.y`;
    await expect401(await dispatch(await signedActivityRequest(activity, { key: ms.signingKey, authorization: huge })));
    const padded = await signedActivityRequest(activity, { key: ms.signingKey, claims: { aud: "x" }, headers: { "x-padding": "p".repeat(65_536) } });
    await expect401(await dispatch(padded));
    expect(await snapshotCounts()).toEqual(before);
    expect(ms.connector.calls).toHaveLength(0);
  });
});

describe("admin and ingest tokens", () => {
  it("admin: wrong, empty, almost-right, oversized or another scheme → 401", async () => {
    const call = (authorization?: string) =>
      dispatch(new Request("https://alerts.test/api/admin/organizations", { method: "POST", headers: { ...(authorization === undefined ? {} : { authorization }), "content-type": "application/json" }, body: '{"name":"Evil"}' }));
    const before = await env.DB.prepare("select count(*) n from organizations").first<{ n: number }>();
    for (const a of [undefined, "", "Bearer ", "Bearer test-admin-toke", "Bearer test-admin-tokenX", "Bearer TEST-ADMIN-TOKEN", "Basic dGVzdC1hZG1pbi10b2tlbg==", "bearer test-admin-token", `Bearer ${"t".repeat(65_536)}`]) {
      await expect401(await call(a));
    }
    expect(await env.DB.prepare("select count(*) n from organizations").first<{ n: number }>()).toEqual(before);
  });

  it("ingest: no key, empty, unknown, revoked or another project's key → 401, nothing written", async () => {
    const a = await seedOrg();
    const b = await seedOrg();
    const before = await snapshotCounts();
    const post = (authorization?: string) =>
      dispatch(new Request(`https://alerts.test/api/projects/${a.project.id}/events`, { method: "POST", headers: authorization === undefined ? {} : { authorization }, body: '{"message":"x"}' }));
    await env.DB.prepare("update project_keys set revoked_at = ? where public_key = ?").bind(Date.now(), b.ingestKey).run();
    const c = await seedOrg();
    for (const k of [undefined, "", "Bearer ", `Bearer ${a.ingestKey}x`, `Bearer ${a.ingestKey.toUpperCase()}`, `Bearer ${b.ingestKey}`, `Bearer ${c.ingestKey}`, `Bearer ${"k".repeat(65_536)}`]) {
      await expect401(await post(k));
    }
    expect(await snapshotCounts()).toEqual(before);
  });

  it("the token compare (workerd's crypto.subtle.timingSafeEqual) is exact for any pair of strings, different lengths included", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (x, y) => timingSafeEqual(x, y) === (x === y)));
    fc.assert(fc.property(fc.string({ minLength: 1 }), (x) => timingSafeEqual(x, x) && !timingSafeEqual(x, x + "a") && !timingSafeEqual(x + "a", x)));
    // Same length, one byte apart anywhere, and multi-byte characters of equal UTF-16 length but not UTF-8 length.
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.nat(), (x, i) => {
      const at = i % x.length;
      const y = `${x.slice(0, at)}${x[at] === "a" ? "b" : "a"}${x.slice(at + 1)}`;
      return !timingSafeEqual(x, y) && timingSafeEqual(y, y);
    }));
    expect(timingSafeEqual("é", "e")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
  });
});

describe("isolation between organizations", () => {
  it("a user linked in org A acting on org B's card, or claiming tenant Y for tenant X's integration → refused, nothing changed", async () => {
    const a = await seedOrg();
    const ada = teamsUser("Ada", "ada@example.com");
    const integrationA = await installAndSetUp(ms, a, ada);
    await link(ada, integrationA, a.admin.id);
    const issueA = await ingest(a);

    // Org B: another team in another tenant, its own integration and issue.
    const teamA = TEAM_ID;
    newTeamsWorld();
    const b = await seedOrg();
    const bob = teamsUser("Bob", "bob@example.com");
    const integrationB = await installAndSetUp(ms, b, bob);
    const issueB = await ingest(b);

    const before = await snapshotCounts();
    const versions = async () => (await env.DB.prepare("select id, status, version from issues where id in (?, ?)").bind(issueA.issueId, issueB.issueId).all()).results;
    const v0 = await versions();
    const resolve = (issueId: number, integrationId: number) => ({ payload: { actionType: "1", groupId: issueId, eventId: null, rules: [], integrationId } });

    // Ada (linked in A) clicks B's card in B's team: she is not linked there → link prompt, nothing changes.
    const r1 = await dispatch(await signedActivityRequest(cardSubmit(ms, ada, resolve(issueB.issueId, integrationB), { resolveInput: "resolved" }, { replyToId: "c1" }), { key: ms.signingKey }));
    expect(r1.status).toBe(200);
    // Ada's submit from tenant A naming B's integration (tenant B) → 403.
    const r2 = await dispatch(
      await signedActivityRequest(cardSubmit(ms, ada, resolve(issueB.issueId, integrationB), { resolveInput: "resolved" }, { replyToId: "c2", tenant: "tenant-y-claimed", teamId: teamA }), { key: ms.signingKey }),
    );
    expect(r2.status).toBe(403);
    // A's integration with B's issue id → 404 (B's issue is invisible from A).
    const r3 = await dispatch(await signedActivityRequest(cardSubmit(ms, ada, resolve(issueB.issueId, integrationA), { resolveInput: "resolved" }, { replyToId: "c3" }), { key: ms.signingKey }));
    expect([403, 404]).toContain(r3.status);
    // B's integration with A's issue id → 404.
    const r4 = await dispatch(await signedActivityRequest(cardSubmit(ms, bob, resolve(issueA.issueId, integrationB), { resolveInput: "resolved" }, { replyToId: "c4" }), { key: ms.signingKey }));
    expect(r4.status).toBe(404);

    expect(await snapshotCounts()).toEqual(before);
    expect(await versions()).toEqual(v0);
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(0);
  });
});
