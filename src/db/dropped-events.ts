/** Counts of events refused before the queue, per project, reason and minute (see src/ingest/drop-counter.ts). */
import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { Db } from "./client";
import { droppedEvents, type DropReason } from "./schema";

export type DropCount = { projectId: number; reason: DropReason; windowStart: number; count: number };

/** Adds the counts in one statement per row, in one D1 batch. */
export async function addDropCounts(db: Db, rows: DropCount[]): Promise<void> {
  if (!rows.length) return;
  const add = (r: DropCount) =>
    db
      .insert(droppedEvents)
      .values(r)
      .onConflictDoUpdate({
        target: [droppedEvents.projectId, droppedEvents.reason, droppedEvents.windowStart],
        set: { count: sql`${droppedEvents.count} + ${r.count}` },
      });
  const [first, ...rest] = rows;
  await db.batch([add(first), ...rest.map(add)]);
}

/** A project's drop counts since `since`, newest minute first (at most `limit` rows). */
export function listDropCounts(db: Db, projectId: number, since: number, limit: number) {
  return db
    .select({ reason: droppedEvents.reason, windowStart: droppedEvents.windowStart, count: droppedEvents.count })
    .from(droppedEvents)
    .where(and(eq(droppedEvents.projectId, projectId), gte(droppedEvents.windowStart, since)))
    .orderBy(desc(droppedEvents.windowStart))
    .limit(limit);
}
