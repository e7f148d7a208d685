/**
 * One Durable Object per project: its ingest buffer. The EVENTS consumer hands each project's share of a queue
 * batch to it (`add`, durable in the object's SQLite before the queue message is acknowledged), and the object's
 * alarm flushes what it holds to D1 through the same aggregated write as before (ingest/aggregate.ts), at most once
 * per flush interval — so a storm costs D1 one flush per project per interval however many queue batches (each
 * capped at 100 messages) it arrives in. An idle buffer flushes at once: in quiet times an event waits no longer
 * than the queue's own batch wait.
 *
 * Exactness: a flush deletes what it wrote only after D1 answered; a flush that wrote and then failed (or an
 * eviction in between) leaves its events buffered, and the next flush counts nothing twice because D1 counts an
 * event by inserting its id into `event_ids` (src/db/ingest-batch.ts). Nothing is lost: events stay buffered until
 * counted, or until they are kept as dead letters with the reason (their project is gone, or MAX_FAILED_FLUSHES
 * flushes failed in a row).
 *
 * Every flush runs on a statement-counting D1 binding; the totals (`stats`) are the measured D1 statements per
 * accepted event (GET /api/admin/projects/{id}/outcomes, bench/storm.mjs).
 */
import { DurableObject } from "cloudflare:workers";
import { getDb, type Db } from "../db/client";
import { countingD1, type StatementCount } from "../db/counting-d1";
import { recordIngestDeadLetters } from "../db/ingest-dead-letters";
import type { Env } from "../env";
import { ingestBatch } from "./aggregate";
import { ingestBufferConfig, type IngestBufferConfig } from "./ingest-buffer-config";
import { parseIngestMessage, type IngestMessage } from "./message";

/** A flush takes at most this many events, and at most FLUSH_MAX_BYTES of them (one D1 batch, JSON parameters < 2 MB each). */
export const FLUSH_MAX_EVENTS = 2_000;
const FLUSH_MAX_BYTES = 8 * 1024 * 1024;
/** Failed flushes in a row (backing off 2 s doubling to 60 s: ~5 minutes) before the events are kept as dead letters. */
export const MAX_FAILED_FLUSHES = 10;

export type IngestBufferStats = {
  /** Events waiting for the next flush. */
  waiting: number;
  flushes: number;
  /** Events flushed (each counted by D1 once; a redelivered one counts nothing the second time). */
  events: number;
  /** D1 statements the flushes sent (counted, every statement of a batch). */
  statements: number;
  failedFlushes: number;
  /** Wall time the successful flushes took (D1 calls and the queue sends of alerts), in ms. */
  flushMs: number;
  lastFlushAt: number | null;
};

type StatName = "flushes" | "events" | "statements" | "failedFlushes" | "flushMs" | "lastFlushAt";

export class IngestBuffer extends DurableObject<Env> {
  private readonly config: IngestBufferConfig;
  private readonly count: StatementCount = { statements: 0 };
  private readonly countedEnv: Env;
  private readonly db: Db;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = ingestBufferConfig(env);
    this.countedEnv = { ...env, DB: countingD1(env.DB, this.count) };
    this.db = getDb(this.countedEnv.DB);
    ctx.storage.sql.exec(`create table if not exists buffered (seq integer primary key autoincrement, id text not null unique, body text not null)`);
    ctx.storage.sql.exec(`create table if not exists stats (name text primary key, value integer not null)`);
  }

  /** Keeps events until the next flush (an id already waiting is kept once). Durable when this returns. */
  async add(messages: IngestMessage[]): Promise<{ waiting: number }> {
    for (const m of messages) {
      this.ctx.storage.sql.exec("insert into buffered (id, body) values (?, ?) on conflict (id) do nothing", m.event.eventId, JSON.stringify(m));
    }
    const waiting = this.waiting();
    await this.schedule(waiting);
    return { waiting };
  }

  async stats(): Promise<IngestBufferStats> {
    const s = this.readStats();
    return {
      waiting: this.waiting(),
      flushes: s.flushes ?? 0,
      events: s.events ?? 0,
      statements: s.statements ?? 0,
      failedFlushes: s.failedFlushes ?? 0,
      flushMs: s.flushMs ?? 0,
      lastFlushAt: s.lastFlushAt ?? null,
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const rows = this.nextFlush();
    if (!rows.length) return;
    this.writeStats({ lastFlushAt: now });
    const lastSeq = rows.at(-1)!.seq;
    const messages: IngestMessage[] = [];
    const unreadable: string[] = [];
    for (const r of rows) {
      const m = parseIngestMessage(JSON.parse(r.body));
      if (m) messages.push(m);
      else unreadable.push(r.body);
    }
    const before = this.count.statements;
    try {
      const { rejected } = await ingestBatch(this.countedEnv, this.db, messages, now);
      await recordIngestDeadLetters(
        this.db,
        [
          ...rejected.map((r) => ({ projectId: r.message.projectId, eventId: r.message.event.eventId, reason: r.reason, body: JSON.stringify(r.message) })),
          ...unreadable.map((body) => ({ projectId: null, eventId: null, reason: "malformed_message", body })),
        ],
        now,
      );
      this.ctx.storage.sql.exec("delete from buffered where seq <= ?", lastSeq);
      const s = this.readStats();
      this.writeStats({
        flushes: (s.flushes ?? 0) + 1,
        events: (s.events ?? 0) + rows.length,
        statements: (s.statements ?? 0) + this.count.statements - before,
        failedFlushes: 0,
        flushMs: (s.flushMs ?? 0) + (Date.now() - now),
      });
    } catch (err) {
      const reason = `ingest_failed: ${err instanceof Error ? err.message.slice(0, 200) : "unknown error"}`;
      console.error("ingest flush failed", reason);
      const failed = (this.readStats().failedFlushes ?? 0) + 1;
      this.writeStats({ failedFlushes: failed });
      if (failed >= MAX_FAILED_FLUSHES && (await this.keepAsDeadLetters(rows, reason, now))) {
        this.ctx.storage.sql.exec("delete from buffered where seq <= ?", lastSeq);
        this.writeStats({ failedFlushes: 0 });
      } else {
        await this.ctx.storage.setAlarm(now + Math.min(60_000, 1_000 * 2 ** failed));
        return;
      }
    }
    await this.schedule(this.waiting());
  }

  /**
   * The next flush: at once when the buffer is full or was idle for an interval, else one interval after the last
   * flush began — so flushes are at most one per interval, and an event in quiet times is not held back.
   */
  private async schedule(waiting: number): Promise<void> {
    if (!waiting) return;
    const now = Date.now();
    const at = waiting >= FLUSH_MAX_EVENTS ? now : Math.max(now, (this.readStats().lastFlushAt ?? 0) + this.config.flushIntervalMs);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private nextFlush(): { seq: number; body: string }[] {
    const rows: { seq: number; body: string }[] = [];
    let bytes = 0;
    for (const r of this.ctx.storage.sql.exec<{ seq: number; body: string }>("select seq, body from buffered order by seq limit ?", FLUSH_MAX_EVENTS)) {
      if (rows.length && bytes + r.body.length > FLUSH_MAX_BYTES) break;
      bytes += r.body.length;
      rows.push(r);
    }
    return rows;
  }

  private async keepAsDeadLetters(rows: { body: string }[], reason: string, now: number): Promise<boolean> {
    try {
      await recordIngestDeadLetters(
        this.db,
        rows.map((r) => {
          const m = parseIngestMessage(JSON.parse(r.body));
          return { projectId: m?.projectId ?? null, eventId: m?.event.eventId ?? null, reason, body: r.body };
        }),
        now,
      );
      return true;
    } catch {
      return false; // D1 is failing: the events stay buffered and the next alarm tries again.
    }
  }

  private waiting(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("select count(*) as n from buffered").one().n;
  }

  private readStats(): Partial<Record<StatName, number>> {
    return Object.fromEntries(this.ctx.storage.sql.exec<{ name: string; value: number }>("select name, value from stats").toArray().map((r) => [r.name, r.value]));
  }

  private writeStats(values: Partial<Record<StatName, number>>): void {
    for (const [name, value] of Object.entries(values)) {
      this.ctx.storage.sql.exec("insert into stats (name, value) values (?, ?) on conflict (name) do update set value = excluded.value", name, value);
    }
  }
}
