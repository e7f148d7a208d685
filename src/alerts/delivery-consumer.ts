/**
 * The DELIVERIES queue and its dead-letter queue. The queue is only the durable hand-over from whoever created a
 * delivery (ingest, a click, the admin API) to the outbox of its conversation (delivery-outbox.ts), which does the
 * sending, pacing, ordering and retrying. So a queue retry here means the hand-over failed, never "wait your turn":
 * waiting costs no queue retries, and `max_retries` counts real failures only.
 *
 * - `consumeDeliveries`: reads the batch's rows in one query, groups them by outbox, hands each group over with one
 *   call, and acks; a group whose outbox could not be reached is retried by the queue.
 * - `consumeDeadLetters`: a message the queue gave up on ends its delivery `dead` with the reason (unless it ended
 *   meanwhile), so the delivery log never shows a row waiting for something that will not come.
 */
import { getDb } from "../db/client";
import { endPendingDeliveries, getDeliveries } from "../db/deliveries";
import type { DeliveryRow } from "../db/alert-rules";
import type { Env } from "../env";
import { outboxName, type OutboxItem } from "./delivery-outbox";
import type { DeliveryMessage } from "./enqueue";

/** The queue names of wrangler.toml (a consumer gets batches of both). */
export const DELIVERY_QUEUE = "teams-deliveries";
export const DELIVERY_DEAD_LETTER_QUEUE = "teams-deliveries-dlq";

export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  const wanted = batch.messages.map((m) => ({ m, id: deliveryIdOf(m) }));
  const rows = new Map((await getDeliveries(db, wanted.flatMap((w) => (w.id === null ? [] : [w.id])))).map((d) => [d.id, d]));

  const byOutbox = new Map<string, { messages: Message<unknown>[]; items: OutboxItem[] }>();
  for (const { m, id } of wanted) {
    const d = id === null ? undefined : rows.get(id);
    // No such delivery, or it already ended: nothing to hand over.
    if (!d || d.status === "delivered" || d.status === "dead") {
      m.ack();
      continue;
    }
    const name = outboxName(d);
    const outbox = byOutbox.get(name) ?? { messages: [], items: [] };
    outbox.messages.push(m);
    outbox.items.push(itemOf(d));
    byOutbox.set(name, outbox);
  }

  await Promise.all(
    [...byOutbox].map(async ([name, outbox]) => {
      try {
        await env.OUTBOX.get(env.OUTBOX.idFromName(name)).accept(outbox.items);
        for (const m of outbox.messages) m.ack();
      } catch (err) {
        console.error("delivery: could not hand over to the outbox", err instanceof Error ? err.message : String(err));
        for (const m of outbox.messages) m.retry({ delaySeconds: 5 });
      }
    }),
  );
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ids = batch.messages.flatMap((m) => {
    const id = deliveryIdOf(m);
    return id === null ? [] : [id];
  });
  await endPendingDeliveries(getDb(env.DB), ids, "dead-lettered: could not be handed to the conversation's outbox", Date.now());
  batch.ackAll();
}

export function itemOf(d: DeliveryRow): OutboxItem {
  return { deliveryId: d.id, lane: d.kind === "update" ? "update" : "bulk", attempts: d.attempts };
}

function deliveryIdOf(m: Message<unknown>): number | null {
  const id = Number((m.body as DeliveryMessage | null)?.deliveryId);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
