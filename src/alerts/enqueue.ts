/** Producing deliveries: one D1 row each (the record that nothing is lost), then one queue message each. */
import { insertDeliveries, markDelivery, type NewDelivery } from "../db/alert-rules";
import type { Db } from "../db/client";
import type { Env } from "../env";

export type DeliveryMessage = { deliveryId: number };

export async function enqueueDeliveries(env: Env, db: Db, rows: NewDelivery[], now: number): Promise<void> {
  const created = await insertDeliveries(db, rows, now);
  if (!created.length) return;
  try {
    await handOver(env, created.map((d) => d.id));
  } catch (err) {
    // The rows stay as the record; mark them so the admin list shows they never reached the queue.
    for (const d of created) await markDelivery(db, d.id, { status: "dead", lastError: "could not enqueue" }, now).catch(() => {});
    throw err;
  }
}

/** Sends existing deliveries to the DELIVERIES queue (which hands them to their conversation's outbox). */
export async function handOver(env: Env, deliveryIds: number[]): Promise<void> {
  // sendBatch takes at most 100 messages.
  for (let i = 0; i < deliveryIds.length; i += 100) {
    await env.DELIVERIES.sendBatch(deliveryIds.slice(i, i + 100).map((deliveryId) => ({ body: { deliveryId } satisfies DeliveryMessage, contentType: "json" as const })));
  }
}
