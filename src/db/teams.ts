import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { teamMembers, teams, users } from "./schema";

export type TeamRow = typeof teams.$inferSelect;
export type TeamMemberRow = { userId: number; email: string; name: string };

export async function insertTeam(
  db: Db,
  input: { organizationId: number; slug: string; name: string },
  now: number,
): Promise<TeamRow> {
  const [row] = await db
    .insert(teams)
    .values({ ...input, createdAt: now })
    .returning();
  return row;
}

export async function listTeams(db: Db, organizationId: number): Promise<TeamRow[]> {
  return db.select().from(teams).where(eq(teams.organizationId, organizationId)).orderBy(asc(teams.slug));
}

export async function findTeam(db: Db, id: number): Promise<TeamRow | null> {
  const [row] = await db.select().from(teams).where(eq(teams.id, id)).limit(1);
  return row ?? null;
}

export async function insertTeamMember(db: Db, teamId: number, userId: number): Promise<void> {
  await db.insert(teamMembers).values({ teamId, userId });
}

export async function listTeamMembers(db: Db, teamId: number): Promise<TeamMemberRow[]> {
  return db
    .select({ userId: users.id, email: users.email, name: users.name })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(asc(users.id));
}

/** False when the user was not a member of the team. */
export async function deleteTeamMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const rows = await db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)))
    .returning({ userId: teamMembers.userId });
  return rows.length > 0;
}

/** Whether the team belongs to the organization (assigning to a team of another org is refused). */
export async function teamInOrg(db: Db, organizationId: number, teamId: number): Promise<boolean> {
  const rows = await db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.organizationId, organizationId), eq(teams.id, teamId)))
    .limit(1);
  return rows.length > 0;
}
