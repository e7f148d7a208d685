/**
 * Ingest through the EVENTS queue (issue #16): exact counting across batches and redeliveries (a property: any
 * split into consumer batches, with retries and duplicates, gives the counters of serial ingest), a storm on one
 * issue gives one card and throttled refreshes (with the Connector answering 429), dropped-event counts, the event
 * lookup, and key revocation through the key cache.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { ingestBatch } from "../../src/ingest/aggregate";
import { ingestMessage, type IngestMessage } from "../../src/ingest/message";
import { groupEvent } from "../../src/issues/grouping";
import { toNormalizedEvent } from "../../src/issues/ingest-schema";
import { admin, installAndSetUp, settleDeliveries } from "../support/flows";
import { waitForEvents } from "../support/ingest-settle";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import { ALERTS_CHANNEL, newTeamsWorld, TEAM_ID, teamsUser } from "../support/teams";
import { workerFetch } from "../support/worker";

function post(s: SeededOrg, body: Record<string, unknown>, key = s.ingestKey) {
  return workerFetch(`https://alerts.test/api/projects/${s.project.id}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const issueCounters = (projectId: number) =>
  env.DB.prepare(
    // Counters that do not depend on the order events are counted in (first / last release do, in serial ingest too).
    `select fingerprint_hash as hash, times_seen, users_seen, first_seen, last_seen,
       (select count(*) from event_ids e where e.issue_id = g.id) as ids,
       (select group_concat(version) from (select version from releases r where r.project_id = g.project_id order by version)) as releases
     from issues g where project_id = ? order by fingerprint_hash`,
  )
    .bind(projectId)
    .all()
    .then((r) => r.results);

describe("counting is exact across batches and redeliveries", () => {
  const eventArb = fc.record({
    site: fc.constantFrom("charge", "refund", "login"),
    user: fc.option(fc.constantFrom("u1", "u2", "u3", "u4"), { nil: undefined }),
    release: fc.option(fc.constantFrom("1.0.0", "1.1.0"), { nil: undefined }),
    offset: fc.integer({ min: -60_000, max: 60_000 }),
  });

  it("any split into batches, with retries and duplicate deliveries, gives the counters of serial ingest", async () => {
    const now = Date.now();
    const toMessages = async (s: SeededOrg, specs: { site: string; user?: string; release?: string; offset: number }[], ids: string[]) =>
      Promise.all(
        specs.map(async (e, i) => {
          const event = toNormalizedEvent(
            {
              event_id: ids[i],
              timestamp: (now + e.offset) / 1000,
              exception: { values: [{ type: "TypeError", value: "x", stacktrace: { frames: [{ filename: "app.ts", function: e.site, in_app: true }] } }] },
              ...(e.user ? { user: { id: e.user } } : {}),
              ...(e.release ? { release: e.release } : {}),
            },
            now,
          );
          return ingestMessage(s.project.id, now, await groupEvent(event), event);
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 16 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 15 }),
        fc.boolean(),
        async (specs, cuts, replays, failOnce) => {
          const ids = specs.map(() => crypto.randomUUID().replace(/-/g, ""));
          // Serial: one event per batch, in order.
          const serial = await seedOrg();
          for (const m of await toMessages(serial, specs, ids)) await ingestBatch(env, getDb(env.DB), [m], now);
          // Batched: split at random sizes; some messages delivered again in a later batch (queue retries) or twice in
          // one batch; optionally a whole batch delivered twice (a retry after the write succeeded).
          const batched = await seedOrg();
          const messages = await toMessages(batched, specs, ids.map((id) => id.split("").reverse().join("")));
          for (const b of splitWithReplays(messages, cuts, replays, failOnce)) await ingestBatch(env, getDb(env.DB), b, now);
          const [a, b] = await Promise.all([issueCounters(serial.project.id), issueCounters(batched.project.id)]);
          expect(b).toEqual(a);
          expect(a.reduce((n, g) => n + (g.times_seen as number), 0)).toBe(specs.length);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});

/** Queue batches of `messages`: cut at the given sizes, some messages delivered again, maybe a whole batch twice. */
function splitWithReplays<T>(messages: T[], cuts: number[], replays: number[], failOnce: boolean): T[][] {
  const batches: T[][] = [];
  for (let i = 0, c = 0; i < messages.length; c++) {
    const size = cuts[c % cuts.length];
    batches.push(messages.slice(i, i + size));
    i += size;
  }
  replays.forEach((r, k) => batches[(r + k) % batches.length].push(messages[r % messages.length]));
  if (failOnce) batches.push(batches[0]);
  return batches;
}

describe("counting is exact through the project's ingest buffer", () => {
  it("any split into queue batches, with redeliveries, flushes at any point and flushes that wrote but did not clear the buffer, gives the counters of serial ingest", async () => {
    const now = Date.now();
    const toMessages = async (projectId: number, sites: string[], ids: string[]) =>
      Promise.all(
        sites.map(async (site, i) => {
          const event = toNormalizedEvent(
            { event_id: ids[i], timestamp: now / 1000, user: { id: `u${i % 3}` }, exception: { values: [{ type: "TypeError", value: "x", stacktrace: { frames: [{ filename: "app.ts", function: site, in_app: true }] } }] } },
            now,
          );
          return ingestMessage(projectId, now, await groupEvent(event), event);
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("charge", "refund", "login"), { minLength: 1, maxLength: 16 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 15 }),
        fc.boolean(),
        // Per queue batch: flush after it? and did that flush "crash" after D1 wrote, before the buffer was cleared?
        fc.array(fc.record({ flush: fc.boolean(), crash: fc.boolean() }), { minLength: 1, maxLength: 20 }),
        async (sites, cuts, replays, failOnce, steps) => {
          const ids = sites.map(() => crypto.randomUUID().replace(/-/g, ""));
          const serial = await seedOrg();
          for (const m of await toMessages(serial.project.id, sites, ids)) await ingestBatch(env, getDb(env.DB), [m], now);

          const buffered = await seedOrg();
          const stub = env.INGEST_BUFFER.get(env.INGEST_BUFFER.idFromName(String(buffered.project.id)));
          const messages = await toMessages(buffered.project.id, sites, ids.map((id) => id.split("").reverse().join("")));
          const batches = splitWithReplays(messages, cuts, replays, failOnce);
          for (const [k, b] of batches.entries()) {
            await stub.add(b);
            const step = steps[k % steps.length];
            if (!step.flush) continue;
            const waiting: IngestMessage[] = await runInDurableObject(stub, (_, state) =>
              state.storage.sql.exec<{ body: string }>("select body from buffered order by seq").toArray().map((r) => JSON.parse(r.body) as IngestMessage),
            );
            await runDurableObjectAlarm(stub);
            // The state after a flush that wrote to D1 and died before deleting: the same events still buffered.
            if (step.crash && waiting.length) await stub.add(waiting);
          }
          // Drain: the alarms flush what is left.
          for (let i = 0; i < 200 && (await stub.stats()).waiting > 0; i++) {
            if (!(await runDurableObjectAlarm(stub))) await new Promise((r) => setTimeout(r, 20));
          }
          expect((await stub.stats()).waiting).toBe(0);
          const [a, b] = await Promise.all([issueCounters(serial.project.id), issueCounters(buffered.project.id)]);
          expect(b).toEqual(a);
          expect(b.reduce((n, g) => n + (g.times_seen as number), 0)).toBe(sites.length);
        },
      ),
      { numRuns: 15, endOnFailure: true },
    );
  }, 180_000);
});

describe("storms: one issue, many issues at once", () => {
  let ms: MicrosoftStandIn;
  beforeEach(async () => {
    newTeamsWorld();
    ms = await startMicrosoftStandIn();
    ms.connector.teams.set(TEAM_ID, { details: { id: TEAM_ID, name: "Platform" }, channels: [{ id: TEAM_ID, name: null }, { id: ALERTS_CHANNEL, name: "Alerts" }] });
    ms.connector.members.set(TEAM_ID, []);
  });
  afterEach(async () => {
    await settleDeliveries().catch(() => {});
    ms.stop();
  });

  it("200 events, the Connector answering 429 at first: one card, every event counted, refreshes at most one per card per 30 s, the cron refreshes the rest once", async () => {
    const s = await seedOrg();
    const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", "ada@example.com"));
    const rule = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "Every new issue", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } },
    });
    expect(rule.status).toBe(201);
    await env.DB.prepare("update projects set rate_limit_per_minute = 100000 where id = ?").bind(s.project.id).run();
    for (let i = 0; i < 4; i++) ms.connector.enqueue({ status: 429, headers: { "Retry-After": "1" } }, { method: "POST" });
    const body = { message: "Ledger unavailable", exception: { values: [{ type: "LedgerError", value: "down" }] } };
    const ids: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(s, body)));
      for (const res of answers) {
        expect(res.status).toBe(200);
        ids.push(((await res.json()) as { id: string }).id);
      }
    }
    const issues = new Set((await waitForEvents(ids)).values());
    expect(issues.size).toBe(1);
    const [issueId] = [...issues] as number[];
    await settleDeliveries();
    const issue = await env.DB.prepare("select times_seen from issues where id = ?").bind(issueId).first<{ times_seen: number }>();
    expect(issue?.times_seen).toBe(200);
    const delivered = await env.DB.prepare("select kind, status from deliveries where issue_id = ?").bind(issueId).all<{ kind: string; status: string }>();
    expect(delivered.results.filter((d) => d.kind === "post")).toEqual([{ kind: "post", status: "delivered" }]);
    // All 200 events within 30 s of the card: no refresh yet (the next one comes at most once per interval).
    expect(delivered.results.filter((d) => d.kind === "update").length).toBeLessThanOrEqual(1);
    const posted = ms.connector.calls.filter((c) => c.method === "POST" && c.segments[2] === ALERTS_CHANNEL && c.segments.length === 4 && c.status < 300);
    expect(posted).toHaveLength(1);

    // 31 s later (the card's posted_at moved back), the next batch claims one refresh of the card; a second batch doesn't.
    await env.DB.prepare("update notification_messages set posted_at = posted_at - 31000 where issue_id = ?").bind(issueId).run();
    const more: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await post(s, body);
      more.push(((await res.json()) as { id: string }).id);
      await waitForEvents([more.at(-1)!]);
    }
    await settleDeliveries();
    const updates = await env.DB.prepare("select count(*) as n from deliveries where issue_id = ? and kind = 'update'").bind(issueId).first<{ n: number }>();
    expect(updates?.n).toBe(1);

    // The storm's last event lands within 30 s of that refresh: not refreshed at ingest; the cron's pass refreshes the
    // card once (the trailing edge), and cuts the event sample back to the first and the latest 10.
    const { id: lastId } = (await (await post(s, body)).json()) as { id: string };
    await waitForEvents([lastId]);
    const { runScheduled, EVENTS_KEPT_PER_ISSUE } = await import("../../src/maintenance/scheduled");
    expect((await runScheduled(env, Date.now() + 31_000)).refreshed).toBe(1);
    expect((await runScheduled(env, Date.now() + 32_000)).refreshed).toBe(0);
    await settleDeliveries();
    const after = await env.DB.prepare("select count(*) as n from deliveries where issue_id = ? and kind = 'update' and status = 'delivered'").bind(issueId).first<{ n: number }>();
    expect(after?.n).toBe(2);
    const kept = await env.DB.prepare("select count(*) as n from events where issue_id = ?").bind(issueId).first<{ n: number }>();
    expect(kept?.n).toBeLessThanOrEqual(EVENTS_KEPT_PER_ISSUE + 1);
    expect(kept?.n).toBeGreaterThan(1);
    const first = await env.DB.prepare("select json_extract(data, '$.eventId') as id from issue_activity where issue_id = ? and type = 'first_seen'").bind(issueId).first<{ id: string }>();
    expect(await env.DB.prepare("select count(*) as n from events where id = ?").bind(first!.id).first("n")).toBe(1);
  }, 120_000);

  // D1 binds at most 100 parameters per statement: a flush's inserts must be cut to fit.
  it("30 new issues counted at once: 30 deliveries written (more rows than one insert statement may bind) and 30 cards posted", async () => {
    const s = await seedOrg();
    const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", "ada@example.com"));
    const rule = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "Every new issue", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } },
    });
    expect(rule.status).toBe(201);
    const now = Date.now();
    const messages = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        // Names without digits: grouping normalises numbers, so "failure 1" and "failure 2" would be one issue.
        const name = `${"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26]}${i >= 26 ? "Again" : ""}Error`;
        const event = toNormalizedEvent({ level: "error", exception: { values: [{ type: name, value: "failed" }] } }, now);
        return ingestMessage(s.project.id, now, await groupEvent(event), event);
      }),
    );
    const { issues, rejected } = await ingestBatch(env, getDb(env.DB), messages, now);
    expect(rejected).toEqual([]);
    expect(issues.filter((i) => i.isNew)).toHaveLength(30);
    await settleDeliveries();
    const rows = await env.DB.prepare("select d.kind, d.status from deliveries d join issues i on i.id = d.issue_id where i.project_id = ?").bind(s.project.id).all<{ kind: string; status: string }>();
    expect(rows.results).toHaveLength(30);
    expect(rows.results.every((d) => d.kind === "post" && d.status === "delivered")).toBe(true);
    const posted = ms.connector.calls.filter((c) => c.method === "POST" && c.segments[2] === ALERTS_CHANNEL && c.segments.length === 4 && c.status < 300);
    expect(posted).toHaveLength(30);
  }, 120_000);

  it("a failed flush of 40 events is kept whole as 40 dead letters (more rows than one insert statement may bind)", async () => {
    const s = await seedOrg();
    const { recordIngestDeadLetters } = await import("../../src/db/ingest-dead-letters");
    const rows = Array.from({ length: 40 }, (_, i) => ({ projectId: s.project.id, eventId: `${i}`.padStart(32, "0"), reason: "flush_failed", body: `{"n":${i}}` }));
    await recordIngestDeadLetters(getDb(env.DB), rows, Date.now());
    const kept = await env.DB.prepare("select event_id as eventId, body from ingest_dead_letters where project_id = ? order by id").bind(s.project.id).all<{ eventId: string; body: string }>();
    expect(kept.results).toEqual(rows.map((r) => ({ eventId: r.eventId, body: r.body })));
  });
});

describe("outcomes, the event lookup and revocation", () => {
  it("counts events refused over the rate limit per project and reason; the admin API shows them", async () => {
    const s = await seedOrg();
    await env.DB.prepare("update projects set rate_limit_per_minute = 1 where id = ?").bind(s.project.id).run();
    expect((await post(s, { message: "in" })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await post(s, { message: "over" })).status).toBe(429);
    // Written about a second after the first refusal (one D1 call per isolate per second in a storm).
    let outcomes: { dropped: Record<string, number>; minutes: unknown[] } = { dropped: {}, minutes: [] };
    for (let i = 0; i < 100 && !outcomes.dropped.rate_limited; i++) {
      await new Promise((r) => setTimeout(r, 50));
      outcomes = (await (await admin(`/projects/${s.project.id}/outcomes`)).json()) as typeof outcomes;
    }
    expect(outcomes.dropped).toEqual({ rate_limited: 3 });
    expect(outcomes.minutes).toHaveLength(1);
  });

  it("GET /api/admin/events/:id: 404 until counted, then the issue", async () => {
    const s = await seedOrg();
    expect((await admin(`/events/${"0".repeat(32)}`)).status).toBe(404);
    const { id } = (await (await post(s, { message: "where did it go" })).json()) as { id: string };
    const [issueId] = (await waitForEvents([id])).values();
    const res = await admin(`/events/${id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, projectId: s.project.id, issueId });
  });

  it("a key revoked through the admin API stops working at once, although ingest had cached it", async () => {
    const s = await seedOrg();
    expect((await post(s, { message: "cached" })).status).toBe(200);
    const keys = (await (await admin(`/projects/${s.project.id}`)).json()) as { keys: { id: number; publicKey: string }[] };
    const keyId = keys.keys[0].id;
    expect((await admin(`/projects/${s.project.id}/keys/${keyId}`, { method: "DELETE" })).status).toBe(204);
    expect((await post(s, { message: "after revocation" })).status).toBe(401);
  });
});
