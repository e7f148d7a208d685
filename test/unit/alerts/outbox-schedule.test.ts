/**
 * The outbox schedule against a simulated Teams conversation with a virtual clock: Teams' own limits are enforced by
 * the simulation (a send over them is answered 429, as Teams does), so "within the limits" is checked by Teams'
 * rules, not by ours. Scenarios of minutes (a 3-minute outage, Retry-After: 40) run in milliseconds here; the same
 * code runs for real in test/integration/delivery-outbox.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  addEntries,
  emptyOutbox,
  MAX_ATTEMPTS,
  nextSend,
  onAttempt,
  onFailure,
  onSuccess,
  paceAt,
  recordSend,
  RETRY_BUDGET_MS,
  TEAMS_LIMITS,
  type Failure,
  type OutboxState,
} from "../../../src/alerts/outbox-schedule";

type Answer = { ok: true } | Failure;
type Sent = { id: number; at: number; ok: boolean };

/** Seeded PRNG so backoff jitter is the same every run. */
function rng(seed = 7): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Teams' per-conversation limits as sliding windows over the accepted sends. */
function overTeamsLimits(accepted: number[], at: number): boolean {
  return TEAMS_LIMITS.some((w) => accepted.filter((t) => t > at - w.ms && t <= at).length >= w.max);
}

/**
 * Runs the outbox until it is empty or `untilMs`. `answer(id, at)` scripts faults; otherwise Teams accepts unless
 * its limits are exceeded. `arrivals` adds deliveries later on.
 */
function run(opts: {
  initial: { deliveryId: number; lane: "update" | "bulk" }[];
  answer?: (id: number, at: number) => Answer | null;
  arrivals?: { at: number; deliveryId: number; lane: "update" | "bulk" }[];
  untilMs?: number;
}) {
  const state: OutboxState = emptyOutbox();
  addEntries(state, opts.initial);
  const arrivals = [...(opts.arrivals ?? [])].sort((a, b) => a.at - b.at);
  const random = rng();
  const sent: Sent[] = [];
  const accepted: number[] = [];
  const dead: { id: number; at: number; error: string }[] = [];
  let t = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    const next = nextSend(state, t);
    const arrival = arrivals[0];
    if (!next && !arrival) break;
    if (arrival && (!next || arrival.at <= next.at)) {
      t = Math.max(t, arrival.at);
      addEntries(state, [arrivals.shift()!]);
      continue;
    }
    t = Math.max(t, next!.at);
    if (opts.untilMs !== undefined && t > opts.untilMs) break;
    const { entry } = next!;
    onAttempt(entry, t);
    recordSend(state, t);
    const scripted = opts.answer?.(entry.deliveryId, t) ?? null;
    const answer: Answer = scripted ?? (overTeamsLimits(accepted, t) ? { kind: "throttled", retryAfterMs: null, error: "Throttled" } : { ok: true });
    if ("ok" in answer) {
      accepted.push(t);
      sent.push({ id: entry.deliveryId, at: t, ok: true });
      onSuccess(state, entry.deliveryId);
    } else {
      sent.push({ id: entry.deliveryId, at: t, ok: false });
      const d = onFailure(state, entry, answer, t, random);
      if (d.kind === "give-up") dead.push({ id: entry.deliveryId, at: t, error: d.error });
    }
  }
  return { state, sent, delivered: sent.filter((s) => s.ok), dead, end: t };
}

const bulk = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ deliveryId: from + i, lane: "bulk" as const }));
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe("outbox schedule", () => {
  it("a burst of 100 new cards: all delivered, in order, never over Teams' limits, close to Teams' pace", () => {
    const r = run({ initial: bulk(100) });
    expect(r.delivered.map((s) => s.id)).toEqual(range(100));
    // Teams never had to throttle: every send was within its limits.
    expect(r.sent.every((s) => s.ok)).toBe(true);
    // The floor at Teams' own limits: 60 in the first 30 s window, the next 40 within the second (8 per 2 s).
    // The bulk lane keeps 6 per 30 s for updates, so it may take one more window, never more.
    const last = r.delivered[99].at;
    expect(last).toBeGreaterThanOrEqual(30_000);
    expect(last).toBeLessThan(60_000);
  });

  it("paceAt waits exactly until the oldest send leaves the window that is full", () => {
    const sends = [0, 100, 200, 300, 400, 500, 600]; // 7 in the first second
    expect(paceAt(sends, TEAMS_LIMITS, 700)).toBe(1_000);
    expect(paceAt([...sends, 1_000], TEAMS_LIMITS, 1_000)).toBe(2_000); // 8 within 2 s: wait for t=0 to leave
    expect(paceAt([], TEAMS_LIMITS, 5)).toBe(5);
  });

  it("429 with Retry-After: 40 on the first post: the conversation waits 40 s, then everything goes, in order", () => {
    let first = true;
    const r = run({
      initial: bulk(5),
      answer: (id) => (id === 1 && first ? ((first = false), { kind: "throttled", retryAfterMs: 40_000, error: "Throttled" }) : null),
    });
    expect(r.delivered.map((s) => s.id)).toEqual([1, 2, 3, 4, 5]);
    expect(r.sent.filter((s) => !s.ok)).toHaveLength(1);
    // Nothing was sent to the conversation during the 40 s.
    expect(r.sent.filter((s) => s.at > 0 && s.at < 40_000)).toHaveLength(0);
    expect(r.delivered[0].at).toBeGreaterThanOrEqual(40_000);
  });

  it.each([
    [3, 12],
    [10, 20],
  ])("%i minutes of 500s: nothing is lost, the outage is not hammered, and order resumes once Teams answers", (minutes, maxCalls) => {
    const outage = minutes * 60_000;
    const r = run({ initial: bulk(30), answer: (_id, at) => (at < outage ? { kind: "failed", error: "connector_http_500" } : null) });
    expect(r.dead).toEqual([]);
    expect(new Set(r.delivered.map((s) => s.id))).toEqual(new Set(range(30)));
    // A backoff across the conversation: a handful of calls, not one per message per second.
    expect(r.sent.filter((s) => s.at < outage).length).toBeLessThanOrEqual(maxCalls);
    // After the first success every waiting card is eligible again: the rest go in id order, right away.
    const after = r.delivered.slice(1).map((s) => s.id);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(r.end - outage).toBeLessThan(60_000);
  });

  it("an update behind a backlog of 100 new cards goes within 2 seconds, even when the backlog has used up its 30 s window", () => {
    for (const at of [5_000, 16_000, 25_000]) {
      const r = run({ initial: bulk(100), arrivals: [{ at, deliveryId: 1_000, lane: "update" }] });
      const update = r.delivered.find((s) => s.id === 1_000)!;
      expect(update.at - at).toBeLessThanOrEqual(2_000);
      expect(r.sent.every((s) => s.ok)).toBe(true);
      expect(r.delivered).toHaveLength(101);
    }
  });

  it("one bad message does not block the channel: the others go on, it ends dead after its attempts", () => {
    const r = run({ initial: bulk(20), answer: (id) => (id === 3 ? { kind: "failed", error: "connector_http_500" } : null) });
    expect(r.dead.map((d) => d.id)).toEqual([3]);
    expect(r.dead[0].error).toMatch(new RegExp(`gave up after ${MAX_ATTEMPTS} attempts; last error: connector_http_500`));
    expect(r.delivered.map((s) => s.id).sort((a, b) => a - b)).toEqual(range(20).filter((i) => i !== 3));
    // The message behind the bad one waited seconds, not the bad one's whole retry budget.
    expect(r.delivered.find((s) => s.id === 4)!.at).toBeLessThan(30_000);
  });

  it("a conversation that never recovers: each delivery ends dead within its retry budget, none waits forever", () => {
    const r = run({ initial: bulk(3), answer: () => ({ kind: "failed", error: "connector_http_503" }) });
    expect(r.dead.map((d) => d.id).sort()).toEqual([1, 2, 3]);
    expect(r.state.entries).toEqual([]);
    for (const d of r.dead) expect(d.at).toBeLessThanOrEqual(3 * RETRY_BUDGET_MS);
  });

  it("waiting for pace costs no attempts: only failures count", () => {
    const r = run({ initial: bulk(40) });
    expect(r.sent).toHaveLength(40);
    expect(r.dead).toEqual([]);
  });
});
