/**
 * Faults at every boundary: D1 failing in the middle of a request (made to fail for real, with a trigger that
 * aborts the request's last insert), the bot token missing from or stale in KV, the token endpoint down then
 * back, and the Connector answering 5xx or dropping connections while alerts are delivered.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearBotTokenCache } from "../../src/bot/token-client";
import { consumeEvents, MAX_RETRIES } from "../../src/ingest/consumer";
import { MAX_FAILED_FLUSHES } from "../../src/ingest/ingest-buffer";
import { ingestMessage } from "../../src/ingest/message";
import { groupEvent } from "../../src/issues/grouping";
import { toNormalizedEvent } from "../../src/issues/ingest-schema";
import { ingestOutcome } from "../support/ingest-settle";
import { admin, ingest, installAndSetUp, link, settleDeliveries } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, snapshotCounts } from "../support/seed";
import { ALERTS_CHANNEL, cardSubmit, dispatch, newTeamsWorld, personalChatId, personalMessage, sendActivity, TEAM_ID, teamsUser } from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  ms.connector.teams.set(TEAM_ID, { details: { id: TEAM_ID, name: "Platform" }, channels: [{ id: TEAM_ID, name: null }, { id: ALERTS_CHANNEL, name: "Alerts" }] });
  ms.connector.members.set(TEAM_ID, []);
});
afterEach(async () => {
  await env.DB.prepare("drop trigger if exists fault_injection").run();
  await settleDeliveries().catch(() => {});
  ms.stop();
});

/** Makes every insert into `table` fail from now on (D1 aborts the whole batch it is in). */
async function failInsertsInto(table: string) {
  await env.DB.prepare(`create trigger fault_injection before insert on ${table} begin select raise(abort, 'injected fault'); end`).run();
}

async function postEvent(key: string, projectId: number, body: Record<string, unknown>) {
  return dispatch(
    new Request(`https://alerts.test/api/projects/${projectId}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

describe("D1 fails in the middle of a request", () => {
  it("ingest of a new issue: the buffer's failed flush leaves no group, event or user row; its next flush counts it once", async () => {
    const s = await seedOrg();
    const body = { message: "Ledger write failed", release: "9.9.9", event_id: crypto.randomUUID().replace(/-/g, ""), user: { id: "u1" } };
    const before = await snapshotCounts();
    const failures = vi.spyOn(console, "error");
    await failInsertsInto("issue_activity"); // the flush's write batch's last insert
    const res = await postEvent(s.ingestKey, s.project.id, body);
    // Accepted: the answer comes after the queue took the event, before any D1 write.
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: body.event_id });
    await vi.waitFor(() => expect(failures.mock.calls.some((c) => c[0] === "ingest flush failed")).toBe(true), { timeout: 20_000, interval: 25 });
    failures.mockRestore();
    expect(await snapshotCounts()).toEqual(before);
    await env.DB.prepare("drop trigger fault_injection").run();
    // The event stayed in the project's buffer; the next flush (after its backoff) counts it once, as a new issue.
    expect(await ingestOutcome(body.event_id)).toMatchObject({ isNew: true });
    const g = await env.DB.prepare("select times_seen, users_seen from issues where project_id = ?").bind(s.project.id).first();
    expect(g).toEqual({ times_seen: 1, users_seen: 1 });
  });

  it("ingest: events whose flush failed MAX_FAILED_FLUSHES times in a row are kept as dead-letter rows with the reason, nothing counted", async () => {
    const s = await seedOrg();
    const event = toNormalizedEvent({ message: "Ledger write failed" }, Date.now());
    const message = ingestMessage(s.project.id, Date.now(), await groupEvent(event), event);
    await failInsertsInto("issue_activity");
    const buffer = env.INGEST_BUFFER.get(env.INGEST_BUFFER.idFromName(String(s.project.id)));
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    await buffer.add([message]);
    // Each failed flush sets the next alarm (backing off for seconds, then minutes); run them now instead.
    for (let i = 0; i < 2 * MAX_FAILED_FLUSHES && (await buffer.stats()).waiting > 0; i++) {
      if (!(await runDurableObjectAlarm(buffer))) await new Promise((r) => setTimeout(r, 20));
    }
    expect(quiet.mock.calls.filter((c) => c[0] === "ingest flush failed")).toHaveLength(MAX_FAILED_FLUSHES);
    quiet.mockRestore();
    expect(await buffer.stats()).toMatchObject({ waiting: 0, failedFlushes: 0 });
    const dead = await env.DB.prepare("select project_id, event_id, reason from ingest_dead_letters where event_id = ?").bind(event.eventId).all();
    expect(dead.results).toEqual([{ project_id: s.project.id, event_id: event.eventId, reason: expect.stringMatching(/^ingest_failed: .*injected fault/) }]);
    expect(await env.DB.prepare("select count(*) as n from event_ids where id = ?").bind(event.eventId).first("n")).toBe(0);
  });

  it("ingest: a message on its last attempt that the consumer cannot read is kept as a dead-letter row and acknowledged", async () => {
    const outcome: string[] = [];
    const msg = { id: crypto.randomUUID(), timestamp: new Date(), body: { not: "an event" }, attempts: MAX_RETRIES + 1, ack: () => outcome.push("ack"), retry: () => outcome.push("retry") };
    await consumeEvents({ queue: "teams-events", messages: [msg], ackAll: () => outcome.push("ackAll"), retryAll: () => outcome.push("retryAll") } as unknown as MessageBatch<unknown>, env);
    expect(outcome).toEqual(["ack"]);
    const dead = await env.DB.prepare("select reason from ingest_dead_letters where body = ?").bind(JSON.stringify({ not: "an event" })).all();
    expect(dead.results).toContainEqual({ reason: "malformed_message" });
  });

  it("a card action: status, assignee, version and audit all stay as they were; Teams' redelivery then succeeds", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "ada@example.com");
    const integrationId = await installAndSetUp(ms, s, ada);
    await link(ada, integrationId, s.admin.id);
    const { issueId } = await ingest(s);
    const activity = cardSubmit(ms, ada, { payload: { actionType: "1", groupId: issueId, eventId: null, rules: [], integrationId } }, { resolveInput: "resolved" }, { replyToId: "card-1" });
    const state = () => env.DB.prepare("select status, version, resolution from issues where id = ?").bind(issueId).first();
    const before = { row: await state(), counts: await snapshotCounts() };
    await failInsertsInto("issue_activity");
    expect((await sendActivity(ms, activity)).status).toBe(500);
    expect({ row: await state(), counts: await snapshotCounts() }).toEqual(before);
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(0);
    await env.DB.prepare("drop trigger fault_injection").run();
    expect((await sendActivity(ms, activity)).status).toBe(200);
    expect(await state()).toMatchObject({ status: "resolved", version: 1 });
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(1);
  });

  it("an admin issue update: the guarded batch fails whole", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s);
    await failInsertsInto("issue_activity");
    const res = await admin(`/issues/${issueId}`, { method: "PUT", body: { assignedTo: `user:${s.member.id}` } });
    expect(res.status).toBe(500);
    const g = await env.DB.prepare("select version from issues where id = ?").bind(issueId).first<{ version: number }>();
    expect(g!.version).toBe(0);
    const a = await env.DB.prepare("select count(*) n from issue_assignees where issue_id = ?").bind(issueId).first<{ n: number }>();
    expect(a!.n).toBe(0);
  });
});

describe("the bot's token", () => {
  async function help(user = teamsUser("Kim", "kim@example.com")) {
    expect((await sendActivity(ms, personalMessage(ms, user, "help"))).status).toBe(200);
    return ms.connector.sent(personalChatId(user));
  }

  it("missing from KV (and from memory) → exchanged again", async () => {
    expect(await help()).toHaveLength(1);
    expect(ms.token.requests).toHaveLength(1);
    const keys = await env.CACHE.list({ prefix: "botfw:token:" });
    expect(keys.keys.length).toBeGreaterThan(0);
    for (const k of keys.keys) await env.CACHE.delete(k.name);
    clearBotTokenCache();
    expect(await help()).toHaveLength(1);
    expect(ms.token.requests).toHaveLength(2);
  });

  it("stale in KV (the Connector refuses it) → re-exchanged once, the message still goes out", async () => {
    expect(await help()).toHaveLength(1);
    ms.token.revoke(ms.token.issued.at(-1)!);
    clearBotTokenCache(); // a cold isolate: only KV remembers, and KV has the revoked token
    const sent = await help();
    expect(sent).toHaveLength(1);
    expect(ms.token.requests).toHaveLength(2);
    const refused = ms.connector.calls.filter((c) => c.status === 401);
    expect(refused).toHaveLength(1);
  });
});

describe("deliveries survive Microsoft failing", () => {
  async function setUpRule() {
    const s = await seedOrg();
    const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", "ada@example.com"));
    const res = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "new", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } },
    });
    expect(res.status).toBe(201);
    return s;
  }
  const posted = () =>
    ms.connector.calls.filter((c) => c.method === "POST" && c.segments[2] === ALERTS_CHANNEL && c.segments.length === 4 && c.status < 300);
  async function statuses(projectId: number) {
    const r = await env.DB.prepare("select d.status from deliveries d join issues g on g.id = d.issue_id where g.project_id = ?").bind(projectId).all<{ status: string }>();
    return r.results.map((x) => x.status);
  }

  it("token endpoint down, then back: every alert is delivered", async () => {
    const s = await setUpRule();
    clearBotTokenCache();
    for (const k of (await env.CACHE.list({ prefix: "botfw:token:" })).keys) await env.CACHE.delete(k.name);
    for (let i = 0; i < 4; i++) ms.token.enqueue(i % 2 ? { status: 503 } : "network");
    for (const m of ["a", "b", "c"]) await ingest(s, { message: `token outage ${m}` });
    await settleDeliveries(60_000);
    expect(await statuses(s.project.id)).toEqual(["delivered", "delivered", "delivered"]);
    expect(posted()).toHaveLength(3);
  }, 180_000);

  it("Connector 503, 502 and connection resets: retried, none lost, none doubled", async () => {
    const s = await setUpRule();
    for (const status of [503, 502]) ms.connector.enqueue({ status }, { method: "POST" });
    // Connection resets: the first two calls to the Connector throw as a dropped socket does.
    let resets = 2;
    const handle = ms.handle.bind(ms);
    ms.handle = async (input, init) => {
      const url = new Request(input, init).url;
      if (url.startsWith(ms.serviceUrl) && resets > 0) {
        resets--;
        throw new TypeError("Network connection lost.");
      }
      return handle(input, init);
    };
    for (const m of ["a", "b", "c", "d"]) await ingest(s, { message: `connector trouble ${m}` });
    await settleDeliveries(60_000);
    expect(resets).toBe(0);
    expect(await statuses(s.project.id)).toEqual(["delivered", "delivered", "delivered", "delivered"]);
    const titles = posted().map((p) => /connector trouble (\w)/.exec(JSON.stringify(p.body))?.[1]);
    expect(titles.sort()).toEqual(["a", "b", "c", "d"]);
  }, 180_000);
});
