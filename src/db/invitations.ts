/**
 * Invitations by email. One is usable only from a Microsoft tenant with an active installation connected to the
 * inviting organization: a tenant's admins control the `email` claims of their own accounts, so an address alone
 * proves nothing (the same rule as claiming a user by email on first sign-in).
 */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./client";
import type { MembershipRole } from "./organizations";
import { invitations, users } from "./schema";

export type InvitationRow = typeof invitations.$inferSelect;
export type InvitationView = InvitationRow & { invitedByName: string | null };

export const INVITATION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A pending invitation; an earlier one for the same address is replaced (new role, new expiry). */
export async function upsertInvitation(
  db: Db,
  input: { organizationId: number; email: string; role: MembershipRole; invitedByUserId: number },
  now: number,
): Promise<InvitationRow> {
  const [row] = await db
    .insert(invitations)
    .values({ ...input, createdAt: now, expiresAt: now + INVITATION_TTL_MS })
    .onConflictDoUpdate({
      target: [invitations.organizationId, invitations.email],
      set: { role: input.role, invitedByUserId: input.invitedByUserId, createdAt: now, expiresAt: now + INVITATION_TTL_MS },
    })
    .returning();
  return row;
}

/** The organization's invitations, expired ones included (the page says so), oldest first. */
export async function listInvitations(db: Db, organizationId: number): Promise<InvitationView[]> {
  const rows = await db
    .select({ invitation: invitations, invitedByName: users.name })
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedByUserId))
    .where(eq(invitations.organizationId, organizationId))
    .orderBy(asc(invitations.id))
    .limit(500);
  return rows.map((r) => ({ ...r.invitation, invitedByName: r.invitedByName }));
}

/** Deletes one invitation of the organization; false when there is none with that id. */
export async function deleteInvitation(db: Db, organizationId: number, id: number): Promise<boolean> {
  const rows = await db
    .delete(invitations)
    .where(and(eq(invitations.organizationId, organizationId), eq(invitations.id, id)))
    .returning({ id: invitations.id });
  return rows.length > 0;
}

/** Unexpired invitations for this address whose organization has an active installation in this tenant. */
const USABLE = `from invitations i
  where i.email = ? and i.expires_at > ?
    and exists (select 1 from integrations g where g.organization_id = i.organization_id and g.tenant_id = ? and g.status = 'active')`;

/** The organizations whose invitations this sign-in may accept (nothing is written). */
export async function usableInvitations(db: Db, email: string, tenantId: string, now: number): Promise<number[]> {
  const { results } = await db.$client
    .prepare(`select i.organization_id as id ${USABLE}`)
    .bind(email.toLowerCase(), now, tenantId)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

/**
 * Turns the usable invitations for this address into memberships of the user (an existing membership keeps its
 * role) and deletes them, in one batch (a transaction). Returns the organizations joined.
 */
export async function acceptInvitations(db: Db, input: { userId: number; email: string; tenantId: string; now: number }): Promise<number[]> {
  const email = input.email.toLowerCase();
  const d1 = db.$client;
  const [joined] = await d1.batch<{ organization_id: number }>([
    d1
      .prepare(
        `insert into memberships (organization_id, user_id, role, created_at)
         select i.organization_id, ?, i.role, ? ${USABLE}
         on conflict do nothing returning organization_id`,
      )
      .bind(input.userId, input.now, email, input.now, input.tenantId),
    d1.prepare(`delete from invitations where id in (select i.id ${USABLE})`).bind(email, input.now, input.tenantId),
  ]);
  return (joined.results ?? []).map((r) => r.organization_id);
}
