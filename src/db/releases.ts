import { desc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { releases } from "./schema";

export type ReleaseRow = typeof releases.$inferSelect;

export async function insertRelease(db: Db, projectId: number, version: string, now: number): Promise<ReleaseRow> {
  const [row] = await db.insert(releases).values({ projectId, version, createdAt: now }).returning();
  return row;
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
