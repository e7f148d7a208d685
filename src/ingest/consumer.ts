/**
 * The EVENTS queue consumer: a batch of accepted events (up to 100, wrangler.toml) is handed, per project, to the
 * project's ingest buffer (src/ingest/ingest-buffer.ts), which keeps the events durably and flushes them to D1 in
 * one aggregated write per interval. A message is acknowledged once its buffer has it. Nothing accepted is lost:
 * a project's share the buffer did not take is retried (the buffer keeps an event id once, and D1 counts it once);
 * on a message's last attempt, or for a message that is not an event, a dead-letter row keeps it with the reason.
 * If even that write fails, the queue moves the message to the dead-letter queue, whose consumer records it.
 */
import { getDb, type Db } from "../db/client";
import { recordIngestDeadLetters, type NewIngestDeadLetter } from "../db/ingest-dead-letters";
import type { Env } from "../env";
import { parseIngestMessage, type IngestMessage } from "./message";

export const EVENTS_QUEUE = "teams-events";
export const EVENTS_DEAD_LETTER_QUEUE = "teams-events-dlq";
/** wrangler.toml `max_retries` of the EVENTS consumer: attempt number MAX_RETRIES + 1 is the last. */
export const MAX_RETRIES = 5;

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  const db = getDb(env.DB);
  const byProject = new Map<number, { msg: Message<unknown>; event: IngestMessage }[]>();
  const malformed: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const event = parseIngestMessage(msg.body);
    if (!event) malformed.push(msg);
    else byProject.set(event.projectId, [...(byProject.get(event.projectId) ?? []), { msg, event }]);
  }
  if (malformed.length) await keepOrRetry(db, malformed, "malformed_message", now, true);
  await Promise.all(
    [...byProject].map(async ([projectId, items]) => {
      try {
        await env.INGEST_BUFFER.get(env.INGEST_BUFFER.idFromName(String(projectId))).add(items.map((i) => i.event));
        for (const i of items) i.msg.ack();
      } catch (err) {
        const reason = `ingest_failed: ${err instanceof Error ? err.message.slice(0, 200) : "unknown error"}`;
        console.error("ingest hand-over failed", reason);
        await keepOrRetry(db, items.map((i) => i.msg), reason, now, false);
      }
    }),
  );
}

/**
 * Messages that cannot go on: kept as dead letters (always, or only on their last attempt) and acknowledged;
 * the others, or all of them when the dead-letter write fails, retried with backoff.
 */
async function keepOrRetry(db: Db, messages: Message<unknown>[], reason: string, now: number, always: boolean): Promise<void> {
  const last = messages.filter((m) => always || m.attempts > MAX_RETRIES);
  let kept = false;
  try {
    await recordIngestDeadLetters(db, last.map((m) => deadLetter(m.body, reason)), now);
    kept = true;
  } catch {
    // Left to the queue: retried past its last attempt, they move to the dead-letter queue.
  }
  for (const m of messages) {
    if (kept && last.includes(m)) m.ack();
    else m.retry({ delaySeconds: Math.min(60, 2 ** m.attempts) });
  }
}

/** The dead-letter queue's consumer: whatever reached it is recorded (retried by the queue until it is). */
export async function consumeEventDeadLetters(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  await recordIngestDeadLetters(getDb(env.DB), batch.messages.map((m) => deadLetter(m.body, "retries_exhausted")), now);
  batch.ackAll();
}

function deadLetter(body: unknown, reason: string): NewIngestDeadLetter {
  const event = parseIngestMessage(body);
  return { projectId: event?.projectId ?? null, eventId: event?.event.eventId ?? null, reason, body: JSON.stringify(body ?? null).slice(0, 200_000) };
}
