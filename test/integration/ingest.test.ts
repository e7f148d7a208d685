import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getIssue } from "../../src/db/issues";
import { seedOrg, snapshotCounts, type SeededOrg } from "../support/seed";
import { ingestOutcome, waitForEvents } from "../support/ingest-settle";
import { workerFetch } from "../support/worker";

function ingest(s: SeededOrg, body: unknown, opts: { key?: string | null; projectId?: number; raw?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = opts.key === undefined ? s.ingestKey : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return workerFetch(`https://alerts.test/api/projects/${opts.projectId ?? s.project.id}/events`, {
    method: "POST",
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
}

const exceptionAt = (fn: string, file = "src/handler.ts", lineno = 10, value = "boom") => ({
  exception: {
    values: [
      {
        type: "TypeError",
        value,
        stacktrace: {
          frames: [
            { filename: "node_modules/lib.js", function: "dispatch", lineno: 1, in_app: false },
            { filename: file, function: fn, lineno, in_app: true },
          ],
        },
      },
    ],
  },
});

/** A 200 answering the event id; then, once the consumer counted it, what it did (read from D1). */
async function ok(res: Response) {
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["id"]);
  return ingestOutcome(body.id as string);
}

describe("ingest API: grouping", () => {
  it("creates an issue with a short id, then issues the same site together (line numbers ignored)", async () => {
    const s = await seedOrg({ prefix: "API" });
    const a = await ok(await ingest(s, { ...exceptionAt("handle", "src/handler.ts", 10), release: "1.0.0", environment: "prod" }));
    expect(a).toMatchObject({ shortId: "API-1", isNew: true, isRegression: false });
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    const b = await ok(await ingest(s, exceptionAt("handle", "src/handler.ts", 99, "other value")));
    expect(b).toMatchObject({ issueId: a.issueId, isNew: false });
    const g = (await getIssue(s.db, a.issueId))!;
    expect(g).toMatchObject({
      title: "TypeError: boom",
      culprit: "src/handler.ts in handle",
      level: "error",
      timesSeen: 2,
      firstRelease: "1.0.0",
      lastRelease: "1.0.0",
      lastEnvironment: "prod",
      status: "unresolved",
      substatus: "new",
    });
    expect(g.metadata).toMatchObject({ type: "TypeError", value: "boom", function: "handle" });
  });

  it("different in-app sites are different issues; short ids count up in base 36", async () => {
    const s = await seedOrg({ prefix: "WEB" });
    const ids = new Set<number>();
    for (let i = 0; i < 11; i++) ids.add((await ok(await ingest(s, exceptionAt(`fn${i}`)))).issueId);
    expect(ids.size).toBe(11);
    const last = await ok(await ingest(s, exceptionAt("fn-last")));
    expect(last.shortId).toBe("WEB-C");
  });

  it("messages group with numbers and ids normalised", async () => {
    const s = await seedOrg();
    const a = await ok(await ingest(s, { message: "Timeout after 30s for user 81f2c3d4-1111-2222-3333-444455556666", level: "warning" }));
    const b = await ok(await ingest(s, { message: "Timeout after 45s for user 9ab0c3d4-1111-2222-3333-444455556666" }));
    const c = await ok(await ingest(s, { message: "Connection refused" }));
    expect(b.issueId).toBe(a.issueId);
    expect(c.issueId).not.toBe(a.issueId);
    expect((await getIssue(s.db, a.issueId))!.level).toBe("warning");
  });

  it("an explicit fingerprint wins; {{ default }} combines with the default grouping", async () => {
    const s = await seedOrg();
    const a = await ok(await ingest(s, { ...exceptionAt("one"), fingerprint: ["db-down"] }));
    const b = await ok(await ingest(s, { ...exceptionAt("two"), fingerprint: ["db-down"] }));
    expect(b.issueId).toBe(a.issueId);
    const c = await ok(await ingest(s, { ...exceptionAt("one"), fingerprint: ["{{ default }}", "eu"] }));
    const d = await ok(await ingest(s, { ...exceptionAt("one"), fingerprint: ["{{default}}", "us"] }));
    const e = await ok(await ingest(s, { ...exceptionAt("one"), fingerprint: ["{{ default }}", "eu"] }));
    expect(new Set([a.issueId, c.issueId, d.issueId]).size).toBe(3);
    expect(e.issueId).toBe(c.issueId);
  });

  it("the same event id twice counts once", async () => {
    const s = await seedOrg();
    const event_id = "0123456789abcdef0123456789abcdef";
    const a = await ok(await ingest(s, { ...exceptionAt("dup"), event_id }));
    const again = await ingest(s, { ...exceptionAt("dup"), event_id });
    expect(await again.json()).toEqual({ id: event_id });
    // The queue hands messages over in the order they were sent: once a later event is counted, the repeat was seen.
    const later = await ok(await ingest(s, exceptionAt("dup")));
    expect(later.issueId).toBe(a.issueId);
    expect((await getIssue(s.db, a.issueId))!.timesSeen).toBe(2);
    const stored = await env.DB.prepare("select count(*) as n from event_ids where id = ?").bind(event_id).first<{ n: number }>();
    expect(stored?.n).toBe(1);
  });

  it("counts distinct users and writes a first_seen audit row", async () => {
    const s = await seedOrg();
    const a = await ok(await ingest(s, { message: "x", user: { id: "u1" } }));
    await ok(await ingest(s, { message: "x", user: { id: "u1" } }));
    await ok(await ingest(s, { message: "x", user: { email: "b@example.com" } }));
    const g = (await getIssue(s.db, a.issueId))!;
    expect(g).toMatchObject({ timesSeen: 3, usersSeen: 2 });
    const audit = await env.DB.prepare("select type, source, actor_kind from issue_activity where issue_id = ?").bind(a.issueId).all();
    expect(audit.results).toEqual([{ type: "first_seen", source: "ingest", actor_kind: "system" }]);
  });
});

describe("ingest API: bad input writes nothing", () => {
  it("rejects missing, malformed and foreign keys with 401", async () => {
    const s = await seedOrg();
    const other = await seedOrg();
    const before = await snapshotCounts();
    for (const [key, code] of [
      [null, "missing_key"],
      ["nope", "invalid_key"],
      [other.ingestKey, "invalid_key"],
    ] as const) {
      const res = await ingest(s, { message: "x" }, { key });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const wrongScheme = await workerFetch(`https://alerts.test/api/projects/${s.project.id}/events`, {
      method: "POST",
      headers: { authorization: `Basic ${s.ingestKey}` },
      body: "{}",
    });
    expect(wrongScheme.status).toBe(401);
    expect(await snapshotCounts()).toEqual(before);
  });

  it("answers 400 naming the field, 413 over 200 KB", async () => {
    const s = await seedOrg();
    const before = await snapshotCounts();
    const cases: [unknown, string | null, number, string][] = [
      [null, "{not json", 400, "malformed_body"],
      [null, "[1,2]", 400, "malformed_body"],
      [{}, null, 400, "message"],
      [{ message: 42 }, null, 400, "message"],
      [{ message: "x", level: "loud" }, null, 400, "level"],
      [{ exception: { values: [{ value: "no type" }] } }, null, 400, "exception"],
      [{ message: "x", timestamp: "yesterday-ish" }, null, 400, "timestamp"],
      [{ message: "x", event_id: "zz" }, null, 400, "event_id"],
      [{ message: "x", tags: { k: 5 } }, null, 400, "tags"],
      [{ message: "x".repeat(210 * 1024) }, null, 413, "payload_too_large"],
    ];
    for (const [body, raw, status, mention] of cases) {
      const res = await ingest(s, body, { raw: raw ?? undefined });
      expect(res.status, JSON.stringify(body)?.slice(0, 80)).toBe(status);
      expect(await res.text()).toContain(mention);
    }
    expect(await snapshotCounts()).toEqual(before);
  });

  it("unknown project id → 401/404 without writes", async () => {
    const s = await seedOrg();
    expect((await ingest(s, { message: "x" }, { projectId: 999999 })).status).toBe(401);
    expect((await ingest(s, { message: "x" }, { projectId: -1 as unknown as number })).status).toBe(404);
  });
});

describe("ingest API: the project's rate limit (issue #15 item 2)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("25 events at a limit of 10/min: 10 accepted, 15 refused with 429, Retry-After and X-Sentry-Rate-Limits", async () => {
    // Pinned mid-minute so every request shares one window and Retry-After is exact.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(minute + 20_000);
    const s = await seedOrg();
    await env.DB.prepare("update projects set rate_limit_per_minute = 10 where id = ?").bind(s.project.id).run();
    const statuses: number[] = [];
    const accepted: string[] = [];
    for (let i = 0; i < 25; i++) {
      // Every event its own issue: without the limit each would open (and alert on) a new issue.
      const res = await ingest(s, exceptionAt(`handler${i}`));
      statuses.push(res.status);
      if (res.status === 200) accepted.push(((await res.clone().json()) as { id: string }).id);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBe("40");
        expect(res.headers.get("x-sentry-rate-limits")).toBe("40:error:project");
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
      }
    }
    expect(statuses).toEqual([...Array(10).fill(200), ...Array(15).fill(429)]);
    await waitForEvents(accepted);
    const issues = await env.DB.prepare("select count(*) as n from issues where project_id = ?").bind(s.project.id).first<{ n: number }>();
    expect(issues?.n).toBe(10);
  });

  it("shares one window with the Sentry routes", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(minute + 1_000);
    const s = await seedOrg();
    await env.DB.prepare("update projects set rate_limit_per_minute = 2 where id = ?").bind(s.project.id).run();
    const envelope = `{}\n{"type":"event"}\n${JSON.stringify({ message: "via envelope", level: "error" })}\n`;
    const viaSentry = await workerFetch(`https://alerts.test/api/${s.project.id}/envelope/?sentry_key=${s.ingestKey}`, { method: "POST", body: envelope });
    expect(viaSentry.status).toBe(200);
    expect((await ingest(s, { message: "one" })).status).toBe(200);
    expect((await ingest(s, { message: "two" })).status).toBe(429);
  });

  it("refuses nothing before validation: a bad body is 400 and uses no quota", async () => {
    const s = await seedOrg();
    await env.DB.prepare("update projects set rate_limit_per_minute = 1 where id = ?").bind(s.project.id).run();
    expect((await ingest(s, {}, { raw: "{not json" })).status).toBe(400);
    expect((await ingest(s, { message: "x", level: "loud" })).status).toBe(400);
    expect((await ingest(s, { message: "counted" })).status).toBe(200);
    expect((await ingest(s, { message: "over" })).status).toBe(429);
  });
});
