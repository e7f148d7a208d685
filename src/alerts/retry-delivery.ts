/**
 * Sends a dead delivery again (the admin API's retry and the web's Deliveries page): back to `queued` with a fresh
 * attempt budget, handed to the queue; its outcome is recorded on the same row as for any delivery. Nothing is lost:
 * the row is the record, and a row that never reached the queue is picked up by the cron's sweep.
 */
import type { Db } from "../db/client";
import { getDelivery, type DeliveryRow } from "../db/alert-rules";
import { requeueDeadDelivery } from "../db/deliveries";
import type { Env } from "../env";
import { ConflictError, NotFoundError } from "../errors";
import { handOver } from "./enqueue";

export async function retryDeadDelivery(env: Env, db: Db, id: number, now: number): Promise<DeliveryRow> {
  const row = await requeueDeadDelivery(db, id, now);
  if (!row) {
    const existing = await getDelivery(db, id);
    if (!existing) throw new NotFoundError("No such delivery.");
    throw new ConflictError(`Only a dead delivery can be retried; this one is ${existing.status}.`);
  }
  await handOver(env, [row.id]);
  return row;
}
