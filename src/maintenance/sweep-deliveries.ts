/**
 * The deliveries sweep (run by the cron): a delivery still `queued` or `retrying` that nothing has touched for
 * STALE_MS is handed to its conversation's outbox again (harmless if the outbox has it: it is not added twice; it
 * heals a hand-over that was lost), and one older than MAX_AGE_MS ends `dead` with the reason. Together with the
 * dead-letter consumer this keeps the invariant: once the system is quiet, no delivery is left waiting.
 */
import { itemOf } from "../alerts/delivery-consumer";
import { outboxName, type OutboxItem } from "../alerts/delivery-outbox";
import type { Db } from "../db/client";
import { endPendingDeliveries, stalePendingDeliveries, touchDeliveries } from "../db/deliveries";
import type { Env } from "../env";

/** Longer than any wait an outbox imposes on a delivery it holds (a 5-minute backoff, an hour of Teams' pace). */
export const STALE_MS = 10 * 60_000;
/** An alert this late is no longer worth sending. */
export const MAX_AGE_MS = 6 * 60 * 60_000;
const SWEEP_BATCH = 500;

export type SweepResult = { redriven: number; ended: number };

export async function sweepDeliveries(env: Env, db: Db, now: number): Promise<SweepResult> {
  const stale = await stalePendingDeliveries(db, now - STALE_MS, SWEEP_BATCH);
  const tooOld = stale.filter((d) => d.createdAt < now - MAX_AGE_MS).map((d) => d.id);
  const ended = await endPendingDeliveries(db, tooOld, `not delivered within ${MAX_AGE_MS / 3_600_000} h (ended by the sweep)`, now);

  const byOutbox = new Map<string, OutboxItem[]>();
  for (const d of stale) {
    if (tooOld.includes(d.id)) continue;
    const name = outboxName(d);
    byOutbox.set(name, [...(byOutbox.get(name) ?? []), itemOf(d)]);
  }
  let redriven = 0;
  for (const [name, items] of byOutbox) {
    try {
      await env.OUTBOX.get(env.OUTBOX.idFromName(name)).accept(items);
      await touchDeliveries(db, items.map((i) => i.deliveryId), now);
      redriven += items.length;
    } catch (err) {
      // The next run tries again.
      console.error("sweep: could not hand deliveries over", err instanceof Error ? err.message : String(err));
    }
  }
  return { redriven, ended: ended.length };
}
