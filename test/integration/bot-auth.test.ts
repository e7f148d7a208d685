/**
 * POST /api/messages through the worker: botbuilder's channel rules against real RS256 tokens signed with
 * keys made here, served by the Microsoft stand-in at the worker's outbound fetch. Real D1 and KV.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { clearOpenIdKeyCache } from "../../src/bot/openid-keys";
import { signBotToken, signedActivityRequest, teamsMessageActivity, type BotTokenOptions } from "../support/bot-tokens";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { workerFetch } from "../support/worker";

const OLD_SERVICE_URL = "https://smba.trafficmanager.test/emea-old/";
const TEAM_ID = "19:standin-team@thread.tacv2";
const TENANT_ID = "standin-tenant-0001";

let ms: MicrosoftStandIn;

beforeEach(async () => {
  ms = await startMicrosoftStandIn();
  await env.DB.prepare("delete from integrations").run();
  // An installed team whose stored serviceUrl is stale: a verified activity must update it, a rejected one must not.
  await env.DB.prepare(
    `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, created_at, updated_at)
     values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', 1, 1)`,
  )
    .bind(TENANT_ID, TEAM_ID, OLD_SERVICE_URL)
    .run();
});

afterEach(() => {
  ms.stop();
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function storedServiceUrl(): Promise<string> {
  const row = await env.DB.prepare("select service_url from integrations where external_id = ?").bind(TEAM_ID).first<{ service_url: string }>();
  return row!.service_url;
}

/** Row counts of every application table, to show a rejected request wrote nothing. */
async function tableCounts(): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' and name != 'd1_migrations'",
  ).all<{ name: string }>();
  const counts: Record<string, number> = {};
  for (const { name } of results) {
    const row = await env.DB.prepare(`select count(*) as n from "${name}"`).first<{ n: number }>();
    counts[name] = row!.n;
  }
  return counts;
}

/**
 * A verified-but-inert activity (typing: dispatch ignores it), so these tests exercise the transport and leave
 * no deferred Connector work behind. teamsMessageActivity supplies the realistic envelope.
 */
function activity(overrides = {}) {
  return teamsMessageActivity({ type: "typing", text: undefined, entities: undefined, serviceUrl: ms.serviceUrl, ...overrides });
}

async function send(body: Record<string, unknown>, opts: Partial<Parameters<typeof signedActivityRequest>[1]> = {}): Promise<Response> {
  return workerFetch(await signedActivityRequest(body, { key: ms.signingKey, ...opts }));
}

describe("POST /api/messages: accepted tokens", () => {
  it("accepts a valid token, fetches the keys once, and refreshes the stored serviceUrl", async () => {
    const res = await send(activity());
    expect(res.status).toBe(200);
    expect(ms.openid.metadataRequests).toBe(1);
    expect(ms.openid.jwksRequests).toBe(1);
    expect(await storedServiceUrl()).toBe(ms.serviceUrl);

    const again = await send(activity());
    expect(again.status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(1);
    expect(ms.unexpected).toEqual([]);
  });

  it("accepts a token expired by less than the 300 s skew, and one not valid for less than 300 s", async () => {
    const now = nowSeconds();
    expect((await send(activity(), { claims: { exp: now - 200, nbf: now - 3800, iat: now - 3800 } })).status).toBe(200);
    expect((await send(activity(), { claims: { nbf: now + 200 } })).status).toBe(200);
  });

  it("compares serviceUrl case-insensitively and ignores one trailing slash", async () => {
    const res = await send(activity({ serviceUrl: "https://smba.trafficmanager.test/amer/" }), {
      serviceUrl: "https://SMBA.TrafficManager.test/amer",
    });
    expect(res.status).toBe(200);
  });

  it("accepts RS384 and RS512 keys", async () => {
    const k384 = await ms.addKey({ alg: "RS384" });
    const k512 = await ms.addKey({ alg: "RS512" });
    expect((await send(activity(), { key: k384 })).status).toBe(200);
    expect((await send(activity(), { key: k512 })).status).toBe(200);
  });

  it("accepts a key with no endorsements for any channel", async () => {
    const open = await ms.addKey({ endorsements: null });
    expect((await send(activity({ channelId: "webchat" }), { key: open })).status).toBe(200);
  });

  it("key rotation: a new kid is accepted after exactly one refresh", async () => {
    expect((await send(activity())).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(1);

    const next = await ms.createKey();
    ms.publishKey(next);
    ms.unpublishKey(ms.keys[0].kid);

    expect((await send(activity(), { key: next })).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(2);
    expect((await send(activity(), { key: next })).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(2);
  });

  it("a cold isolate reads the key set from KV instead of Microsoft", async () => {
    expect((await send(activity())).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(1);
    clearOpenIdKeyCache();
    expect((await send(activity())).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(1);
    expect(ms.openid.metadataRequests).toBe(1);
  });
});

type BadCase = { name: string; code: string; build: () => Promise<Request> };

describe("POST /api/messages: rejected tokens → 401, nothing written", () => {
  const cases: BadCase[] = [
    { name: "no Authorization header", code: "missing_token", build: () => signedActivityRequest(activity(), { key: ms.signingKey, authorization: null }) },
    { name: "wrong scheme (Basic)", code: "invalid_authorization_scheme", build: () => signedActivityRequest(activity(), { key: ms.signingKey, authorization: "Basic dXNlcjpwYXNz" }) },
    {
      name: "scheme not exactly Bearer (lowercase)",
      code: "invalid_authorization_scheme",
      build: async () => signedActivityRequest(activity(), { key: ms.signingKey, authorization: `bearer ${await signBotToken({ key: ms.signingKey, serviceUrl: ms.serviceUrl })}` }),
    },
    { name: "garbage token", code: "malformed_token", build: () => signedActivityRequest(activity(), { key: ms.signingKey, authorization: "Bearer not.a.jwt" }) },
    { name: "alg none", code: "unsupported_algorithm", build: () => signedActivityRequest(activity(), { key: ms.signingKey, unsigned: true }) },
    { name: "HS256 keyed with the public key", code: "unsupported_algorithm", build: () => signedActivityRequest(activity(), { key: ms.signingKey, hmacWithPublicKey: true }) },
    {
      name: "unknown kid",
      code: "unknown_key",
      build: async () => signedActivityRequest(activity(), { key: await ms.createKey({ kid: "made-up-kid" }) }),
    },
    { name: "no kid", code: "unknown_key", build: () => signedActivityRequest(activity(), { key: ms.signingKey, header: { kid: undefined } }) },
    {
      name: "key not endorsed for msteams",
      code: "key_not_endorsed",
      build: async () => signedActivityRequest(activity(), { key: await ms.addKey({ endorsements: ["webchat", "emulator"] }) }),
    },
    {
      name: "activity without channelId while the key has endorsements",
      code: "key_not_endorsed",
      build: () => signedActivityRequest(activity({ channelId: undefined }), { key: ms.signingKey }),
    },
    { name: "wrong iss", code: "invalid_issuer", build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { iss: "https://sts.windows.net/evil/" } }) },
    { name: "no iss", code: "invalid_issuer", build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { iss: undefined } }) },
    {
      name: "wrong aud (the Bot Framework API itself)",
      code: "invalid_audience",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { aud: "https://api.botframework.com" } }),
    },
    {
      name: "token for another app id",
      code: "invalid_audience",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { aud: "99999999-8888-7777-6666-555555555555" } }),
    },
    {
      name: "aud as an array containing our app id",
      code: "invalid_audience",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { aud: [env.MICROSOFT_APP_ID, "other"] } }),
    },
    {
      name: "expired beyond the skew",
      code: "token_expired",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { exp: nowSeconds() - 301, nbf: nowSeconds() - 4000 } }),
    },
    { name: "no exp", code: "invalid_token", build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { exp: undefined } }) },
    {
      name: "nbf beyond the skew",
      code: "token_not_yet_valid",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { nbf: nowSeconds() + 400 } }),
    },
    {
      name: "serviceurl claim differs from the activity",
      code: "service_url_mismatch",
      build: () => signedActivityRequest(activity(), { key: ms.signingKey, serviceUrl: "https://smba.attacker.test/amer/" }),
    },
    {
      name: "activity without serviceUrl",
      code: "service_url_mismatch",
      build: () => signedActivityRequest(activity({ serviceUrl: undefined }), { key: ms.signingKey, serviceUrl: ms.serviceUrl }),
    },
    { name: "missing serviceurl claim", code: "missing_service_url", build: () => signedActivityRequest(activity(), { key: ms.signingKey, claims: { serviceurl: undefined } }) },
    {
      name: "right kid but signed by another key",
      code: "invalid_signature",
      build: async () => {
        const impostor = await ms.createKey({ kid: ms.signingKey.kid });
        return signedActivityRequest(activity(), { key: impostor });
      },
    },
    {
      name: "payload changed after signing",
      code: "invalid_signature",
      build: async () => {
        const token = await signBotToken({ key: ms.signingKey, serviceUrl: ms.serviceUrl, claims: { aud: "99999999-8888-7777-6666-555555555555" } });
        const [h, , s] = token.split(".");
        const forged = btoa(JSON.stringify({ iss: "https://api.botframework.com", aud: env.MICROSOFT_APP_ID, serviceurl: ms.serviceUrl, exp: nowSeconds() + 3600 }))
          .replace(/=+$/, "")
          .replace(/\+/g, "-")
          .replace(/\//g, "_");
        return signedActivityRequest(activity(), { key: ms.signingKey, authorization: `Bearer ${h}.${forged}.${s}` });
      },
    },
    {
      name: "header alg RS384 on an RS256 signature",
      code: "invalid_signature",
      build: async () => {
        const token = await signBotToken({ key: ms.signingKey, serviceUrl: ms.serviceUrl });
        const [, p, s] = token.split(".");
        const header = btoa(JSON.stringify({ alg: "RS384", kid: ms.signingKey.kid, typ: "JWT" })).replace(/=+$/, "");
        return signedActivityRequest(activity(), { key: ms.signingKey, authorization: `Bearer ${header}.${p}.${s}` });
      },
    },
  ];

  it("covers at least 15 distinct bad tokens", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of cases) {
    it(`${c.name} → 401 ${c.code}`, async () => {
      const before = await tableCounts();
      const res = await workerFetch(await c.build());
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(c.code);
      expect(typeof body.error.message).toBe("string");
      // Nothing written, nothing sent: the stale serviceUrl stays, no row appears, Teams hears nothing.
      expect(await storedServiceUrl()).toBe(OLD_SERVICE_URL);
      expect(await tableCounts()).toEqual(before);
      expect(ms.connector.calls).toEqual([]);
      expect(ms.token.requests).toEqual([]);
      expect(ms.unexpected).toEqual([]);
    });
  }

  it("a flood of made-up kids costs at most one key refresh", async () => {
    expect((await send(activity())).status).toBe(200);
    expect(ms.openid.jwksRequests).toBe(1);
    const stranger = await ms.createKey();
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(activity(), { key: stranger, header: { kid: `made-up-${i}` } }).then((r) => r.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(ms.openid.jwksRequests).toBe(2);
    // And later ones, still within the cool-down, cost nothing.
    expect((await send(activity(), { key: stranger, header: { kid: "made-up-late" } })).status).toBe(401);
    expect(ms.openid.jwksRequests).toBe(2);
  });

  it("unreachable signing keys → 401 signing_keys_unavailable, never 500", async () => {
    ms.openid.failNext(2);
    const res = await send(activity());
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("signing_keys_unavailable");
    expect(await storedServiceUrl()).toBe(OLD_SERVICE_URL);
  });
});

describe("POST /api/messages: method, size, body, configuration", () => {
  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
    it(`${method} → 405 with Allow: POST`, async () => {
      const res = await workerFetch("https://alerts.test/api/messages", { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    });
  }

  it("declared Content-Length over 256 KB → 413 before any key fetch", async () => {
    const big = "x".repeat(300 * 1024);
    const req = await signedActivityRequest(activity(), { key: ms.signingKey, rawBody: big, headers: { "content-length": String(big.length) } });
    const res = await workerFetch(req);
    expect(res.status).toBe(413);
    expect(ms.openid.jwksRequests).toBe(0);
  });

  it("a streamed body over 256 KB without Content-Length → 413", async () => {
    const signed = await signedActivityRequest(activity(), { key: ms.signingKey });
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const req = new Request(signed.url, { method: "POST", headers: { authorization: signed.headers.get("authorization")! }, body: stream });
    expect(req.headers.get("content-length")).toBeNull();
    const res = await workerFetch(req);
    expect(res.status).toBe(413);
    expect(await storedServiceUrl()).toBe(OLD_SERVICE_URL);
  });

  it("a body that is not JSON → 400 (with a valid token)", async () => {
    const res = await send(activity(), { rawBody: "{not json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("malformed_body");
  });

  it("a JSON array → 400", async () => {
    const res = await send(activity(), { rawBody: "[]" });
    expect(res.status).toBe(400);
  });

  it("an activity without type → 400, nothing written", async () => {
    const res = await send(activity({ type: undefined }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toMatch(/^type:/);
    expect(await storedServiceUrl()).toBe(OLD_SERVICE_URL);
  });

  it("a bad body with no valid token is still 401", async () => {
    const req = await signedActivityRequest(activity(), { key: ms.signingKey, authorization: "Bearer x.y.z", rawBody: "{not json" });
    expect((await workerFetch(req)).status).toBe(401);
  });

  it("app id or password missing → 503 saying how to set them", async () => {
    for (const missing of ["MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"] as const) {
      const req = await signedActivityRequest(activity(), { key: ms.signingKey });
      const res = await app.fetch(req, { ...env, [missing]: "" });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("not_configured");
      expect(body.error.message).toContain(missing);
      expect(body.error.message).toContain(".dev.vars");
      expect(body.error.message).not.toContain(env.MICROSOFT_APP_PASSWORD as string);
    }
    expect(ms.openid.jwksRequests).toBe(0);
  });
});

describe("POST /api/messages: stored serviceUrl follows verified activities", () => {
  async function insertIntegration(tenantId: string, externalId: string, type: "team" | "tenant", serviceUrl: string) {
    await env.DB.prepare(
      `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, created_at, updated_at)
       values ('msteams', ?, ?, '', ?, ?, 'active', 1, 1)`,
    )
      .bind(tenantId, externalId, serviceUrl, type)
      .run();
  }
  async function urlOf(externalId: string) {
    return (await env.DB.prepare("select service_url from integrations where external_id = ?").bind(externalId).first<{ service_url: string }>())!.service_url;
  }

  it("a personal-chat activity refreshes its tenant's install, not another tenant's or another team's", async () => {
    await insertIntegration(TENANT_ID, TENANT_ID, "tenant", OLD_SERVICE_URL);
    await insertIntegration("other-tenant", "other-tenant", "tenant", OLD_SERVICE_URL);
    await insertIntegration("other-tenant", "19:other-team@thread.tacv2", "team", OLD_SERVICE_URL);
    const personal = activity({
      conversation: { id: "a:personal-1", conversationType: "personal", tenantId: TENANT_ID },
      channelData: { tenant: { id: TENANT_ID } },
    });
    expect((await send(personal)).status).toBe(200);
    expect(await urlOf(TENANT_ID)).toBe(ms.serviceUrl);
    expect(await urlOf("other-tenant")).toBe(OLD_SERVICE_URL);
    expect(await urlOf("19:other-team@thread.tacv2")).toBe(OLD_SERVICE_URL);
    // The team activity's own team was not in this conversation, so it keeps its URL until one of its own arrives.
    expect(await storedServiceUrl()).toBe(OLD_SERVICE_URL);
  });

  it("a later move to another region is followed too", async () => {
    expect((await send(activity())).status).toBe(200);
    expect(await storedServiceUrl()).toBe(ms.serviceUrl);
    const moved = "https://smba.trafficmanager.test/emea/";
    ms.connector.addServiceUrl(moved);
    expect((await send(activity({ serviceUrl: moved }))).status).toBe(200);
    expect(await storedServiceUrl()).toBe(moved);
  });
});
