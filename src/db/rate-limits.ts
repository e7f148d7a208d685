import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { rateLimitWindows } from "./schema";

/**
 * Adds `by` to the fixed-window counter (key, windowStart) and returns the new count. One upsert with
 * `returning`, so concurrent requests from any isolate each see an exact, distinct count.
 */
export async function incrementWindow(db: Db, key: string, windowStart: number, by = 1): Promise<number> {
  const [row] = await db
    .insert(rateLimitWindows)
    .values({ key, windowStart, count: by })
    .onConflictDoUpdate({
      target: [rateLimitWindows.key, rateLimitWindows.windowStart],
      set: { count: sql`${rateLimitWindows.count} + ${by}` },
    })
    .returning({ count: rateLimitWindows.count });
  return row.count;
}

/** Deletes a key's windows that started before `before` (they can no longer matter). */
export async function deleteWindowsBefore(db: Db, key: string, before: number): Promise<void> {
  await db.delete(rateLimitWindows).where(and(eq(rateLimitWindows.key, key), lt(rateLimitWindows.windowStart, before)));
}
