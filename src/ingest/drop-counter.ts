/**
 * Counting refused events per project and reason (Sentry's client outcomes, kept server side) without a D1 write
 * per refusal: an isolate adds them up in memory and writes them once FLUSH_DELAY_MS after the first one, in one
 * D1 batch, after the response (waitUntil). A storm of refused requests costs one D1 call per isolate per second.
 */
import { addDropCounts, type DropCount } from "../db/dropped-events";
import type { Db } from "../db/client";
import type { DropReason } from "../db/schema";
import { windowStartOf } from "./rate-limit";

const FLUSH_DELAY_MS = 1_000;

const pending = new Map<string, DropCount>();
let flushing: Promise<void> | null = null;

export function countDropped(
  db: Db,
  ctx: { waitUntil(p: Promise<unknown>): void },
  drop: { projectId: number; reason: DropReason; count: number; now: number },
): void {
  const windowStart = windowStartOf(drop.now);
  const key = `${drop.projectId}|${drop.reason}|${windowStart}`;
  const row = pending.get(key) ?? { projectId: drop.projectId, reason: drop.reason, windowStart, count: 0 };
  row.count += drop.count;
  pending.set(key, row);
  if (flushing) return;
  flushing = new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS))
    .then(() => {
      const rows = [...pending.values()];
      pending.clear();
      return addDropCounts(db, rows);
    })
    .catch((err) => console.error("could not record dropped events", err instanceof Error ? err.message : String(err)))
    .finally(() => {
      flushing = null;
    });
  ctx.waitUntil(flushing);
}
