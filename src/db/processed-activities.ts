/**
 * The de-dup table `processed_activities`: keys of things done once. Two kinds of key, both made here:
 *  - `activity:<conversation>|<activity id>`: an inbound activity already handled (Teams redelivers), pruned after
 *    a day;
 *  - `personal-install:<conversation>`: the personal install was greeted (conversationUpdate and installationUpdate
 *    both announce it), kept until the app is removed from that chat.
 */
import { eq } from "drizzle-orm";
import type { BatchRead } from "./batch-read";
import type { Db } from "./client";
import { changesOf } from "./issues";
import { namedBatch } from "./named-batch";
import { processedActivities } from "./schema";

export const activityKey = (conversationId: string, activityId: string) => `activity:${conversationId}|${activityId}`;
export const personalInstallKey = (conversationId: string) => `personal-install:${conversationId}`;

/** The claim as a statement that can ride in a D1 batch; 1 change = claimed now, 0 = done before. */
export function claimStatement(db: Db, key: string, now: number): D1PreparedStatement {
  return db.$client.prepare("insert into processed_activities (key, received_at) values (?, ?) on conflict do nothing").bind(key, now);
}

/**
 * Claims `key` (when there is one) and runs `read` (a read with no effect, e.g. a card click's data) in the same D1
 * batch: one call, and a transaction, so a failure claims nothing. `claimed` is false if the key was claimed before.
 */
export async function claimWithRead<T>(db: Db, key: string | null, read: BatchRead<T> | null, now: number): Promise<{ claimed: boolean; read: T | undefined }> {
  const res = await namedBatch(db.$client, { claim: key ? claimStatement(db, key, now) : null, read: read?.statement ?? null });
  return { claimed: !key || changesOf(res.claim) > 0, read: read ? read.read(res.read) : undefined };
}

/** Claims `key`; false if it was claimed before. */
export async function claim(db: Db, key: string, now: number): Promise<boolean> {
  const r = await db.insert(processedActivities).values({ key, receivedAt: now }).onConflictDoNothing();
  return (r.meta.changes ?? 0) > 0;
}

/** Gives a claim back (the work was not done after all, or the install it greeted is gone). */
export async function release(db: Db, key: string): Promise<void> {
  await db.delete(processedActivities).where(eq(processedActivities.key, key));
}

/** Activity keys older than `before` (Teams redelivers within minutes); install greetings are kept. */
export function pruneActivityKeysStatement(db: Db, before: number): D1PreparedStatement {
  return db.$client.prepare("delete from processed_activities where received_at < ? and key like 'activity:%'").bind(before);
}
