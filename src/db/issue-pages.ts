/** Reads for the web app's issue pages: the filtered, sorted, counted list and everything the issue page shows. */
import { and, asc, count, desc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { alertRules, events, groupActivity, groupAssignees, groups, integrations, notificationMessages, projects, teams, users } from "./schema";

export type IssueSort = "last_seen" | "first_seen" | "events";
export type AssigneeFilter = { kind: "user"; id: number } | { kind: "team"; id: number } | { kind: "none" };

export type IssueListFilters = {
  organizationId: number;
  projectId?: number;
  status?: "unresolved" | "resolved" | "ignored";
  assignee?: AssigneeFilter;
  /** Text in the title or culprit, or a short id (exact, case-insensitive). */
  query?: string;
  sort: IssueSort;
  offset: number;
  limit: number;
};

const assigneeUser = alias(users, "assignee_user");
const assigneeTeam = alias(teams, "assignee_team");

const SORTS: Record<IssueSort, SQL[]> = {
  last_seen: [desc(groups.lastSeen), desc(groups.id)],
  first_seen: [desc(groups.firstSeen), desc(groups.id)],
  events: [desc(groups.timesSeen), desc(groups.id)],
};

/** One page of issues with the total that match (count(*) over (), in the same statement). */
export async function listIssuePage(db: Db, f: IssueListFilters) {
  const conds: SQL[] = [eq(projects.organizationId, f.organizationId)];
  if (f.projectId !== undefined) conds.push(eq(groups.projectId, f.projectId));
  if (f.status) conds.push(eq(groups.status, f.status));
  if (f.assignee?.kind === "user") conds.push(eq(groupAssignees.userId, f.assignee.id));
  if (f.assignee?.kind === "team") conds.push(eq(groupAssignees.teamId, f.assignee.id));
  if (f.assignee?.kind === "none") conds.push(sql`${groupAssignees.groupId} is null`);
  if (f.query) {
    const q = `%${f.query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conds.push(or(sql`${groups.title} like ${q} escape '\\'`, sql`${groups.culprit} like ${q} escape '\\'`, eq(groups.shortId, f.query.toUpperCase()))!);
  }
  const rows = await db
    .select({
      id: groups.id,
      shortId: groups.shortId,
      title: groups.title,
      culprit: groups.culprit,
      level: groups.level,
      status: groups.status,
      substatus: groups.substatus,
      timesSeen: groups.timesSeen,
      usersSeen: groups.usersSeen,
      firstSeen: groups.firstSeen,
      lastSeen: groups.lastSeen,
      projectSlug: projects.slug,
      assigneeEmail: assigneeUser.email,
      assigneeTeamSlug: assigneeTeam.slug,
      total: sql<number>`count(*) over ()`,
    })
    .from(groups)
    .innerJoin(projects, eq(projects.id, groups.projectId))
    .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
    .leftJoin(assigneeUser, eq(assigneeUser.id, groupAssignees.userId))
    .leftJoin(assigneeTeam, eq(assigneeTeam.id, groupAssignees.teamId))
    .where(and(...conds))
    .orderBy(...SORTS[f.sort])
    .limit(f.limit)
    .offset(f.offset);
  return { rows, total: rows[0]?.total ?? (f.offset > 0 ? await countIssues(db, conds) : 0) };
}

async function countIssues(db: Db, conds: SQL[]): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(groups)
    .innerJoin(projects, eq(projects.id, groups.projectId))
    .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
    .where(and(...conds));
  return row?.n ?? 0;
}

export type IssueListRow = Awaited<ReturnType<typeof listIssuePage>>["rows"][number];

/** Activity with the actor's name and email. */
export async function listActivityWithActors(db: Db, groupId: number, limit = 100) {
  return db
    .select({
      id: groupActivity.id,
      type: groupActivity.type,
      actorKind: groupActivity.actorKind,
      source: groupActivity.source,
      data: groupActivity.data,
      createdAt: groupActivity.createdAt,
      actorName: users.name,
      actorEmail: users.email,
    })
    .from(groupActivity)
    .leftJoin(users, eq(users.id, groupActivity.actorUserId))
    .where(eq(groupActivity.groupId, groupId))
    .orderBy(desc(groupActivity.id))
    .limit(limit);
}

export type EventRow = typeof events.$inferSelect;

/** The event shown (by id, else the latest) and its older/newer neighbours' ids. */
export async function eventWithNeighbours(db: Db, groupId: number, eventId?: string) {
  const [event] = eventId
    ? await db.select().from(events).where(and(eq(events.groupId, groupId), eq(events.id, eventId))).limit(1)
    : await db.select().from(events).where(eq(events.groupId, groupId)).orderBy(desc(events.timestamp), desc(events.id)).limit(1);
  if (!event) return { event: null, olderId: null, newerId: null };
  const [older, newer] = await Promise.all([
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.groupId, groupId), or(lt(events.timestamp, event.timestamp), and(eq(events.timestamp, event.timestamp), lt(events.id, event.id)))))
      .orderBy(desc(events.timestamp), desc(events.id))
      .limit(1),
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.groupId, groupId), or(gt(events.timestamp, event.timestamp), and(eq(events.timestamp, event.timestamp), gt(events.id, event.id)))))
      .orderBy(asc(events.timestamp), asc(events.id))
      .limit(1),
  ]);
  return { event, olderId: older[0]?.id ?? null, newerId: newer[0]?.id ?? null };
}

/** Events considered for tag values and releases seen (the newest ones; a page must stay cheap). */
const TAG_SAMPLE = 1000;

/** The most frequent values of each tag over the issue's newest events: [{key, value, n}], n descending per key. */
export async function topTagValues(db: Db, groupId: number) {
  const res = await db.$client
    .prepare(
      `select j.key as key, j.value as value, count(*) as n
       from (select tags from events where group_id = ? order by timestamp desc limit ${TAG_SAMPLE}) e, json_each(e.tags) j
       group by j.key, j.value order by j.key, n desc`,
    )
    .bind(groupId)
    .all<{ key: string; value: string; n: number }>();
  return res.results;
}

/** Releases and environments the issue was seen in, newest first, with counts (over the newest events). */
export async function releasesAndEnvironments(db: Db, groupId: number) {
  const sample = `(select release, environment, timestamp from events where group_id = ? order by timestamp desc limit ${TAG_SAMPLE})`;
  const [rel, env] = await db.$client.batch<{ name: string; n: number; lastSeen: number }>([
    db.$client
      .prepare(`select release as name, count(*) as n, max(timestamp) as lastSeen from ${sample} where release is not null group by release order by lastSeen desc limit 20`)
      .bind(groupId),
    db.$client
      .prepare(`select environment as name, count(*) as n, max(timestamp) as lastSeen from ${sample} where environment is not null group by environment order by n desc limit 20`)
      .bind(groupId),
  ]);
  return { releases: rel.results, environments: env.results };
}

/** Where the issue's cards are posted: conversation, rule and installation names. */
export async function postedCardsOf(db: Db, groupId: number) {
  return db
    .select({
      id: notificationMessages.id,
      conversationId: notificationMessages.conversationId,
      postedAt: notificationMessages.postedAt,
      personal: sql<boolean>`${notificationMessages.userId} is not null`,
      ruleName: alertRules.name,
      targetName: alertRules.targetName,
      integrationName: integrations.name,
    })
    .from(notificationMessages)
    .leftJoin(alertRules, eq(alertRules.id, notificationMessages.ruleId))
    .innerJoin(integrations, eq(integrations.id, notificationMessages.integrationId))
    .where(eq(notificationMessages.groupId, groupId))
    .orderBy(desc(notificationMessages.postedAt))
    .limit(50);
}
