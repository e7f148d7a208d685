/** Producing deliveries: one D1 row each (the record that nothing is lost), then one queue message each. */
import { insertDeliveries, markDelivery, type NewDelivery } from "../db/alert-rules";
import type { Db } from "../db/client";
import type { Env } from "../env";

export type DeliveryMessage = { deliveryId: number };

export async function enqueueDeliveries(env: Env, db: Db, rows: NewDelivery[], now: number): Promise<void> {
  const created = await insertDeliveries(db, rows, now);
  if (!created.length) return;
  try {
    await env.DELIVERIES.sendBatch(created.map((d) => ({ body: { deliveryId: d.id } satisfies DeliveryMessage, contentType: "json" as const })));
  } catch (err) {
    // The rows stay as the record; mark them so the admin list shows they never reached the queue.
    for (const d of created) await markDelivery(db, d.id, { status: "dead", lastError: "could not enqueue" }, now).catch(() => {});
    throw err;
  }
}
