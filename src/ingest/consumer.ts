/**
 * The EVENTS queue consumer: a batch of accepted events (up to 100, wrangler.toml) is counted by ingestBatch in one
 * aggregated D1 write. Nothing accepted is lost: a batch that fails is retried (ingest is idempotent per event id,
 * so a retry after a partial success counts nothing twice); on a message's last attempt, or for a message that is
 * not an event, or whose project is gone, a dead-letter row keeps it with the reason. If even that write fails,
 * the queue moves the message to the dead-letter queue, whose consumer records it.
 */
import { getDb } from "../db/client";
import { recordIngestDeadLetters, type NewIngestDeadLetter } from "../db/ingest-dead-letters";
import type { Env } from "../env";
import { ingestBatch } from "./aggregate";
import { parseIngestMessage, type IngestMessage } from "./message";

export const EVENTS_QUEUE = "teams-events";
export const EVENTS_DEAD_LETTER_QUEUE = "teams-events-dlq";
/** wrangler.toml `max_retries` of the EVENTS consumer: attempt number MAX_RETRIES + 1 is the last. */
export const MAX_RETRIES = 5;

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  const db = getDb(env.DB);
  const valid: { msg: Message<unknown>; event: IngestMessage }[] = [];
  const malformed: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const event = parseIngestMessage(msg.body);
    if (event) valid.push({ msg, event });
    else malformed.push(msg);
  }
  try {
    const { rejected } = await ingestBatch(env, db, valid.map((v) => v.event), now);
    await recordIngestDeadLetters(
      db,
      [...malformed.map((msg) => deadLetter(msg.body, "malformed_message")), ...rejected.map((r) => deadLetter(r.message, r.reason))],
      now,
    );
    batch.ackAll();
  } catch (err) {
    const reason = `ingest_failed: ${err instanceof Error ? err.message.slice(0, 200) : "unknown error"}`;
    console.error("ingest batch failed", reason);
    const last = batch.messages.filter((m) => m.attempts > MAX_RETRIES);
    let kept = false;
    try {
      await recordIngestDeadLetters(db, last.map((m) => deadLetter(m.body, reason)), now);
      kept = true;
    } catch {
      // Left to the queue: retried past its last attempt, they move to the dead-letter queue.
    }
    for (const m of batch.messages) {
      if (kept && last.includes(m)) m.ack();
      else m.retry({ delaySeconds: Math.min(60, 2 ** m.attempts) });
    }
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
