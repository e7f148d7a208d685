/** Storage for the single-use nonces of signed links (pruned by the scheduled job once no link can carry them). */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { usedNonces } from "./schema";

/** Whether a link with this nonce was used already (a read: pages refuse a used link before anything else). */
export async function nonceUsed(db: Db, nonce: string): Promise<boolean> {
  const rows = await db.select({ nonce: usedNonces.nonce }).from(usedNonces).where(eq(usedNonces.nonce, nonce)).limit(1);
  return rows.length > 0;
}

/** Records a single-use nonce; false when it was used before (the atomic check that makes a link work once). */
export async function consumeNonce(db: Db, nonce: string, now: number): Promise<boolean> {
  const r = await db.insert(usedNonces).values({ nonce, usedAt: now }).onConflictDoNothing();
  return (r.meta.changes ?? 0) === 1;
}
