import { and, asc, desc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "./client";
import { organizations, projectKeys, projects } from "./schema";

export type ProjectRow = typeof projects.$inferSelect;
export type ProjectKeyRow = typeof projectKeys.$inferSelect;

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

/**
 * Creates a project and its first ingest key in one D1 batch (one transaction): the key row finds the new
 * project by its (organization, slug) unique index, so a failure of either statement writes neither.
 */
export async function insertProjectWithKey(
  db: Db,
  input: { organizationId: number; slug: string; name: string; shortIdPrefix: string; publicKey: string },
  now: number,
): Promise<{ project: ProjectRow; key: ProjectKeyRow }> {
  const projectIdOfSlug = sql<number>`(select ${projects.id} from ${projects} where ${projects.organizationId} = ${input.organizationId} and ${projects.slug} = ${input.slug})`;
  const [[project], [key]] = await db.batch([
    db
      .insert(projects)
      .values({
        organizationId: input.organizationId,
        slug: input.slug,
        name: input.name,
        shortIdPrefix: input.shortIdPrefix,
        createdAt: now,
      })
      .returning(),
    db
      .insert(projectKeys)
      .values({ projectId: projectIdOfSlug, publicKey: input.publicKey, label: "default", createdAt: now })
      .returning(),
  ]);
  return { project, key };
}

export async function listProjects(db: Db, organizationId: number): Promise<ProjectRow[]> {
  return db.select().from(projects).where(eq(projects.organizationId, organizationId)).orderBy(asc(projects.slug));
}

/** A project with its organization's slug and name (what the chat matches names against). */
export type ProjectInOrg = { id: number; slug: string; name: string; organizationId: number; organizationSlug: string; organizationName: string };

/** The projects of these organizations, by organization then slug (capped: the chat only matches names). */
export async function projectsOfOrganizations(db: Db, organizationIds: number[]): Promise<ProjectInOrg[]> {
  if (!organizationIds.length) return [];
  return db
    .select({
      id: projects.id,
      slug: projects.slug,
      name: projects.name,
      organizationId: projects.organizationId,
      organizationSlug: organizations.slug,
      organizationName: organizations.name,
    })
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .where(inArray(projects.organizationId, organizationIds))
    .orderBy(asc(organizations.slug), asc(projects.slug))
    .limit(2000);
}

export async function findProject(db: Db, id: number): Promise<ProjectRow | null> {
  const [row] = await db.select().from(projects).where(eq(projects.id, id)).limit(1);
  return row ?? null;
}

/** All keys of a project, live ones first, newest first within each group. */
export async function listProjectKeys(db: Db, projectId: number): Promise<ProjectKeyRow[]> {
  return db
    .select()
    .from(projectKeys)
    .where(eq(projectKeys.projectId, projectId))
    .orderBy(sql`${projectKeys.revokedAt} is not null`, desc(projectKeys.id));
}

/**
 * Adds an ingest key. With `revokeOthers` every other live key of the project is revoked in the same batch
 * (rotation): the new key and the revocation land together or not at all.
 */
export async function insertProjectKey(
  db: Db,
  input: { projectId: number; publicKey: string; label: string; revokeOthers: boolean },
  now: number,
): Promise<{ key: ProjectKeyRow; revokedKeyIds: number[]; revokedPublicKeys: string[] }> {
  const insert = db
    .insert(projectKeys)
    .values({ projectId: input.projectId, publicKey: input.publicKey, label: input.label, createdAt: now })
    .returning();
  if (!input.revokeOthers) {
    const [key] = await insert;
    return { key, revokedKeyIds: [], revokedPublicKeys: [] };
  }
  const [[key], revoked] = await db.batch([
    insert,
    db
      .update(projectKeys)
      .set({ revokedAt: now })
      .where(
        and(
          eq(projectKeys.projectId, input.projectId),
          isNull(projectKeys.revokedAt),
          ne(projectKeys.publicKey, input.publicKey),
        ),
      )
      .returning({ id: projectKeys.id, publicKey: projectKeys.publicKey }),
  ]);
  return { key, revokedKeyIds: revoked.map((r) => r.id), revokedPublicKeys: revoked.map((r) => r.publicKey) };
}

export async function findProjectKey(db: Db, projectId: number, keyId: number): Promise<ProjectKeyRow | null> {
  const [row] = await db
    .select()
    .from(projectKeys)
    .where(and(eq(projectKeys.id, keyId), eq(projectKeys.projectId, projectId)))
    .limit(1);
  return row ?? null;
}

/** Revokes one key (once: an already revoked key keeps its first revocation time). */
export async function revokeProjectKey(db: Db, projectId: number, keyId: number, now: number): Promise<void> {
  await db
    .update(projectKeys)
    .set({ revokedAt: now })
    .where(and(eq(projectKeys.id, keyId), eq(projectKeys.projectId, projectId), isNull(projectKeys.revokedAt)));
}

/** A project of an organization by its slug (the web app's project URLs), or null. */
export async function findProjectBySlug(db: Db, organizationId: number, slug: string): Promise<ProjectRow | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.organizationId, organizationId), eq(projects.slug, slug)))
    .limit(1);
  return row ?? null;
}
