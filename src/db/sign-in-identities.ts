/** Storage for who signs in to the web app: Microsoft identities (tid, oid) → users, and the checks of first sign-in. */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { integrations, memberships, organizations, signInIdentities, users } from "./schema";
import type { UserRow } from "./users";

/** The user a Microsoft identity signs in as, or null. */
export async function findUserBySignInIdentity(db: Db, tenantId: string, objectId: string): Promise<UserRow | null> {
  const [row] = await db
    .select({ user: users })
    .from(signInIdentities)
    .innerJoin(users, eq(users.id, signInIdentities.userId))
    .where(and(eq(signInIdentities.tenantId, tenantId), eq(signInIdentities.objectId, objectId)))
    .limit(1);
  return row?.user ?? null;
}

export async function touchSignInIdentity(db: Db, tenantId: string, objectId: string, now: number): Promise<void> {
  await db
    .update(signInIdentities)
    .set({ lastSignInAt: now })
    .where(and(eq(signInIdentities.tenantId, tenantId), eq(signInIdentities.objectId, objectId)));
}

/** Ties a Microsoft identity to a user; false when that identity already belongs to someone. */
export async function insertSignInIdentity(db: Db, input: { tenantId: string; objectId: string; userId: number; now: number }): Promise<boolean> {
  const r = await db
    .insert(signInIdentities)
    .values({ tenantId: input.tenantId, objectId: input.objectId, userId: input.userId, createdAt: input.now, lastSignInAt: input.now })
    .onConflictDoNothing();
  return (r.meta.changes ?? 0) === 1;
}

/**
 * Whether the tenant has an active installation connected to one of the user's organizations: only then may a
 * sign-in from that tenant claim the user by email (nobody's own tenant can claim someone else's address).
 */
export async function tenantTrustedByUser(db: Db, tenantId: string, userId: number): Promise<boolean> {
  const rows = await db
    .select({ one: sql<number>`1` })
    .from(integrations)
    .innerJoin(memberships, eq(memberships.organizationId, integrations.organizationId))
    .where(and(eq(integrations.tenantId, tenantId), eq(integrations.status, "active"), eq(memberships.userId, userId)))
    .limit(1);
  return rows.length > 0;
}

/** Organizations that let members of this tenant join on first sign-in (setting on, an active installation of it). */
export async function organizationsJoinableByTenant(db: Db, tenantId: string): Promise<number[]> {
  const rows = await db
    .selectDistinct({ id: organizations.id })
    .from(organizations)
    .innerJoin(integrations, eq(integrations.organizationId, organizations.id))
    .where(and(eq(integrations.tenantId, tenantId), eq(integrations.status, "active"), eq(organizations.tenantMembersMayJoin, true)));
  return rows.map((r) => r.id);
}

/**
 * A new user who joins organizations as a member, signed in with their Microsoft identity: one D1 batch (a
 * transaction), so a half-created user never exists. Null when the email is taken (by someone not trusted here).
 */
export async function insertJoiningUser(
  db: Db,
  input: { email: string; name: string; organizationIds: number[]; tenantId: string; objectId: string; now: number },
): Promise<UserRow | null> {
  const d1 = db.$client;
  const userByEmail = "(select id from users where email = ?)";
  const stmts: D1PreparedStatement[] = [
    d1.prepare("insert into users (email, name, created_at) values (?, ?, ?) on conflict (email) do nothing returning *").bind(input.email, input.name, input.now),
  ];
  // The rest applies only when the first statement created the user: its created_at is this batch's `now` (a user
  // who already had the address was created earlier, and then nothing here is written).
  const createdHere = "(select created_at from users where email = ?) = ?";
  for (const orgId of input.organizationIds) {
    stmts.push(
      d1
        .prepare(
          `insert into memberships (organization_id, user_id, role, created_at)
           select ?, ${userByEmail}, 'member', ? where ${createdHere} on conflict do nothing`,
        )
        .bind(orgId, input.email, input.now, input.email, input.now),
    );
  }
  stmts.push(
    d1
      .prepare(
        `insert into sign_in_identities (tenant_id, object_id, user_id, created_at, last_sign_in_at)
         select ?, ?, ${userByEmail}, ?, ? where ${createdHere} on conflict do nothing`,
      )
      .bind(input.tenantId, input.objectId, input.email, input.now, input.now, input.email, input.now),
  );
  const results = await d1.batch<Record<string, unknown>>(stmts);
  const created = results[0].results?.[0];
  if (!created) return null;
  return { id: created.id as number, email: created.email as string, name: created.name as string, notifyOnAssign: !!created.notify_on_assign, createdAt: created.created_at as number };
}
