/** Reads for the web app's issue pages: the filtered, sorted, counted list and everything the issue page shows. */
import { and, asc, count, desc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { alertRules, events, issueActivity, issueAssignees, issues, integrations, notificationMessages, projects, orgTeams, users } from "./schema";

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
const assigneeTeam = alias(orgTeams, "assignee_team");

const SORTS: Record<IssueSort, SQL[]> = {
  last_seen: [desc(issues.lastSeen), desc(issues.id)],
  first_seen: [desc(issues.firstSeen), desc(issues.id)],
  events: [desc(issues.timesSeen), desc(issues.id)],
};

/** One page of issues with the total that match (count(*) over (), in the same statement). */
export async function listIssuePage(db: Db, f: IssueListFilters) {
  const conds: SQL[] = [eq(projects.organizationId, f.organizationId)];
  if (f.projectId !== undefined) conds.push(eq(issues.projectId, f.projectId));
  if (f.status) conds.push(eq(issues.status, f.status));
  if (f.assignee?.kind === "user") conds.push(eq(issueAssignees.userId, f.assignee.id));
  if (f.assignee?.kind === "team") conds.push(eq(issueAssignees.teamId, f.assignee.id));
  if (f.assignee?.kind === "none") conds.push(sql`${issueAssignees.issueId} is null`);
  if (f.query) {
    const q = `%${f.query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conds.push(or(sql`${issues.title} like ${q} escape '\\'`, sql`${issues.culprit} like ${q} escape '\\'`, eq(issues.shortId, f.query.toUpperCase()))!);
  }
  const rows = await db
    .select({
      id: issues.id,
      shortId: issues.shortId,
      title: issues.title,
      culprit: issues.culprit,
      level: issues.level,
      status: issues.status,
      substatus: issues.substatus,
      timesSeen: issues.timesSeen,
      usersSeen: issues.usersSeen,
      firstSeen: issues.firstSeen,
      lastSeen: issues.lastSeen,
      projectSlug: projects.slug,
      assigneeEmail: assigneeUser.email,
      assigneeTeamSlug: assigneeTeam.slug,
      total: sql<number>`count(*) over ()`,
    })
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .leftJoin(issueAssignees, eq(issueAssignees.issueId, issues.id))
    .leftJoin(assigneeUser, eq(assigneeUser.id, issueAssignees.userId))
    .leftJoin(assigneeTeam, eq(assigneeTeam.id, issueAssignees.teamId))
    .where(and(...conds))
    .orderBy(...SORTS[f.sort])
    .limit(f.limit)
    .offset(f.offset);
  return { rows, total: rows[0]?.total ?? (f.offset > 0 ? await countIssues(db, conds) : 0) };
}

async function countIssues(db: Db, conds: SQL[]): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .leftJoin(issueAssignees, eq(issueAssignees.issueId, issues.id))
    .where(and(...conds));
  return row?.n ?? 0;
}

export type IssueListRow = Awaited<ReturnType<typeof listIssuePage>>["rows"][number];

/** Activity with the actor's name and email. */
export async function listActivityWithActors(db: Db, issueId: number, limit = 100) {
  return db
    .select({
      id: issueActivity.id,
      type: issueActivity.type,
      actorKind: issueActivity.actorKind,
      source: issueActivity.source,
      data: issueActivity.data,
      createdAt: issueActivity.createdAt,
      actorName: users.name,
      actorEmail: users.email,
    })
    .from(issueActivity)
    .leftJoin(users, eq(users.id, issueActivity.actorUserId))
    .where(eq(issueActivity.issueId, issueId))
    .orderBy(desc(issueActivity.id))
    .limit(limit);
}

export type EventRow = typeof events.$inferSelect;

/** The event shown (by id, else the latest) and its older/newer neighbours' ids. */
export async function eventWithNeighbours(db: Db, issueId: number, eventId?: string) {
  const [event] = eventId
    ? await db.select().from(events).where(and(eq(events.issueId, issueId), eq(events.id, eventId))).limit(1)
    : await db.select().from(events).where(eq(events.issueId, issueId)).orderBy(desc(events.timestamp), desc(events.id)).limit(1);
  if (!event) return { event: null, olderId: null, newerId: null };
  const [older, newer] = await Promise.all([
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.issueId, issueId), or(lt(events.timestamp, event.timestamp), and(eq(events.timestamp, event.timestamp), lt(events.id, event.id)))))
      .orderBy(desc(events.timestamp), desc(events.id))
      .limit(1),
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.issueId, issueId), or(gt(events.timestamp, event.timestamp), and(eq(events.timestamp, event.timestamp), gt(events.id, event.id)))))
      .orderBy(asc(events.timestamp), asc(events.id))
      .limit(1),
  ]);
  return { event, olderId: older[0]?.id ?? null, newerId: newer[0]?.id ?? null };
}

/** Events considered for tag values and releases seen (the newest ones; a page must stay cheap). */
const TAG_SAMPLE = 1000;

/** The most frequent values of each tag over the issue's newest events: [{key, value, n}], n descending per key. */
export async function topTagValues(db: Db, issueId: number) {
  const res = await db.$client
    .prepare(
      `select j.key as key, j.value as value, count(*) as n
       from (select tags from events where issue_id = ? order by timestamp desc limit ${TAG_SAMPLE}) e, json_each(e.tags) j
       group by j.key, j.value order by j.key, n desc`,
    )
    .bind(issueId)
    .all<{ key: string; value: string; n: number }>();
  return res.results;
}

/** Releases and environments the issue was seen in, newest first, with counts (over the newest events). */
export async function releasesAndEnvironments(db: Db, issueId: number) {
  const sample = `(select release, environment, timestamp from events where issue_id = ? order by timestamp desc limit ${TAG_SAMPLE})`;
  const [rel, env] = await db.$client.batch<{ name: string; n: number; lastSeen: number }>([
    db.$client
      .prepare(`select release as name, count(*) as n, max(timestamp) as lastSeen from ${sample} where release is not null group by release order by lastSeen desc limit 20`)
      .bind(issueId),
    db.$client
      .prepare(`select environment as name, count(*) as n, max(timestamp) as lastSeen from ${sample} where environment is not null group by environment order by n desc limit 20`)
      .bind(issueId),
  ]);
  return { releases: rel.results, environments: env.results };
}

/** Where the issue's cards are posted: conversation, rule and installation names. */
export async function postedCardsOf(db: Db, issueId: number) {
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
    .where(eq(notificationMessages.issueId, issueId))
    .orderBy(desc(notificationMessages.postedAt))
    .limit(50);
}
