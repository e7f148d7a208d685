/**
 * The real Sentry SDKs against the real worker (Miniflare on 127.0.0.1, local D1): @sentry/node with nothing but a
 * DSN pointing at us, and the browser-style envelope path through @sentry/core's transport (auth in the query
 * string, CORS), asserting the issues that land in D1.
 */
import http from "node:http";
import * as SentryCore from "@sentry/core";
import * as Sentry from "@sentry/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type SeededProject, type WorkerHarness } from "./support/worker-harness";

type IssueRow = { id: number; title: string; culprit: string; level: string; type: string; times_seen: number; first_release: string | null; last_environment: string | null };

let worker: WorkerHarness;
let project: SeededProject;

beforeAll(async () => {
  worker = await startWorker();
  project = await worker.seed.project({ shortIdPrefix: "NODE" });
  Sentry.init({
    dsn: project.dsn,
    release: "sdk-test@1.0.0",
    environment: "staging",
    // Nothing but the transport: no auto-instrumentation, no global handlers in the test process.
    defaultIntegrations: false,
    integrations: [],
    sendClientReports: true,
  });
});

afterAll(async () => {
  await Sentry.close(2000);
  await worker?.dispose();
});

function issuesOf(projectId: number) {
  return worker.query<IssueRow>(
    "select id, title, culprit, level, type, times_seen, first_release, last_environment from issues where project_id = ? order by id",
    projectId,
  );
}

/** Ingest answers before it writes (the EVENTS queue): wait until the consumer counted these events. */
async function counted(ids: string[]): Promise<void> {
  await until(async () => (await worker.query<{ n: number }>("select count(*) as n from event_ids where id in (select value from json_each(?))", JSON.stringify(ids)))[0].n === ids.length);
}

/** …or, when the SDK made the ids, until the project has `n` counted events. */
async function projectCounted(projectId: number, n: number): Promise<void> {
  await until(async () => (await worker.query<{ n: number }>("select count(*) as n from event_ids where project_id = ?", projectId))[0].n >= n);
}

async function until(done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not counted within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Two sites that throw. Names matter: grouping uses in-app frames' module + function.
function chargeCard(attempt: number): never {
  throw new TypeError(`Card declined on attempt ${attempt}`);
}
function refundCard(): never {
  throw new TypeError("Card declined on attempt 1");
}

function captureThrown(fn: () => never): string {
  try {
    fn();
  } catch (err) {
    return Sentry.captureException(err);
  }
  throw new Error("did not throw");
}

describe("@sentry/node against the worker", () => {
  it("captures exceptions: same site issues together, another site does not", async () => {
    const ids: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) ids.push(captureThrown(() => chargeCard(attempt)));
    ids.push(captureThrown(() => refundCard()));
    expect(await Sentry.flush(5000)).toBe(true);
    await counted(ids);

    const issues = await issuesOf(project.projectId);
    expect(issues).toHaveLength(2);
    // The SDK sends concurrently: which issue is created first, and which event titles it, is a race.
    const charge = issues.find((g) => g.culprit.endsWith(" in chargeCard"))!;
    const refund = issues.find((g) => g.culprit.endsWith(" in refundCard"))!;
    expect(charge.title).toMatch(/^TypeError: Card declined on attempt [12]$/);
    expect(charge).toMatchObject({
      level: "error",
      type: "error",
      times_seen: 2,
      first_release: "sdk-test@1.0.0",
      last_environment: "staging",
    });
    // Culprit = the crashing in-app frame: "<module of this file> in chargeCard".
    expect(charge.culprit).toMatch(/sentry-sdk\.test.* in chargeCard$/);
    expect(refund).toMatchObject({ title: "TypeError: Card declined on attempt 1", times_seen: 1 });
    expect(refund.culprit).toMatch(/ in refundCard$/);

    const events = await worker.query<{ id: string; issue_id: number }>(
      "select id, issue_id from events where project_id = ? order by received_at",
      project.projectId,
    );
    expect(events.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(events.filter((e) => e.issue_id === charge.id)).toHaveLength(2);
  });

  it("captures messages: grouped by the normalised message, with level", async () => {
    const p = await worker.seed.project();
    const client = isolatedClient(p.dsn);
    client.scope.captureMessage("Payment provider timed out after 30s", "warning");
    client.scope.captureMessage("Payment provider timed out after 45s", "warning");
    client.scope.captureMessage("Nightly export finished", "info");
    expect(await client.flush()).toBe(true);
    await projectCounted(p.projectId, 3);

    const issues = await issuesOf(p.projectId);
    const summary = issues.map((g) => [g.title.replace(/\d+s$/, "<n>s"), g.level, g.type, g.times_seen]);
    // Sent concurrently: either timeout message may create (and title) the issue, and either issue may come first.
    expect(summary).toHaveLength(2);
    expect(summary).toEqual(
      expect.arrayContaining([
        ["Payment provider timed out after <n>s", "warning", "default", 2],
        ["Nightly export finished", "info", "default", 1],
      ]),
    );
    await client.close();
  });

  it("keeps tags, user and a {{ default }} fingerprint", async () => {
    const eventId = Sentry.withScope((scope) => {
      scope.setTag("tenant", "acme");
      scope.setUser({ id: "user-7", email: "ann@example.com" });
      scope.setFingerprint(["{{ default }}", "acme"]);
      scope.setLevel("fatal");
      try {
        chargeCard(3);
      } catch (err) {
        return Sentry.captureException(err);
      }
      return "";
    });
    expect(await Sentry.flush(5000)).toBe(true);
    await counted([eventId]);
    const [event] = await worker.query<{ tags: string; user: string; level: string; issue_id: number }>(
      "select tags, user, level, issue_id from events where id = ?",
      eventId,
    );
    expect(event.level).toBe("fatal");
    expect(JSON.parse(event.tags)).toMatchObject({ tenant: "acme", handled: "yes", mechanism: "generic" });
    expect(JSON.parse(event.user)).toMatchObject({ id: "user-7", email: "ann@example.com" });
    // {{ default }} + "acme" is its own issue, apart from the plain chargeCard one.
    const issues = await issuesOf(project.projectId);
    const own = issues.find((g) => g.id === event.issue_id)!;
    expect(own).toMatchObject({ title: "TypeError: Card declined on attempt 3", level: "fatal", times_seen: 1 });
    expect(issues.filter((g) => g.title.startsWith("TypeError: Card declined")).length).toBe(3);
  });

  it("sends large events gzip-compressed, and they are ingested", async () => {
    const p = await worker.seed.project();
    const encodings: (string | undefined)[] = [];
    // Observe what the SDK's own transport sends, without changing it.
    const spyHttp = {
      request: ((options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) => {
        encodings.push((options.headers as Record<string, string>)["content-encoding"]);
        return http.request(options, callback);
      }) as typeof http.request,
    };
    const client = isolatedClient(p.dsn, { transportOptions: { httpModule: spyHttp } });
    const bigContext: Record<string, string> = {};
    for (let i = 0; i < 40; i++) bigContext[`k${i}`] = "y".repeat(200);
    const bigMessage = "Large event " + "z".repeat(40_000);
    client.scope.setContext("big1", bigContext);
    client.scope.setExtra("payload", "x".repeat(40_000));
    client.scope.captureMessage(bigMessage, "error");
    expect(await client.flush()).toBe(true);
    await projectCounted(p.projectId, 1);
    expect(encodings).toContain("gzip");
    const issues = await issuesOf(p.projectId);
    expect(issues).toHaveLength(1);
    expect(issues[0].title.startsWith("Large event zzz")).toBe(true);
    await client.close();
  });

  it("obeys our 429: the SDK holds back errors after X-Sentry-Rate-Limits", async () => {
    await awayFromMinuteBoundary(); // both events must fall in one fixed window
    const p = await worker.seed.project({ rateLimitPerMinute: 1 });
    const statuses: number[] = [];
    const spyHttp = {
      request: ((options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) =>
        http.request(options, (res) => {
          statuses.push(res.statusCode ?? 0);
          callback(res);
        })) as typeof http.request,
    };
    const client = isolatedClient(p.dsn, { transportOptions: { httpModule: spyHttp } });
    client.scope.captureMessage("first");
    expect(await client.flush()).toBe(true);
    client.scope.captureMessage("second");
    expect(await client.flush()).toBe(true);
    client.scope.captureMessage("third");
    await client.flush();
    expect(statuses.slice(0, 2)).toEqual([200, 429]);
    // The third never left the process: the SDK parsed our X-Sentry-Rate-Limits ("error" category). Exactly two
    // events reached the counter (later requests, if any, are client reports of the drop, which do not count).
    const [window] = await worker.query<{ count: number }>("select count from rate_limit_windows where key = ?", `sentry:project:${p.projectId}`);
    expect(window.count).toBe(2);
    await projectCounted(p.projectId, 1);
    expect((await issuesOf(p.projectId)).map((g) => g.title)).toEqual(["first"]);
    await client.close();
  });
});

describe("browser-style envelopes (@sentry/core transport, auth in the query string)", () => {
  it("sends an event envelope cross-origin and answers CORS", async () => {
    const p = await worker.seed.project();
    const dsn = SentryCore.makeDsn(p.dsn)!;
    const url = SentryCore.getEnvelopeEndpointWithUrlEncodedAuth(dsn, undefined, { name: "sentry.javascript.browser", version: "11.12.0" });
    expect(url).toContain(`sentry_key=${p.publicKey}`);
    expect(url.startsWith(`${worker.url}/api/${p.projectId}/envelope/`)).toBe(true);

    // Preflight, as a browser would send if a custom header were added.
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");

    const responses: Response[] = [];
    // The browser SDK's fetch transport, reduced to what matters: text/plain body, no auth header.
    const transport = SentryCore.createTransport({ recordDroppedEvent: () => {} }, async (request) => {
      const res = await fetch(url, {
        method: "POST",
        body: request.body as BodyInit,
        headers: { origin: "https://shop.example.com", "content-type": "text/plain;charset=UTF-8" },
      });
      responses.push(res.clone());
      return {
        statusCode: res.status,
        headers: { "x-sentry-rate-limits": res.headers.get("x-sentry-rate-limits"), "retry-after": res.headers.get("retry-after") },
      };
    });

    const eventId = SentryCore.uuid4();
    const event = {
      event_id: eventId,
      timestamp: Date.now() / 1000,
      platform: "javascript",
      level: "error" as const,
      release: "web@3.1.0",
      environment: "production",
      transaction: "/checkout",
      exception: {
        values: [
          {
            type: "ReferenceError",
            value: "cart is not defined",
            mechanism: { type: "onerror", handled: false },
            stacktrace: {
              frames: [
                { filename: "https://shop.example.com/static/vendor.js", function: "dispatch", lineno: 1, in_app: false },
                { filename: "https://shop.example.com/static/app.js", function: "submitOrder", lineno: 88, in_app: true },
              ],
            },
          },
        ],
      },
      request: { url: "https://shop.example.com/checkout", headers: { "User-Agent": "Mozilla/5.0" } },
      sdk: { name: "sentry.javascript.browser", version: "11.12.0" },
    };
    const envelope = SentryCore.createEnvelope<SentryCore.EventEnvelope>(
      { event_id: eventId, sent_at: new Date().toISOString(), sdk: event.sdk },
      [[{ type: "event" }, event]],
    );
    await transport.send(envelope);
    expect(responses).toHaveLength(1);
    expect(responses[0].status).toBe(200);
    expect(responses[0].headers.get("access-control-allow-origin")).toBe("*");
    expect(await responses[0].json()).toEqual({ id: eventId });
    await counted([eventId]);

    const issues = await issuesOf(p.projectId);
    expect(issues).toEqual([
      expect.objectContaining({
        title: "ReferenceError: cart is not defined",
        culprit: "/checkout", // the transaction, as Sentry uses it for JS
        level: "error",
        first_release: "web@3.1.0",
      }),
    ]);

    // A session update and a client report in one envelope: accepted, nothing stored.
    const other = SentryCore.createEnvelope<SentryCore.Envelope>({ sent_at: new Date().toISOString() }, [
      [{ type: "session" }, { sid: SentryCore.uuid4(), init: true, started: new Date().toISOString(), status: "ok", errors: 0 }],
      [{ type: "client_report" }, { timestamp: Date.now() / 1000, discarded_events: [{ reason: "sample_rate", category: "error", quantity: 1 }] }],
    ] as never);
    await transport.send(other);
    expect(responses[1].status).toBe(200);
    expect((await issuesOf(p.projectId)).length).toBe(1);
  });
});

/** A second, independent SDK client (own DSN, own scope), as an app with two projects would have. */
function isolatedClient(dsn: string, extra: Partial<Sentry.NodeOptions> = {}) {
  const client = new Sentry.NodeClient({
    dsn,
    transport: Sentry.makeNodeTransport,
    stackParser: Sentry.defaultStackParser,
    integrations: [],
    release: "sdk-test@1.0.0",
    ...extra,
  } as never);
  const scope = new Sentry.Scope();
  scope.setClient(client);
  client.init();
  return { scope, flush: () => client.flush(5000), close: () => client.close(2000) };
}

/** Waits for the next minute when the current one is about to end (fixed rate-limit windows are per minute). */
async function awayFromMinuteBoundary(marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}
