import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "./client";
import { apiTokens, memberships, organizations, users } from "./schema";

export type UserRow = typeof users.$inferSelect;
/** A personal API token as stored: never the token, only its hash (which is not exposed either). */
export type ApiTokenRow = Omit<typeof apiTokens.$inferSelect, "tokenHash">;
export type UserMembership = { organizationId: number; organizationSlug: string; role: "member" | "admin" };

const tokenColumns = {
  id: apiTokens.id,
  userId: apiTokens.userId,
  name: apiTokens.name,
  createdAt: apiTokens.createdAt,
  revokedAt: apiTokens.revokedAt,
};

/** `email` must already be normalised (trimmed, lower-case): the unique index compares bytes. */
export async function insertUser(db: Db, input: { email: string; name: string }, now: number): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({ email: input.email, name: input.name, createdAt: now })
    .returning();
  return row;
}

export async function listUsers(db: Db, filter: { email?: string } = {}): Promise<UserRow[]> {
  const q = db.select().from(users);
  const where = filter.email !== undefined ? eq(users.email, filter.email) : undefined;
  return (where ? q.where(where) : q).orderBy(asc(users.id));
}

export async function findUser(db: Db, id: number): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  return row ?? null;
}

export async function updateUser(
  db: Db,
  id: number,
  patch: { name?: string; notifyOnAssign?: boolean },
): Promise<UserRow | null> {
  if (Object.keys(patch).length === 0) return findUser(db, id);
  const [row] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
  return row ?? null;
}

export async function listUserMemberships(db: Db, userId: number): Promise<UserMembership[]> {
  return db
    .select({ organizationId: organizations.id, organizationSlug: organizations.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.id));
}

export async function insertApiToken(
  db: Db,
  input: { userId: number; name: string; tokenHash: string },
  now: number,
): Promise<ApiTokenRow> {
  const [row] = await db
    .insert(apiTokens)
    .values({ ...input, createdAt: now })
    .returning(tokenColumns);
  return row;
}

export async function listApiTokens(db: Db, userId: number): Promise<ApiTokenRow[]> {
  return db.select(tokenColumns).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(asc(apiTokens.id));
}

export async function findApiToken(db: Db, userId: number, tokenId: number): Promise<ApiTokenRow | null> {
  const [row] = await db
    .select(tokenColumns)
    .from(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** Marks a token revoked (once: an already revoked token keeps its first revocation time). */
export async function revokeApiToken(db: Db, userId: number, tokenId: number, now: number): Promise<void> {
  await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
}

/** The owner of a live (not revoked) token with this hash. */
export async function findUserByTokenHash(db: Db, tokenHash: string): Promise<UserRow | null> {
  const [row] = await db
    .select({ user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row?.user ?? null;
}
