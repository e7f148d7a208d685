/** Storage for web sessions: rows keyed by the SHA-256 of the cookie's random id. */
import { and, eq, gt } from "drizzle-orm";
import type { Db } from "./client";
import { users, webSessions } from "./schema";

export type SessionView = { userId: number; email: string; name: string; csrfToken: string; tenantId: string; objectId: string; expiresAt: number };

export async function insertSession(
  db: Db,
  input: { idHash: string; userId: number; csrfToken: string; tenantId: string; objectId: string; userAgent: string; now: number; expiresAt: number },
): Promise<void> {
  await db.insert(webSessions).values({
    idHash: input.idHash,
    userId: input.userId,
    csrfToken: input.csrfToken,
    tenantId: input.tenantId,
    objectId: input.objectId,
    userAgent: input.userAgent,
    createdAt: input.now,
    expiresAt: input.expiresAt,
  });
}

/** The live session with that id hash (expired rows are not sessions). */
export async function findSession(db: Db, idHash: string, now: number): Promise<SessionView | null> {
  const [row] = await db
    .select({ userId: users.id, email: users.email, name: users.name, csrfToken: webSessions.csrfToken, tenantId: webSessions.tenantId, objectId: webSessions.objectId, expiresAt: webSessions.expiresAt })
    .from(webSessions)
    .innerJoin(users, eq(users.id, webSessions.userId))
    .where(and(eq(webSessions.idHash, idHash), gt(webSessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.idHash, idHash));
}

/** Deletes sessions past their expiry (the cron's housekeeping batch; a lookup ignores them anyway). */
export function pruneExpiredSessionsStatement(db: Db, now: number): D1PreparedStatement {
  return db.$client.prepare("delete from web_sessions where expires_at < ?").bind(now);
}
