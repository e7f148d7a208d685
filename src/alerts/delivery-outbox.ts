/**
 * One Durable Object per Teams conversation: its outbox. Deliveries for the conversation are handed over by the
 * DELIVERIES queue consumer (`accept`), kept in the object's storage, and sent one at a time from its alarm, in the
 * order and at the pace of outbox-schedule.ts. Being one single-threaded object per conversation is what makes
 * ordering and pacing exact without a D1 counter or a queue retry per wait (docs/architecture.md, "Deliveries").
 *
 * Storage: one key per waiting delivery (`e:<deliveryId>` → OutboxEntry) and `gate` (pause and failure count). The
 * send log used for pacing lives in memory only: after an eviction the worst case is one 429, which is handled.
 * The D1 `deliveries` row stays the record of each delivery; a periodic sweep (maintenance/sweep-deliveries.ts)
 * hands over again any row an outbox lost.
 */
import { DurableObject } from "cloudflare:workers";
import { markDelivery } from "../db/alert-rules";
import { getDb } from "../db/client";
import type { Env } from "../env";
import { attemptDelivery, defaultAttemptDeps, type AttemptDeps } from "./deliver-one";
import {
  addEntries,
  emptyOutbox,
  nextSend,
  onAttempt,
  onFailure,
  onSuccess,
  recordSend,
  removeEntry,
  type Lane,
  type OutboxEntry,
  type OutboxState,
} from "./outbox-schedule";

export type OutboxItem = { deliveryId: number; lane: Lane; attempts: number };

type Gate = Pick<OutboxState, "pausedUntil" | "consecutiveFailures">;

/** How long one alarm may keep sending before it hands over to the next alarm. */
const ALARM_SLICE_MS = 15_000;

export class DeliveryOutbox extends DurableObject<Env> {
  private state: OutboxState = emptyOutbox();
  private sending = false;
  private readonly deps: AttemptDeps;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = defaultAttemptDeps(env);
    ctx.blockConcurrencyWhile(async () => {
      const entries = await ctx.storage.list<OutboxEntry>({ prefix: "e:" });
      const gate = await ctx.storage.get<Gate>("gate");
      this.state = { ...emptyOutbox(), ...gate, entries: [] };
      this.state.entries = [...entries.values()];
      addEntries(this.state, []); // sorts
    });
  }

  /** Takes deliveries for this conversation (idempotent: one already waiting is not added twice). */
  async accept(items: OutboxItem[]): Promise<{ waiting: number }> {
    const known = new Set(this.state.entries.map((e) => e.deliveryId));
    const fresh = items.filter((it) => !known.has(it.deliveryId));
    addEntries(this.state, fresh);
    const attempts = new Map(fresh.map((it) => [it.deliveryId, it.attempts]));
    const added = this.state.entries.filter((e) => attempts.has(e.deliveryId));
    // A delivery handed over again (by the sweep) keeps counting its attempts.
    for (const e of added) e.attempts = attempts.get(e.deliveryId)!;
    await this.putEntries(added);
    await this.schedule();
    return { waiting: this.state.entries.length };
  }

  /** What is waiting (for the admin API and tests). */
  async snapshot(): Promise<{ waiting: number; pausedUntil: number }> {
    return { waiting: this.state.entries.length, pausedUntil: this.state.pausedUntil };
  }

  override async alarm(): Promise<void> {
    // A second alarm while one is sending would race it; the running one sees every entry added meanwhile.
    if (this.sending) return;
    this.sending = true;
    try {
      await this.sendDue();
    } finally {
      this.sending = false;
    }
  }

  private async sendDue(): Promise<void> {
    const sliceEnd = Date.now() + ALARM_SLICE_MS;
    for (;;) {
      const now = Date.now();
      const next = nextSend(this.state, now);
      if (!next) return;
      if (next.at > now || now >= sliceEnd) {
        await this.ctx.storage.setAlarm(Math.max(next.at, now));
        return;
      }
      await this.attempt(next.entry);
    }
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const db = getDb(this.env.DB);
    const startedAt = Date.now();
    onAttempt(entry, startedAt);
    let result: Awaited<ReturnType<typeof attemptDelivery>>;
    try {
      result = await attemptDelivery(this.env, db, entry.deliveryId, this.deps);
    } catch (err) {
      // D1 unreachable or a bug: treat as a failed attempt so it is retried with backoff, never lost.
      const error = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : "unknown error";
      result = { kind: "retry", failure: { kind: "failed", error } };
    }
    const now = Date.now();
    if (result.kind === "delivered" || result.kind === "retry" || (result.kind === "dead" && result.contacted)) recordSend(this.state, startedAt);
    switch (result.kind) {
      case "delivered":
        await this.persist({ removed: entry.deliveryId, changed: onSuccess(this.state, entry.deliveryId) });
        return;
      case "finished":
      case "dead":
        removeEntry(this.state, entry.deliveryId);
        await this.persist({ removed: entry.deliveryId, changed: [] });
        return;
      case "retry": {
        const decision = onFailure(this.state, entry, result.failure, now, Math.random);
        if (decision.kind === "give-up") {
          await markDelivery(db, entry.deliveryId, { status: "dead", attempts: entry.attempts, lastError: decision.error }, now);
        } else {
          await markDelivery(db, entry.deliveryId, { status: "retrying", attempts: entry.attempts, lastError: result.failure.error }, now);
        }
        await this.persist(decision.kind === "give-up" ? { removed: entry.deliveryId, changed: [] } : { removed: null, changed: [entry] });
        return;
      }
    }
  }

  /** Writes what an attempt changed: the finished entry's removal, changed entries, and the gate. */
  private async persist(change: { removed: number | null; changed: OutboxEntry[] }): Promise<void> {
    if (change.removed !== null) await this.ctx.storage.delete(entryKey(change.removed));
    const gate: Gate = { pausedUntil: this.state.pausedUntil, consecutiveFailures: this.state.consecutiveFailures };
    await this.ctx.storage.put("gate", gate);
    await this.putEntries(change.changed);
  }

  private async putEntries(entries: OutboxEntry[]): Promise<void> {
    // put() takes at most 128 keys at once.
    for (let i = 0; i < entries.length; i += 128) {
      await this.ctx.storage.put(Object.fromEntries(entries.slice(i, i + 128).map((e) => [entryKey(e.deliveryId), e])));
    }
  }

  private async schedule(): Promise<void> {
    if (this.sending) return; // the running alarm picks new entries up
    const next = nextSend(this.state, Date.now());
    if (!next) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next.at) await this.ctx.storage.setAlarm(next.at);
  }
}

function entryKey(deliveryId: number): string {
  return `e:${deliveryId}`;
}

/** Which outbox a delivery goes through: its conversation, or (personal, before the chat exists) its recipient. */
export function outboxName(d: { kind: string; conversationId: string | null; data: Record<string, unknown> }): string {
  if (d.conversationId) return `conversation:${d.conversationId}`;
  return `personal:${String(d.data.tenantId ?? "")}:${String(d.data.teamsUserId ?? "")}`;
}
