import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { orgTeamMembers, orgTeams, users } from "./schema";

export type OrgTeamRow = typeof orgTeams.$inferSelect;
export type TeamMemberRow = { userId: number; email: string; name: string };

export async function insertTeam(
  db: Db,
  input: { organizationId: number; slug: string; name: string },
  now: number,
): Promise<OrgTeamRow> {
  const [row] = await db
    .insert(orgTeams)
    .values({ ...input, createdAt: now })
    .returning();
  return row;
}

export async function listTeams(db: Db, organizationId: number): Promise<OrgTeamRow[]> {
  return db.select().from(orgTeams).where(eq(orgTeams.organizationId, organizationId)).orderBy(asc(orgTeams.slug));
}

export async function findTeam(db: Db, id: number): Promise<OrgTeamRow | null> {
  const [row] = await db.select().from(orgTeams).where(eq(orgTeams.id, id)).limit(1);
  return row ?? null;
}

export async function insertTeamMember(db: Db, teamId: number, userId: number): Promise<void> {
  await db.insert(orgTeamMembers).values({ teamId, userId });
}

export async function listTeamMembers(db: Db, teamId: number): Promise<TeamMemberRow[]> {
  return db
    .select({ userId: users.id, email: users.email, name: users.name })
    .from(orgTeamMembers)
    .innerJoin(users, eq(users.id, orgTeamMembers.userId))
    .where(eq(orgTeamMembers.teamId, teamId))
    .orderBy(asc(users.id));
}

/** False when the user was not a member of the team. */
export async function deleteTeamMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const rows = await db
    .delete(orgTeamMembers)
    .where(and(eq(orgTeamMembers.teamId, teamId), eq(orgTeamMembers.userId, userId)))
    .returning({ userId: orgTeamMembers.userId });
  return rows.length > 0;
}

/** Whether the team belongs to the organization (assigning to a team of another org is refused). */
export async function teamInOrg(db: Db, organizationId: number, teamId: number): Promise<boolean> {
  const rows = await db
    .select({ id: orgTeams.id })
    .from(orgTeams)
    .where(and(eq(orgTeams.organizationId, organizationId), eq(orgTeams.id, teamId)))
    .limit(1);
  return rows.length > 0;
}
