/** Accepted events the consumer could not count, kept with the reason (the rest of "nothing accepted is lost"). */
import { desc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { insertChunks } from "./insert-chunks";
import { ingestDeadLetters } from "./schema";

export type NewIngestDeadLetter = { projectId: number | null; eventId: string | null; reason: string; body: string };

/** The rows in one D1 batch: all of a failed flush are kept, or none (and the flush is retried). */
export async function recordIngestDeadLetters(db: Db, rows: NewIngestDeadLetter[], now: number): Promise<void> {
  if (!rows.length) return;
  const values = rows.map((r) => ({ ...r, createdAt: now }));
  const [first, ...rest] = insertChunks(ingestDeadLetters, values).map((chunk) => db.insert(ingestDeadLetters).values(chunk));
  await db.batch([first, ...rest]);
}

/** A project's dead letters, newest first. */
export function listIngestDeadLetters(db: Db, projectId: number, limit: number) {
  return db
    .select({ id: ingestDeadLetters.id, eventId: ingestDeadLetters.eventId, reason: ingestDeadLetters.reason, createdAt: ingestDeadLetters.createdAt })
    .from(ingestDeadLetters)
    .where(eq(ingestDeadLetters.projectId, projectId))
    .orderBy(desc(ingestDeadLetters.id))
    .limit(limit);
}
