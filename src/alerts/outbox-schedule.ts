/**
 * The send schedule of one conversation's outbox (src/alerts/delivery-outbox.ts): which delivery goes next, when,
 * and what a failure does. Pure: state in, decisions out, time passed in — so the burst, throttling and outage
 * scenarios are tested with a virtual clock (test/unit/alerts/outbox-schedule.test.ts) as well as for real.
 *
 * Rules (docs/architecture.md, "Deliveries"):
 *  - Two lanes. `update` (a posted card refreshed after a change) goes before `bulk` (new cards, thread replies,
 *    personal notifications), so people who click see their change even behind a backlog. Within a lane, lowest
 *    delivery id first: cards arrive in the order they were created.
 *  - Pacing inside Teams' per-conversation limits (7 per 1 s, 8 per 2 s, 60 per 30 s, 1,800 per hour), as sliding
 *    windows. The bulk lane keeps headroom (7 per 2 s, 54 per 30 s) so an update never waits long for a slot.
 *  - Waiting for pacing or for an older message is free: only real failures (429, 5xx, network, timeout) count as
 *    attempts.
 *  - A 429 pauses the whole conversation for its Retry-After (Teams throttles the conversation, not the message).
 *    A 5xx / network failure pauses the conversation with a backoff on consecutive failures (an outage is not
 *    hammered); a message that failed SET_ASIDE_AFTER times waits on its own backoff so the messages behind it can go
 *    (one bad message never blocks a channel). Any success means the conversation is healthy: everything waiting
 *    becomes eligible again, in order.
 *  - A delivery gives up (dead, with the reason) after MAX_ATTEMPTS failures or when RETRY_BUDGET_MS has passed
 *    since its first attempt.
 */
import { backoffDelay } from "../bot/retry";

export type Lane = "update" | "bulk";

export type OutboxEntry = {
  deliveryId: number;
  lane: Lane;
  /** Failed attempts so far. */
  attempts: number;
  /** When the first attempt was made (null: never tried). */
  firstTriedAt: number | null;
  /** Not before this time (0: as soon as the conversation allows). */
  readyAt: number;
};

export type OutboxState = {
  entries: OutboxEntry[];
  /** Nothing is sent to the conversation before this time (Retry-After or outage backoff). */
  pausedUntil: number;
  /** Failures in a row across the conversation (reset by a success). */
  consecutiveFailures: number;
  /** Times of recent sends, oldest first (at most an hour of them). */
  sends: number[];
};

export type Failure = { kind: "throttled"; retryAfterMs: number | null; error: string } | { kind: "failed"; error: string };

export type FailureDecision = { kind: "retry"; at: number } | { kind: "give-up"; error: string };

type Window = { ms: number; max: number };

/** Teams' documented per-bot, per-conversation send limits. */
export const TEAMS_LIMITS: readonly Window[] = [
  { ms: 1_000, max: 7 },
  { ms: 2_000, max: 8 },
  { ms: 30_000, max: 60 },
  { ms: 3_600_000, max: 1_800 },
];
/** What new cards may use of them: the rest is kept for card updates. */
export const BULK_LIMITS: readonly Window[] = [
  { ms: 1_000, max: 7 },
  { ms: 2_000, max: 7 },
  { ms: 30_000, max: 54 },
  { ms: 3_600_000, max: 1_700 },
];

export const MAX_ATTEMPTS = 10;
export const RETRY_BUDGET_MS = 15 * 60_000;
export const SET_ASIDE_AFTER = 3;
const PAUSE_BASE_MS = 2_000;
const PAUSE_CAP_MS = 60_000;
const ENTRY_BACKOFF_CAP_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

export function emptyOutbox(): OutboxState {
  return { entries: [], pausedUntil: 0, consecutiveFailures: 0, sends: [] };
}

/** Adds deliveries not already waiting; returns how many were new. */
export function addEntries(state: OutboxState, items: { deliveryId: number; lane: Lane }[]): number {
  const have = new Set(state.entries.map((e) => e.deliveryId));
  let added = 0;
  for (const it of items) {
    if (have.has(it.deliveryId)) continue;
    have.add(it.deliveryId);
    state.entries.push({ deliveryId: it.deliveryId, lane: it.lane, attempts: 0, firstTriedAt: null, readyAt: 0 });
    added++;
  }
  state.entries.sort(compareEntries);
  return added;
}

function compareEntries(a: OutboxEntry, b: OutboxEntry): number {
  if (a.lane !== b.lane) return a.lane === "update" ? -1 : 1;
  return a.deliveryId - b.deliveryId;
}

/** The earliest time (≥ now) at which `limits` allow one more send, given the send log. */
export function paceAt(sends: readonly number[], limits: readonly Window[], now: number): number {
  let at = now;
  for (const w of limits) {
    // Sends inside the window ending at `at`; if at the limit, wait until the oldest of them leaves it.
    const inWindow = sends.filter((t) => t > at - w.ms);
    if (inWindow.length >= w.max) at = Math.max(at, inWindow[inWindow.length - w.max] + w.ms);
  }
  // A later `at` can only shrink earlier windows' counts, so one pass per window is enough; check again to be sure.
  return limits.some((w) => sends.filter((t) => t > at - w.ms).length >= w.max) ? paceAt(sends, limits, at) : at;
}

/** The next delivery to attempt and when (null: nothing waiting). */
export function nextSend(state: OutboxState, now: number): { entry: OutboxEntry; at: number } | null {
  let best: { entry: OutboxEntry; at: number } | null = null;
  for (const lane of ["update", "bulk"] as const) {
    const inLane = state.entries.filter((e) => e.lane === lane);
    if (!inLane.length) continue;
    const limits = lane === "update" ? TEAMS_LIMITS : BULK_LIMITS;
    const gate = paceAt(state.sends, limits, Math.max(now, state.pausedUntil));
    // Lowest id among those ready at the gate; if none is, the one that becomes ready first.
    const ready = inLane.find((e) => e.readyAt <= gate);
    const entry = ready ?? inLane.reduce((a, b) => (b.readyAt < a.readyAt ? b : a));
    const at = ready ? gate : paceAt(state.sends, limits, entry.readyAt);
    if (!best || at < best.at) best = { entry, at };
  }
  return best;
}

/** Records a send made at `now` (whatever its outcome: Teams counts the request). */
export function recordSend(state: OutboxState, now: number): void {
  state.sends.push(now);
  const cut = state.sends.findIndex((t) => t > now - HOUR_MS);
  if (cut > 0) state.sends.splice(0, cut);
}

/** The delivery is finished (delivered, dead, or nothing to do): it leaves the outbox. */
export function removeEntry(state: OutboxState, deliveryId: number): void {
  state.entries = state.entries.filter((e) => e.deliveryId !== deliveryId);
}

/** A successful send: the conversation is healthy, so everything waiting may go again, in order. Returns the entries changed. */
export function onSuccess(state: OutboxState, deliveryId: number): OutboxEntry[] {
  removeEntry(state, deliveryId);
  state.consecutiveFailures = 0;
  const changed = state.entries.filter((e) => e.readyAt !== 0);
  for (const e of changed) e.readyAt = 0;
  return changed;
}

/** Marks the first attempt of an entry (its retry budget starts here). */
export function onAttempt(entry: OutboxEntry, now: number): void {
  entry.firstTriedAt ??= now;
}

/** A retryable failure of `entry` at `now`: when to try again, or give up. */
export function onFailure(state: OutboxState, entry: OutboxEntry, failure: Failure, now: number, random: () => number): FailureDecision {
  entry.attempts++;
  state.consecutiveFailures++;
  const spent = now - (entry.firstTriedAt ?? now);
  if (entry.attempts >= MAX_ATTEMPTS || spent >= RETRY_BUDGET_MS) {
    removeEntry(state, entry.deliveryId);
    const why = entry.attempts >= MAX_ATTEMPTS ? `${entry.attempts} attempts` : `${Math.round(spent / 1000)} s of retries`;
    return { kind: "give-up", error: `gave up after ${why}; last error: ${failure.error}` };
  }
  const pause =
    failure.kind === "throttled" && failure.retryAfterMs !== null
      ? failure.retryAfterMs
      : backoffDelay(state.consecutiveFailures - 1, PAUSE_BASE_MS, PAUSE_CAP_MS, random);
  state.pausedUntil = Math.max(state.pausedUntil, now + pause);
  entry.readyAt =
    failure.kind === "failed" && entry.attempts >= SET_ASIDE_AFTER
      ? now + Math.max(pause, backoffDelay(entry.attempts, PAUSE_BASE_MS, ENTRY_BACKOFF_CAP_MS, random))
      : state.pausedUntil;
  return { kind: "retry", at: entry.readyAt };
}
