import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { memberships, teams } from "./schema";

/** The user's role in the organization, or null when not a member. */
export async function orgRole(db: Db, organizationId: number, userId: number): Promise<"member" | "admin" | null> {
  const rows = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return rows[0]?.role ?? null;
}

export async function teamInOrg(db: Db, organizationId: number, teamId: number): Promise<boolean> {
  const rows = await db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.organizationId, organizationId), eq(teams.id, teamId)))
    .limit(1);
  return rows.length > 0;
}
