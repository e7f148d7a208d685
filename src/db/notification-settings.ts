/**
 * Personal notification settings and followed projects. "Assigned to me" is `users.notify_on_assign` (older than
 * this table, read by the assignment path); the other two toggles live in `notification_settings`, whose missing
 * row means the defaults (on). The chat's `notifications` card and the web app read and write them here.
 */
import { and, desc, eq, inArray, isNotNull } from "drizzle-orm";
import type { Db } from "./client";
import { issueActivity, identities, integrations, memberships, notificationSettings, projectFollows, projects, users } from "./schema";

export type NotificationSettings = {
  /** A personal card when an issue is assigned to me (by someone else). */
  assigned: boolean;
  /** A personal card when an issue I resolved regresses. */
  resolvedRegressed: boolean;
  /** A personal card for each new issue in a project I follow. */
  followedNew: boolean;
};

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { assigned: true, resolvedRegressed: true, followedNew: true };

export async function getNotificationSettings(db: Db, userId: number): Promise<NotificationSettings | null> {
  const [row] = await db
    .select({ assigned: users.notifyOnAssign, resolvedRegressed: notificationSettings.resolvedRegressed, followedNew: notificationSettings.followedNew })
    .from(users)
    .leftJoin(notificationSettings, eq(notificationSettings.userId, users.id))
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) return null;
  return {
    assigned: row.assigned,
    resolvedRegressed: row.resolvedRegressed ?? DEFAULT_NOTIFICATION_SETTINGS.resolvedRegressed,
    followedNew: row.followedNew ?? DEFAULT_NOTIFICATION_SETTINGS.followedNew,
  };
}

/** Writes all three settings in one batch (a transaction). */
export async function saveNotificationSettings(db: Db, userId: number, s: NotificationSettings, now: number): Promise<void> {
  await db.batch([
    db.update(users).set({ notifyOnAssign: s.assigned }).where(eq(users.id, userId)),
    db
      .insert(notificationSettings)
      .values({ userId, resolvedRegressed: s.resolvedRegressed, followedNew: s.followedNew, updatedAt: now })
      .onConflictDoUpdate({
        target: notificationSettings.userId,
        set: { resolvedRegressed: s.resolvedRegressed, followedNew: s.followedNew, updatedAt: now },
      }),
  ]);
}

/** Follows a project; true when it was not followed before. */
export async function followProject(db: Db, userId: number, projectId: number, now: number): Promise<boolean> {
  const rows = await db.insert(projectFollows).values({ userId, projectId, createdAt: now }).onConflictDoNothing().returning();
  return rows.length > 0;
}

/** Stops following; true when it was followed. */
export async function unfollowProject(db: Db, userId: number, projectId: number): Promise<boolean> {
  const rows = await db
    .delete(projectFollows)
    .where(and(eq(projectFollows.userId, userId), eq(projectFollows.projectId, projectId)))
    .returning();
  return rows.length > 0;
}

/** The projects a user follows, by slug (the notifications card lists them). */
export async function followedProjects(db: Db, userId: number): Promise<{ id: number; slug: string; name: string }[]> {
  return db
    .select({ id: projects.id, slug: projects.slug, name: projects.name })
    .from(projectFollows)
    .innerJoin(projects, eq(projects.id, projectFollows.projectId))
    .where(eq(projectFollows.userId, userId))
    .orderBy(projects.slug)
    .limit(100);
}

/** Who follows the project with "new issues in projects I follow" on (a missing settings row means on). */
export async function followersWantingNewIssues(db: Db, projectId: number): Promise<number[]> {
  const rows = await db
    .select({ userId: projectFollows.userId, followedNew: notificationSettings.followedNew })
    .from(projectFollows)
    .leftJoin(notificationSettings, eq(notificationSettings.userId, projectFollows.userId))
    .where(eq(projectFollows.projectId, projectId))
    .limit(500);
  return rows.filter((r) => r.followedNew ?? DEFAULT_NOTIFICATION_SETTINGS.followedNew).map((r) => r.userId);
}

/** Of these users, the ones with "issues I resolved regress" on. */
export async function usersWantingRegressions(db: Db, userIds: number[]): Promise<number[]> {
  if (!userIds.length) return [];
  const rows = await db
    .select({ userId: notificationSettings.userId, on: notificationSettings.resolvedRegressed })
    .from(notificationSettings)
    .where(inArray(notificationSettings.userId, userIds));
  const off = new Set(rows.filter((r) => !r.on).map((r) => r.userId));
  return userIds.filter((id) => !off.has(id));
}

/** Who last resolved the issue by hand (the actor of its latest resolve), or null. */
export async function lastResolverOf(db: Db, issueId: number): Promise<number | null> {
  const [row] = await db
    .select({ userId: issueActivity.actorUserId })
    .from(issueActivity)
    .where(and(eq(issueActivity.issueId, issueId), inArray(issueActivity.type, RESOLVE_ACTIVITY_TYPES), isNotNull(issueActivity.actorUserId)))
    .orderBy(desc(issueActivity.id))
    .limit(1);
  return row?.userId ?? null;
}

const RESOLVE_ACTIVITY_TYPES = ["set_resolved", "set_resolved_in_release", "set_resolved_in_next_release"];

/** Where to send these users a personal card about a project's issue: their linked Teams accounts in the project's organization (members only). */
export async function personalTargets(db: Db, userIds: number[], projectId: number) {
  if (!userIds.length) return [];
  return db
    .select({ userId: identities.userId, teamsUserId: identities.teamsUserId, tenantId: identities.tenantId, integrationId: integrations.id })
    .from(identities)
    .innerJoin(integrations, eq(integrations.id, identities.integrationId))
    .innerJoin(projects, eq(projects.organizationId, integrations.organizationId))
    .innerJoin(memberships, and(eq(memberships.organizationId, projects.organizationId), eq(memberships.userId, identities.userId)))
    .where(and(inArray(identities.userId, userIds), eq(projects.id, projectId), eq(integrations.status, "active"), eq(integrations.provider, "msteams")))
    .limit(500);
}

/**
 * Where to send a user a personal card about an assignment in an organization: nothing when they turned those off,
 * else their linked Teams accounts through the organization's active installations (at most 20).
 */
export async function assignmentTargets(db: Db, userId: number, organizationId: number): Promise<{ integrationId: number; teamsUserId: string; tenantId: string }[]> {
  const [user] = await db.select({ notifyOnAssign: users.notifyOnAssign }).from(users).where(eq(users.id, userId)).limit(1);
  if (!user?.notifyOnAssign) return [];
  return db
    .select({ integrationId: integrations.id, teamsUserId: identities.teamsUserId, tenantId: identities.tenantId })
    .from(identities)
    .innerJoin(integrations, eq(integrations.id, identities.integrationId))
    .where(and(eq(identities.userId, userId), eq(integrations.status, "active"), eq(integrations.organizationId, organizationId), eq(integrations.provider, "msteams")))
    .limit(20);
}
