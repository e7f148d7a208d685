import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./client";
import { projectKeys, projects } from "./schema";

export type ProjectRow = typeof projects.$inferSelect;

/** The project an ingest key (DSN public key) belongs to; revoked keys find nothing. */
export async function findProjectByIngestKey(db: Db, key: string): Promise<ProjectRow | null> {
  const rows = await db
    .select({ project: projects })
    .from(projectKeys)
    .innerJoin(projects, eq(projects.id, projectKeys.projectId))
    .where(and(eq(projectKeys.publicKey, key), isNull(projectKeys.revokedAt)))
    .limit(1);
  return rows[0]?.project ?? null;
}
