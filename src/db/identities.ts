/** Storage for linked identities: which tracker user a Teams user is, per integration. */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "./client";
import { identities, integrations, organizations } from "./schema";

export type IdentityRow = typeof identities.$inferSelect;

export async function findIdentity(db: Db, integrationId: number, teamsUserId: string): Promise<IdentityRow | null> {
  const rows = await db
    .select()
    .from(identities)
    .where(and(eq(identities.integrationId, integrationId), eq(identities.teamsUserId, teamsUserId)))
    .limit(1);
  return rows[0] ?? null;
}

export async function identitiesOfTeamsUser(db: Db, tenantId: string, teamsUserId: string): Promise<IdentityRow[]> {
  return db
    .select()
    .from(identities)
    .where(and(eq(identities.tenantId, tenantId), eq(identities.teamsUserId, teamsUserId)))
    .limit(100);
}

/** Links a Teams user in the given integrations, replacing earlier links there (one batch). */
export async function linkIdentity(
  db: Db,
  input: { integrationIds: number[]; tenantId: string; teamsUserId: string; aadObjectId: string | null; userId: number; now: number },
): Promise<void> {
  const stmts = [];
  for (const integrationId of input.integrationIds) {
    stmts.push(
      db
        .insert(identities)
        .values({
          integrationId,
          tenantId: input.tenantId,
          teamsUserId: input.teamsUserId,
          aadObjectId: input.aadObjectId,
          userId: input.userId,
          linkedAt: input.now,
        })
        .onConflictDoUpdate({
          target: [identities.integrationId, identities.teamsUserId],
          set: { userId: input.userId, aadObjectId: input.aadObjectId, linkedAt: input.now },
        }),
    );
  }
  if (!stmts.length) return;
  const [first, ...rest] = stmts;
  await db.batch([first, ...rest]);
}

export async function unlinkIdentities(db: Db, ids: number[]): Promise<void> {
  if (ids.length) await db.delete(identities).where(inArray(identities.id, ids));
}

/** A user's Teams links with where each was made (the Me page). */
export type UserTeamsLink = {
  id: number;
  tenantId: string;
  linkedAt: number;
  installationName: string;
  installationType: "team" | "tenant";
  organizationName: string | null;
};

export async function teamsLinksOfUser(db: Db, userId: number): Promise<UserTeamsLink[]> {
  return db
    .select({
      id: identities.id,
      tenantId: identities.tenantId,
      linkedAt: identities.linkedAt,
      installationName: integrations.name,
      installationType: integrations.installationType,
      organizationName: organizations.name,
    })
    .from(identities)
    .innerJoin(integrations, eq(integrations.id, identities.integrationId))
    .leftJoin(organizations, eq(organizations.id, integrations.organizationId))
    .where(eq(identities.userId, userId))
    .orderBy(identities.id)
    .limit(200);
}

/** Removes one of the user's own links; false when it is not theirs (or gone). */
export async function unlinkOwnIdentity(db: Db, userId: number, id: number): Promise<boolean> {
  const rows = await db
    .delete(identities)
    .where(and(eq(identities.id, id), eq(identities.userId, userId)))
    .returning({ id: identities.id });
  return rows.length > 0;
}
