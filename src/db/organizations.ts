import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client";
import { memberships, organizations, orgTeamMembers, orgTeams, users } from "./schema";

export type OrganizationRow = typeof organizations.$inferSelect;
export type MembershipRole = "member" | "admin";
export type MemberRow = {
  userId: number;
  email: string;
  name: string;
  role: MembershipRole;
  createdAt: number;
};

export async function insertOrganization(
  db: Db,
  input: { name: string; slug: string },
  now: number,
): Promise<OrganizationRow> {
  const [row] = await db
    .insert(organizations)
    .values({ name: input.name, slug: input.slug, createdAt: now })
    .returning();
  return row;
}

export async function listOrganizations(db: Db): Promise<OrganizationRow[]> {
  return db.select().from(organizations).orderBy(asc(organizations.id));
}

export async function findOrganization(db: Db, id: number): Promise<OrganizationRow | null> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id)).limit(1);
  return row ?? null;
}

export async function findOrganizationBySlug(db: Db, slug: string): Promise<OrganizationRow | null> {
  const [row] = await db.select().from(organizations).where(eq(organizations.slug, slug)).limit(1);
  return row ?? null;
}

/** Applies a partial update; returns the row after it, or null when there is no such organization. */
export async function updateOrganization(
  db: Db,
  id: number,
  patch: { name?: string; autoLinkByEmail?: boolean; membersCanSubscribeChannels?: boolean; tenantMembersMayJoin?: boolean },
): Promise<OrganizationRow | null> {
  if (Object.keys(patch).length === 0) return findOrganization(db, id);
  const [row] = await db.update(organizations).set(patch).where(eq(organizations.id, id)).returning();
  return row ?? null;
}

export async function insertMembership(
  db: Db,
  input: { organizationId: number; userId: number; role: MembershipRole },
  now: number,
): Promise<void> {
  await db.insert(memberships).values({ ...input, createdAt: now });
}

export async function findMembership(
  db: Db,
  organizationId: number,
  userId: number,
): Promise<{ role: MembershipRole; createdAt: number } | null> {
  const [row] = await db
    .select({ role: memberships.role, createdAt: memberships.createdAt })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return row ?? null;
}

const memberColumns = {
  userId: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
  createdAt: memberships.createdAt,
};

export async function listMembers(db: Db, organizationId: number): Promise<MemberRow[]> {
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(asc(users.id));
}

/** One member with their user details, or null when the user is not a member. */
export async function findMember(db: Db, organizationId: number, userId: number): Promise<MemberRow | null> {
  const [row] = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** Changes a member's role; false when the user is not a member. */
export async function updateMembershipRole(
  db: Db,
  organizationId: number,
  userId: number,
  role: MembershipRole,
): Promise<boolean> {
  const rows = await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

/**
 * Removes a member and, in the same batch, their memberships of the organization's teams (team membership
 * requires org membership). False when the user was not a member.
 */
export async function deleteMembership(db: Db, organizationId: number, userId: number): Promise<boolean> {
  const teamIds = db.select({ id: orgTeams.id }).from(orgTeams).where(eq(orgTeams.organizationId, organizationId));
  const [removed] = await db.batch([
    db
      .delete(memberships)
      .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
      .returning({ userId: memberships.userId }),
    db.delete(orgTeamMembers).where(and(eq(orgTeamMembers.userId, userId), inArray(orgTeamMembers.teamId, teamIds))),
  ]);
  return removed.length > 0;
}

/** The organizations a user is an admin of (the setup page offers these), by name. */
export async function adminOrganizationsOf(db: Db, userId: number): Promise<OrganizationRow[]> {
  const rows = await db
    .select({ org: organizations })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(eq(memberships.userId, userId), eq(memberships.role, "admin")))
    .orderBy(asc(organizations.name));
  return rows.map((r) => r.org);
}
