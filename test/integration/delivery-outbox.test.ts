/**
 * Deliveries for real: ingest → rule → DELIVERIES queue → the conversation's outbox (a Durable Object) → the Connector
 * stand-in, which enforces Teams' per-conversation limits (a send over them gets 429, as Teams answers) and can
 * script outages. These take real time (a burst of 100 at Teams' pace is ~45 s); the minutes-long scenarios run
 * with a virtual clock in test/unit/alerts/outbox-schedule.test.ts.
 *
 * The invariant checked after each scenario: once quiet, no delivery is queued or retrying, and every delivered
 * post has exactly one Connector activity.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELIVERY_DEAD_LETTER_QUEUE } from "../../src/alerts/delivery-consumer";
import worker from "../../src/index";
import { runScheduled } from "../../src/maintenance/scheduled";
import { MAX_AGE_MS, STALE_MS } from "../../src/maintenance/sweep-deliveries";
import { admin, ingest, installAndSetUp, settleDeliveries } from "../support/flows";
import { startMicrosoftStandIn, type ConnectorCall, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import { ALERTS_CHANNEL, cardOf, cardText, newTeamsWorld, TEAM_ID, teamsUser } from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  ms.connector.enforceTeamsLimits = true;
  ms.connector.teams.set(TEAM_ID, {
    details: { id: TEAM_ID, name: "Platform" },
    channels: [
      { id: TEAM_ID, name: null },
      { id: ALERTS_CHANNEL, name: "Alerts" },
    ],
  });
});
afterEach(async () => {
  await settleDeliveries(120_000).catch(() => {});
  ms.stop();
});

type DeliveryView = { id: number; kind: string; status: string; attempts: number; lastError: string | null; issueId: number; conversationId: string | null; data?: Record<string, unknown> };

async function setUp(): Promise<{ s: SeededOrg; integrationId: number }> {
  const s = await seedOrg();
  const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", "ada@example.com"));
  const res = await admin(`/projects/${s.project.id}/rules`, {
    method: "POST",
    body: { name: "Every new issue", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { s, integrationId };
}

/** A word for i (grouping ignores numbers in messages, so distinct issues need distinct words). */
const word = (i: number) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26));
const indexOfWord = (w: string) => (w.charCodeAt(0) - 97) * 26 + (w.charCodeAt(1) - 97);
/** Which card of a burst a Connector call carries. */
const cardIndex = (c: ConnectorCall) => indexOfWord(/failure (\w\w)\b/.exec(cardText(cardOf(c.body)))?.[1] ?? "");

/** n new issues, one event each, as fast as ingest takes them (a broken deploy). */
async function burst(s: SeededOrg, n: number, tag: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await ingest(s, { message: `${tag} failure ${word(i)}` })).issueId);
  expect(new Set(ids).size).toBe(n);
  return ids;
}

async function deliveriesOf(issueIds: number[]): Promise<DeliveryView[]> {
  const res = await admin(`/deliveries?limit=200`);
  expect(res.status).toBe(200);
  const all = ((await res.json()) as { deliveries: DeliveryView[] }).deliveries;
  return all.filter((d) => issueIds.includes(d.issueId)).sort((a, b) => a.id - b.id);
}

const sends = (conversationId: string, method = "POST"): ConnectorCall[] =>
  ms.connector.calls.filter((c) => c.method === method && c.segments[2] === conversationId && c.segments[3] === "activities");
const accepted = (calls: ConnectorCall[]) => calls.filter((c) => c.status >= 200 && c.status < 300);

/** The invariant: nothing left waiting; every delivered post matches exactly one accepted Connector activity. */
async function expectInvariant(issueIds: number[]) {
  const pending = await env.DB.prepare("select count(*) as n from deliveries where status in ('queued', 'retrying')").first<{ n: number }>();
  expect(pending?.n).toBe(0);
  const ds = await deliveriesOf(issueIds);
  const posted = accepted(sends(ALERTS_CHANNEL)).map((c) => cardText(cardOf(c.body)));
  for (const d of ds.filter((x) => x.kind === "post" && x.status === "delivered")) {
    const rows = await env.DB.prepare("select count(*) as n from notification_messages where issue_id = ?").bind(d.issueId).first<{ n: number }>();
    expect(rows?.n, `issue ${d.issueId}`).toBe(1);
  }
  expect(new Set(posted).size).toBe(posted.length);
}

describe("deliveries through the conversation's outbox", () => {
  it("a burst of 100 new issues into one channel: 100 cards, in order, never throttled by Teams", { timeout: 240_000 }, async () => {
    const { s } = await setUp();
    const ids = await burst(s, 100, "burst");
    await settleDeliveries(180_000);
    const ds = await deliveriesOf(ids);
    expect(ds.map((d) => d.status)).toEqual(Array(100).fill("delivered"));
    expect(ds.every((d) => d.attempts === 1)).toBe(true);
    const posts = sends(ALERTS_CHANNEL);
    // Teams never had to say 429: the outbox kept within its limits.
    expect(posts.filter((c) => c.status === 429)).toEqual([]);
    expect(accepted(posts)).toHaveLength(100);
    const order = accepted(posts).map(cardIndex);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await expectInvariant(ids);
  });

  it("429 with Retry-After: 40 on the first post: nothing is sent there for 40 s, then every card, in order", { timeout: 180_000 }, async () => {
    const { s } = await setUp();
    ms.connector.enqueue({ status: 429, headers: { "Retry-After": "40" }, body: { error: { code: "Throttled" } } }, { method: "POST", path: /activities$/ });
    const ids = await burst(s, 5, "throttled");
    await settleDeliveries(120_000);
    const ds = await deliveriesOf(ids);
    expect(ds.map((d) => d.status)).toEqual(Array(5).fill("delivered"));
    const posts = sends(ALERTS_CHANNEL);
    const first429 = posts.find((c) => c.status === 429)!;
    const ok = accepted(posts);
    expect(ok.map(cardIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(ok[0].at - first429.at).toBeGreaterThanOrEqual(39_000);
    expect(ds[0].attempts).toBe(2); // the throttled try and the successful one
    await expectInvariant(ids);
  });

  it("a Connector outage (500s for 20 s): every card arrives after it clears, none left waiting, each failure recorded", { timeout: 180_000 }, async () => {
    const { s } = await setUp();
    ms.connector.outage = { until: Date.now() + 20_000, answer: { status: 500, body: { error: { code: "InternalServerError" } } } };
    const ids = await burst(s, 6, "outage");
    await settleDeliveries(150_000);
    const ds = await deliveriesOf(ids);
    expect(ds.map((d) => d.status)).toEqual(Array(6).fill("delivered"));
    const failed = sends(ALERTS_CHANNEL).filter((c) => c.status === 500);
    expect(failed.length).toBeGreaterThan(0);
    // Backed off across the conversation: a few calls in 20 s, not one per card per second.
    expect(failed.length).toBeLessThanOrEqual(8);
    expect(ds.reduce((n, d) => n + d.attempts, 0)).toBe(6 + failed.length);
    await expectInvariant(ids);
  });

  it("a Connector call that never answers is aborted at its timeout and retried; the card arrives once", { timeout: 120_000 }, async () => {
    const { s } = await setUp();
    ms.connector.enqueue("hang", { method: "POST", path: /activities$/ });
    const ids = await burst(s, 2, "hang");
    await settleDeliveries(90_000);
    const ds = await deliveriesOf(ids);
    expect(ds.map((d) => d.status)).toEqual(["delivered", "delivered"]);
    expect(ds[0].attempts).toBe(2);
    const posts = sends(ALERTS_CHANNEL);
    expect(posts.filter((c) => c.status === -1)).toHaveLength(1);
    expect(accepted(posts).map(cardIndex)).toEqual([0, 1]);
    await expectInvariant(ids);
  });

  it("a card update queued behind a backlog of new cards is delivered within seconds", { timeout: 240_000 }, async () => {
    const { s } = await setUp();
    const [first] = await burst(s, 1, "head");
    await settleDeliveries();
    const backlog = await burst(s, 80, "backlog");
    // Wait until the backlog has used up Teams' 30-second window, then change the first issue.
    while (accepted(sends(ALERTS_CHANNEL)).length < 50) await new Promise((r) => setTimeout(r, 200));
    const changedAt = Date.now();
    expect((await admin(`/issues/${first}`, { method: "PUT", body: { status: "resolved" } })).status).toBe(200);
    while (!accepted(sends(ALERTS_CHANNEL, "PUT")).length) {
      expect(Date.now() - changedAt, "the update is still waiting").toBeLessThan(20_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    const put = accepted(sends(ALERTS_CHANNEL, "PUT"))[0];
    expect(put.at - changedAt).toBeLessThan(5_000);
    // It overtook the backlog: new cards were still waiting when it went, and the backlog API says so.
    const pending = await env.DB.prepare("select count(*) as n from deliveries where status = 'queued' and kind = 'post'").first<{ n: number }>();
    expect(pending?.n).toBeGreaterThan(0);
    const backlogRes = await admin("/deliveries/backlog");
    expect(backlogRes.status).toBe(200);
    const { conversations } = (await backlogRes.json()) as { conversations: { conversationId: string; waiting: number; oldestAgeSeconds: number }[] };
    const channel = conversations.find((b) => b.conversationId === ALERTS_CHANNEL)!;
    expect(channel.waiting).toBeGreaterThan(0);
    expect(channel.waiting).toBeLessThanOrEqual(pending!.n);
    expect(channel.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(cardText(cardOf(put.body))).toMatch(/Resolved/i);
    await settleDeliveries(180_000);
    await expectInvariant([first, ...backlog]);
  });

  it("the sweep hands over a delivery whose queue message was lost, and ends one too old to matter", async () => {
    const { s, integrationId } = await setUp();
    const [issueId] = await burst(s, 1, "swept");
    await settleDeliveries();
    const now = Date.now();
    const card = await env.DB.prepare("select activity_id as activityId from notification_messages where issue_id = ?").bind(issueId).first<{ activityId: string }>();
    // An update of the posted card whose queue message never arrived (as if the enqueue was lost).
    const insert = (createdAt: number) =>
      env.DB.prepare(
        "insert into deliveries (kind, issue_id, rule_id, integration_id, conversation_id, status, attempts, data, created_at, updated_at) values ('update', ?, null, ?, ?, 'queued', 0, ?, ?, ?) returning id",
      )
        .bind(issueId, integrationId, ALERTS_CHANNEL, JSON.stringify({ activityId: card!.activityId }), createdAt, createdAt)
        .first<{ id: number }>();
    const lost = await insert(now - STALE_MS - 60_000);
    const ancient = await insert(now - MAX_AGE_MS - 60_000);
    const result = await runScheduled(env, now);
    expect(result.deliveries).toEqual({ redriven: 1, ended: 1 });
    await settleDeliveries();
    const rows = await env.DB.prepare("select id, status, last_error as lastError from deliveries where id in (?, ?) order by id").bind(lost!.id, ancient!.id).all<{ id: number; status: string; lastError: string | null }>();
    expect(rows.results).toEqual([
      { id: lost!.id, status: "delivered", lastError: null },
      { id: ancient!.id, status: "dead", lastError: "not delivered within 6 h (ended by the sweep)" },
    ]);
    // Nothing fresh is touched by the sweep.
    expect((await runScheduled(env, Date.now())).deliveries).toEqual({ redriven: 0, ended: 0 });
  });

  it("a hand-over the queue gave up on ends its delivery dead with the reason; a finished one stays as it is", async () => {
    const { s, integrationId } = await setUp();
    const [issueId] = await burst(s, 1, "dlq");
    await settleDeliveries();
    const now = Date.now();
    const row = await env.DB.prepare(
      "insert into deliveries (kind, issue_id, rule_id, integration_id, conversation_id, status, attempts, data, created_at, updated_at) values ('update', ?, null, ?, ?, 'queued', 0, '{}', ?, ?) returning id",
    )
      .bind(issueId, integrationId, ALERTS_CHANNEL, now, now)
      .first<{ id: number }>();
    const delivered = await env.DB.prepare("select id from deliveries where issue_id = ? and status = 'delivered'").bind(issueId).first<{ id: number }>();
    const batch = createMessageBatch(DELIVERY_DEAD_LETTER_QUEUE, [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { deliveryId: row!.id } },
      { id: "m2", timestamp: new Date(), attempts: 1, body: { deliveryId: delivered!.id } },
      { id: "m3", timestamp: new Date(), attempts: 1, body: { nonsense: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
    expect(result.retryMessages).toEqual([]);
    const rows = await env.DB.prepare("select id, status, last_error as lastError from deliveries where id in (?, ?) order by id").bind(delivered!.id, row!.id).all();
    expect(rows.results).toEqual([
      { id: delivered!.id, status: "delivered", lastError: null },
      { id: row!.id, status: "dead", lastError: "dead-lettered: could not be handed to the conversation's outbox" },
    ]);
  });

  it("a dead delivery can be retried through the API: re-queued with a fresh budget, delivered, the outcome recorded", async () => {
    const { s } = await setUp();
    ms.connector.enqueue({ status: 413, body: { error: { code: "MessageSizeTooBig" } } }, { method: "POST", path: /activities$/ });
    const ids = await burst(s, 1, "retried");
    await settleDeliveries();
    const [dead] = await deliveriesOf(ids);
    expect(dead).toMatchObject({ status: "dead", lastError: expect.stringContaining("MessageSizeTooBig") });
    const retry = await admin(`/deliveries/${dead.id}/retry`, { method: "POST" });
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect(await retry.json()).toMatchObject({ id: dead.id, status: "queued", attempts: 0 });
    await settleDeliveries();
    const [after] = await deliveriesOf(ids);
    expect(after).toMatchObject({ id: dead.id, status: "delivered", lastError: null, attempts: 1 });
    expect(accepted(sends(ALERTS_CHANNEL))).toHaveLength(1);
    // Only a dead one can be retried; an unknown id is a 404; neither changes anything.
    const again = await admin(`/deliveries/${dead.id}/retry`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.message).toBe("Only a dead delivery can be retried; this one is delivered.");
    expect((await admin(`/deliveries/99999999/retry`, { method: "POST" })).status).toBe(404);
    expect((await admin(`/deliveries/abc/retry`, { method: "POST" })).status).toBe(400);
    await expectInvariant(ids);
  });

  it("the doctor warns about a conversation whose oldest delivery has waited over 2 minutes", async () => {
    const { s, integrationId } = await setUp();
    const [issueId] = await burst(s, 1, "doctor");
    await settleDeliveries();
    const healthy = ((await (await admin("/doctor")).json()) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
    expect(healthy.filter((c) => c.name.endsWith(": backlog"))).toEqual([]);
    const old = Date.now() - 3 * 60_000;
    const row = await env.DB.prepare(
      "insert into deliveries (kind, issue_id, integration_id, conversation_id, status, attempts, data, created_at, updated_at) values ('post', ?, ?, ?, 'queued', 0, '{}', ?, ?) returning id",
    )
      .bind(issueId, integrationId, ALERTS_CHANNEL, old, old)
      .first<{ id: number }>();
    try {
      const checks = ((await (await admin("/doctor")).json()) as { checks: { name: string; ok: boolean; detail: string; fix?: string }[] }).checks;
      const backlog = checks.filter((c) => c.name.endsWith(": backlog"));
      expect(backlog).toHaveLength(1);
      expect(backlog[0]).toMatchObject({ ok: false, detail: `1 deliveries are waiting for ${ALERTS_CHANNEL}; the oldest since 3 minute(s).` });
      expect(backlog[0].fix).toContain("60 per 30 s");
    } finally {
      await env.DB.prepare("update deliveries set status = 'dead', last_error = 'test cleanup' where id = ?").bind(row!.id).run();
    }
  });
});
