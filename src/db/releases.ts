import { and, desc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { releases } from "./schema";

export type ReleaseRow = typeof releases.$inferSelect;

export async function insertRelease(db: Db, projectId: number, version: string, now: number): Promise<ReleaseRow> {
  const [row] = await db.insert(releases).values({ projectId, version, createdAt: now }).returning();
  return row;
}

/**
 * The release row for a version, creating it when new (ingest sees releases before anyone registers them).
 * Race-free: the insert is ignored on the unique (project, version) index and the row re-read.
 */
export async function ensureRelease(db: Db, projectId: number, version: string, now: number): Promise<ReleaseRow> {
  const [inserted] = await db
    .insert(releases)
    .values({ projectId, version, createdAt: now })
    .onConflictDoNothing()
    .returning();
  if (inserted) return inserted;
  const existing = await findRelease(db, projectId, version);
  if (!existing) throw new Error("release vanished between insert and read");
  return existing;
}

export async function findRelease(db: Db, projectId: number, version: string): Promise<ReleaseRow | null> {
  const [row] = await db
    .select()
    .from(releases)
    .where(and(eq(releases.projectId, projectId), eq(releases.version, version)))
    .limit(1);
  return row ?? null;
}

/** Newest first (creation time, then id for releases created in the same millisecond). */
export async function listReleases(db: Db, projectId: number, limit = 100): Promise<ReleaseRow[]> {
  return db
    .select()
    .from(releases)
    .where(eq(releases.projectId, projectId))
    .orderBy(desc(releases.createdAt), desc(releases.id))
    .limit(limit);
}

/** The project's current release: the most recently created one ("resolve in the current release"). */
export async function latestRelease(db: Db, projectId: number): Promise<ReleaseRow | null> {
  const [row] = await listReleases(db, projectId, 1);
  return row ?? null;
}
