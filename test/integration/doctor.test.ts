/**
 * GET /api/admin/doctor against the Microsoft stand-in (at the worker's outbound fetch) and real D1: healthy
 * checks pass, a broken token endpoint / key endpoint / configuration / installation is reported with a fix,
 * and nothing secret appears in the answer.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchKeySet } from "../../src/bot/openid-keys";
import { getBotToken } from "../../src/bot/token-client";
import type { Env } from "../../src/env";
import { runDoctor, STUCK_QUEUED_MS, type DoctorCheck, type DoctorReport } from "../../src/routes/admin/doctor";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg } from "../support/seed";
import { workerFetch } from "../support/worker";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

const STRONG_SECRET = "k".repeat(44);

async function doctor(): Promise<{ status: number; report: DoctorReport; text: string }> {
  const res = await workerFetch("https://alerts.test/api/admin/doctor", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
  const text = await res.text();
  return { status: res.status, report: JSON.parse(text) as DoctorReport, text };
}

function check(report: DoctorReport, name: string | RegExp): DoctorCheck {
  const found = report.checks.find((c) => (typeof name === "string" ? c.name === name : name.test(c.name)));
  if (!found) throw new Error(`no check ${name}; have ${report.checks.map((c) => c.name).join(" | ")}`);
  return found;
}

/** The worker's bindings with some settings changed (the doctor reads nothing else). */
function envWith(patch: Partial<Record<keyof Env, string | undefined>>): Env {
  return { ...(env as unknown as Env), LINK_SIGNING_SECRET: STRONG_SECRET, ...patch } as Env;
}

function expectNoSecrets(text: string) {
  expect(text).not.toContain(env.MICROSOFT_APP_PASSWORD!);
  expect(text).not.toContain(env.LINK_SIGNING_SECRET!);
  expect(text).not.toContain(env.ADMIN_TOKEN!);
  expect(text).not.toMatch(/standin-token-\d/);
  expect(text).not.toContain("AADSTS");
}

describe("GET /api/admin/doctor", () => {
  it("needs the admin token", async () => {
    const res = await workerFetch("https://alerts.test/api/admin/doctor");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "missing_token" } });
  });

  it("reports a healthy bot: settings present, a real token exchange, keys endorsed for Teams", async () => {
    const { status, report, text } = await doctor();
    expect(status).toBe(200);
    expect(check(report, "MICROSOFT_APP_ID")).toMatchObject({ ok: true });
    expect(check(report, "MICROSOFT_APP_PASSWORD")).toMatchObject({ ok: true });
    expect(check(report, "PUBLIC_BASE_URL")).toMatchObject({ ok: true });
    expect(check(report, "token exchange")).toMatchObject({ ok: true });
    expect(check(report, "OpenID signing keys")).toMatchObject({ ok: true, detail: expect.stringContaining("1 usable for Teams") });
    expect(ms.token.requests).toHaveLength(1);
    expect(ms.openid.jwksRequests).toBe(1);
    // The test binding is a 24-character phrase: flagged, with how to make a strong one.
    const signing = check(report, "LINK_SIGNING_SECRET");
    expect(signing).toMatchObject({ ok: false, detail: expect.stringContaining("24 characters") });
    expect(signing.fix).toContain("openssl rand");
    expect(report.ok).toBe(false);
    expectNoSecrets(text);
  });

  it("is all green when every check passes", async () => {
    const report = await runDoctor(envWith({}));
    const failing = report.checks.filter((c) => !c.ok);
    // Installations written by other tests of this file may be pending; only ours matter here.
    expect(failing.filter((c) => !c.name.startsWith("Teams installation"))).toEqual([]);
    for (const c of report.checks) if (!c.ok) expect(c.fix, c.name).toBeTruthy();
  });

  it("a token endpoint that refuses the credentials fails the token check with a fix, even with a cached token", async () => {
    // A token in the isolate's cache must not hide broken credentials: the doctor forces a real exchange.
    await getBotToken(env);
    ms.token.enqueue({ status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." } });
    const { report, text } = await doctor();
    const token = check(report, "token exchange");
    expect(token.ok).toBe(false);
    expect(token.detail).toContain("invalid_client");
    expect(token.detail).toContain("login.microsoftonline.test");
    expect(token.fix).toContain("wrangler secret put MICROSOFT_APP_PASSWORD");
    expect(token.fix).toContain("MICROSOFT_APP_TENANT_ID");
    expect(report.ok).toBe(false);
    expect(ms.token.requests).toHaveLength(2);
    expectNoSecrets(text);
  });

  it("an unreachable token endpoint is reported as such (one attempt, no long retries)", async () => {
    ms.token.enqueue({ status: 503, body: { error: "temporarily_unavailable" } });
    const { report } = await doctor();
    const token = check(report, "token exchange");
    expect(token).toMatchObject({ ok: false, detail: expect.stringContaining("HTTP 503") });
    expect(token.fix).toMatch(/could not be reached/);
    expect(ms.token.requests).toHaveLength(1);
  });

  it("signing keys that cannot be fetched, or none endorsed for Teams, fail the keys check", async () => {
    ms.openid.failNext(1);
    let keys = check((await doctor()).report, "OpenID signing keys");
    expect(keys).toMatchObject({ ok: false, detail: expect.stringContaining("could not be fetched") });
    expect(keys.fix).toContain("401");

    ms.stop();
    ms = await startMicrosoftStandIn({ endorsements: ["skype"] });
    keys = check((await doctor()).report, "OpenID signing keys");
    expect(keys).toMatchObject({ ok: false, detail: expect.stringContaining("none endorsed for Teams") });
  });

  it("missing or wrong settings each get a plain-language fix; the token check is skipped", async () => {
    const report = await runDoctor(
      envWith({ MICROSOFT_APP_ID: "my-bot", MICROSOFT_APP_PASSWORD: undefined, LINK_SIGNING_SECRET: undefined, PUBLIC_BASE_URL: "http://alerts.example.com" }),
    );
    expect(check(report, "MICROSOFT_APP_ID")).toMatchObject({ ok: false, detail: expect.stringContaining("not a GUID") });
    expect(check(report, "MICROSOFT_APP_PASSWORD")).toMatchObject({ ok: false, fix: expect.stringContaining("az ad app credential reset") });
    expect(check(report, "LINK_SIGNING_SECRET")).toMatchObject({ ok: false, detail: expect.stringContaining("Not set") });
    expect(check(report, "PUBLIC_BASE_URL")).toMatchObject({ ok: false, detail: expect.stringContaining("not https") });
    expect(check(report, "token exchange")).toMatchObject({ ok: false, detail: expect.stringContaining("Skipped") });
    expect(ms.token.requests).toHaveLength(0);
    expect(report.ok).toBe(false);
    for (const c of report.checks.filter((c) => !c.ok)) expect(c.fix, c.name).toBeTruthy();
  });

  it("reports each installation: pending setup, a dead last delivery and a rule Teams made us disable, a stuck queue, success", async () => {
    const s = await seedOrg();
    const now = Date.now();
    const insertIntegration = async (externalId: string, name: string, status: string, organizationId: number | null) => {
      const row = await env.DB.prepare(
        `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
         values ('tenant-doc', ?, ?, ?, 'team', ?, ?, ?, ?) returning id`,
      )
        .bind(externalId, name, ms.serviceUrl, status, organizationId, now, now)
        .first<{ id: number }>();
      return row!.id;
    };
    const tag = crypto.randomUUID().slice(0, 8);
    const pending = await insertIntegration(`19:pending-${tag}@thread.tacv2`, "Pending team", "pending", null);
    const broken = await insertIntegration(`19:broken-${tag}@thread.tacv2`, "Broken team", "active", s.org.id);
    const stuck = await insertIntegration(`19:stuck-${tag}@thread.tacv2`, "Stuck team", "active", s.org.id);
    const fine = await insertIntegration(`19:fine-${tag}@thread.tacv2`, "Fine team", "active", s.org.id);

    const rule = await env.DB.prepare(
      `insert into alert_rules (project_id, name, conditions, integration_id, target_name, target_type, conversation_id, status, status_reason, created_at)
       values (?, 'New issues', '{"newIssue":true}', ?, 'General', 'channel', 'conv-broken', 'disabled', 'Teams refused delivery: BotNotInConversationRoster', ?) returning id`,
    )
      .bind(s.project.id, broken, now)
      .first<{ id: number }>();
    const delivery = (integrationId: number, status: string, lastError: string | null, createdAt: number) =>
      env.DB.prepare(
        `insert into deliveries (kind, integration_id, conversation_id, status, attempts, last_error, created_at, updated_at)
         values ('post', ?, 'conv', ?, 1, ?, ?, ?)`,
      )
        .bind(integrationId, status, lastError, createdAt, createdAt)
        .run();
    await delivery(broken, "delivered", null, now - 60_000);
    await delivery(broken, "dead", "BotNotInConversationRoster: The bot is no longer a member of this conversation.", now);
    await delivery(stuck, "queued", null, now - STUCK_QUEUED_MS - 60_000);
    await delivery(fine, "dead", "connector_http_500: failed", now - 60_000);
    await delivery(fine, "delivered", null, now);

    const { report, text } = await doctor();
    expect(check(report, `Teams installation ${pending} (Pending team)`)).toMatchObject({ ok: false, fix: expect.stringContaining("Complete setup") });
    expect(check(report, `Teams installation ${broken} (Broken team)`)).toMatchObject({
      ok: true,
      integration: { id: broken, teamId: `19:broken-${tag}@thread.tacv2`, status: "active", organizationId: s.org.id },
    });
    const ruleCheck = check(report, `Teams installation ${broken} (Broken team): rule ${rule!.id} (New issues)`);
    expect(ruleCheck).toMatchObject({ ok: false, detail: expect.stringContaining("BotNotInConversationRoster") });
    expect(ruleCheck.fix).toContain("add the app to the team again");
    expect(ruleCheck.fix).toContain(`PATCH /api/admin/rules/${rule!.id}`);
    const dead = check(report, `Teams installation ${broken} (Broken team): last delivery`);
    expect(dead).toMatchObject({ ok: false, detail: expect.stringContaining("failed for good") });
    expect(dead.fix).toContain("add the app to the team again");
    const queued = check(report, `Teams installation ${stuck} (Stuck team): last delivery`);
    expect(queued).toMatchObject({ ok: false, detail: expect.stringContaining("without being picked up") });
    expect(queued.fix).toContain("[[queues.consumers]]");
    // Only the newest delivery counts: an old failure that was followed by a success is not reported.
    expect(check(report, `Teams installation ${fine} (Fine team): last delivery`)).toMatchObject({ ok: true, detail: expect.stringContaining("delivered") });
    expectNoSecrets(text);
  });
});

describe("fetchKeySet (the doctor's probe; also what the worker trusts)", () => {
  const jwk = { kty: "RSA", kid: "k1", n: "AQAB", e: "AQAB", use: "sig", endorsements: ["msteams"] };
  const fakeMicrosoft = (jwksUri: string) =>
    (async (input: RequestInfo | URL) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith("/openidconfiguration")) return Response.json({ jwks_uri: jwksUri });
      if (url === jwksUri) return Response.json({ keys: [jwk] });
      return new Response("no", { status: 404 });
    }) as typeof fetch;

  it("takes an https key set, or plain http only on this machine (the local stand-in of `npm run demo`)", async () => {
    for (const uri of ["https://login.example.test/keys", "http://127.0.0.1:4000/v1/.well-known/keys", "http://localhost:4000/keys"]) {
      const keys = await fetchKeySet("http://127.0.0.1:4000/v1/.well-known/openidconfiguration", fakeMicrosoft(uri));
      expect(keys.map((k) => k.kid), uri).toEqual(["k1"]);
    }
  });

  it("refuses a plain-http key set anywhere else", async () => {
    for (const uri of ["http://login.example.test/keys", "http://127.0.0.1.evil.test/keys", "ftp://127.0.0.1/keys", "not a url"]) {
      await expect(fetchKeySet("https://login.example.test/openidconfiguration", fakeMicrosoft(uri)), uri).rejects.toThrow(/https jwks_uri/);
    }
  });
});
