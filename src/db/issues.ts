/** Storage for issues (Sentry calls them groups): reads, guarded state changes, assignee and audit rows. */
import { and, desc, eq, getTableColumns, like, or, sql, type SQL } from "drizzle-orm";
import type { Actor, PlannedChange } from "../issues/lifecycle";
import type { PostedCard } from "./alert-rules";
import type { Db } from "./client";
import {
  events,
  issueActivity,
  issueAssignees,
  issues,
  projects,
  releases,
  orgTeams,
  users,
  type ActivitySource,
  type IssueStatus,
} from "./schema";

export type IssueRow = typeof issues.$inferSelect;
export type AssigneeRow = typeof issueAssignees.$inferSelect;
export type ActivityRow = typeof issueActivity.$inferSelect;

export async function getIssue(db: Db, issueId: number): Promise<IssueRow | null> {
  const rows = await db.select().from(issues).where(eq(issues.id, issueId)).limit(1);
  return rows[0] ?? null;
}

/** The issue's version (bumped by every status or assignee change), or null when there is no such issue. */
export async function getIssueVersion(db: Db, issueId: number): Promise<number | null> {
  const rows = await db.select({ version: issues.version }).from(issues).where(eq(issues.id, issueId)).limit(1);
  return rows[0]?.version ?? null;
}

/** An issue with its project's organization, in one query. */
export async function getIssueWithOrg(
  db: Db,
  issueId: number,
): Promise<{ issue: IssueRow; organizationId: number; projectSlug: string; projectName: string } | null> {
  const rows = await db
    .select({ issue: issues, organizationId: projects.organizationId, projectSlug: projects.slug, projectName: projects.name })
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .where(eq(issues.id, issueId))
    .limit(1);
  return rows[0] ?? null;
}

export async function getAssignee(db: Db, issueId: number): Promise<AssigneeRow | null> {
  const rows = await db.select().from(issueAssignees).where(eq(issueAssignees.issueId, issueId)).limit(1);
  return rows[0] ?? null;
}

export type AssigneeView =
  | { kind: "user"; id: number; email: string; name: string }
  | { kind: "team"; id: number; slug: string; name: string }
  | null;

/** The assignee with its label data (user email or team slug). */
export async function getAssigneeView(db: Db, issueId: number): Promise<AssigneeView> {
  const rows = await db
    .select({ a: issueAssignees, u: users, t: orgTeams })
    .from(issueAssignees)
    .leftJoin(users, eq(users.id, issueAssignees.userId))
    .leftJoin(orgTeams, eq(orgTeams.id, issueAssignees.teamId))
    .where(eq(issueAssignees.issueId, issueId))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  if (row.u) return { kind: "user", id: row.u.id, email: row.u.email, name: row.u.name };
  if (row.t) return { kind: "team", id: row.t.id, slug: row.t.slug, name: row.t.name };
  return null;
}

/** As Sentry's Teams integration shows an assignee (get_assignee_string): the user's email or `#team-slug`. */
export function assigneeLabel(a: AssigneeView): string | null {
  if (!a) return null;
  return a.kind === "user" ? a.email : `#${a.slug}`;
}

export async function findRelease(db: Db, projectId: number, version: string) {
  const rows = await db
    .select({ version: releases.version, createdAt: releases.createdAt })
    .from(releases)
    .where(and(eq(releases.projectId, projectId), eq(releases.version, version)))
    .limit(1);
  return rows[0] ?? null;
}

function actorColumns(actor: Actor): { actorUserId: number | null; actorKind: "user" | "system" | "api" } {
  return actor.kind === "user" ? { actorUserId: actor.userId, actorKind: "user" } : { actorUserId: null, actorKind: actor.kind };
}

/** What a guarded change wrote, and what it read in the same transaction. */
export type GuardedWrite = {
  /** The issue row as written (all columns, counters included, as of the write). */
  issue: IssueRow;
  /**
   * The issue's posted cards, read after the write in the same transaction: a card posted before the change is
   * in this list, and one posted after it was built from the changed issue (or is corrected by its delivery).
   */
  posted: PostedCard[];
};

/**
 * Writes planned changes (one or several, e.g. a status and an assignee from one request) in one D1 batch — a
 * transaction — guarded by the issue's version: the first statement updates the issue only if nobody changed it
 * since it was read, bumps the version once per change and stamps the row with a fresh token; the assignee and
 * audit statements run only where that token is present. Returns the issue as written with the posted cards read
 * in the same batch, or null when the guard failed (re-read and re-plan).
 */
export async function applyGuardedChange(
  db: Db,
  input: { issue: IssueRow; changes: PlannedChange[]; actor: Actor; source: ActivitySource; now: number },
): Promise<GuardedWrite | null> {
  const { issue, changes, actor, source, now } = input;
  const d1 = db.$client;
  const token = crypto.randomUUID();
  const actorCols = actorColumns(actor);
  const guard = "exists (select 1 from issues where id = ? and write_token = ?)";
  const stmts: D1PreparedStatement[] = [];
  // Later changes win: a request's last status and last assignee are what it leaves.
  const status = changes.findLast((c) => c.status)?.status;
  const assigneeChange = changes.findLast((c) => c.assignee !== undefined);
  const version = issue.version + changes.length;

  if (status) {
    stmts.push(
      d1
        .prepare(
          `update issues set status = ?, substatus = ?, resolution = ?, resolved_at = ?, ignore_conditions = ?,
             status_changed_by = ?, status_changed_at = ?, version = ?, write_token = ?
           where id = ? and version = ? returning *`,
        )
        .bind(
          status.status,
          status.substatus,
          status.resolution ? JSON.stringify(status.resolution) : null,
          status.resolvedAt,
          status.ignoreConditions ? JSON.stringify(status.ignoreConditions) : null,
          actorCols.actorUserId,
          now,
          version,
          token,
          issue.id,
          issue.version,
        ),
    );
  } else {
    stmts.push(
      d1.prepare("update issues set version = ?, write_token = ? where id = ? and version = ? returning *").bind(version, token, issue.id, issue.version),
    );
  }
  if (assigneeChange?.assignee === null) {
    stmts.push(d1.prepare(`delete from issue_assignees where issue_id = ? and ${guard}`).bind(issue.id, issue.id, token));
  } else if (assigneeChange?.assignee) {
    const a = assigneeChange.assignee;
    stmts.push(
      d1
        .prepare(
          `insert into issue_assignees (issue_id, user_id, team_id, assigned_by, assigned_at)
           select ?, ?, ?, ?, ? where ${guard}
           on conflict (issue_id) do update set user_id = excluded.user_id, team_id = excluded.team_id,
             assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at`,
        )
        .bind(issue.id, a.userId, a.teamId, actorCols.actorUserId, now, issue.id, token),
    );
  }
  for (const change of changes) {
    stmts.push(
      d1
        .prepare(
          `insert into issue_activity (issue_id, type, actor_user_id, actor_kind, source, data, created_at)
           select ?, ?, ?, ?, ?, ?, ? where ${guard}`,
        )
        .bind(issue.id, change.activity.type, actorCols.actorUserId, actorCols.actorKind, source, JSON.stringify(change.activity.data), now, issue.id, token),
    );
  }
  stmts.push(
    d1
      .prepare(
        `select id, rule_id as ruleId, integration_id as integrationId, conversation_id as conversationId, activity_id as activityId
         from notification_messages where issue_id = ? limit 200`,
      )
      .bind(issue.id),
  );
  const results = await d1.batch<Record<string, unknown>>(stmts);
  const row = results[0].results?.[0];
  if (!row) return null;
  return { issue: issueFromColumns(row), posted: (results.at(-1)!.results ?? []) as unknown as PostedCard[] };
}

const issueColumns = Object.entries(getTableColumns(issues));

/** An `issues` row as SQLite returns it (`returning *`: snake_case, JSON as text) → the typed row drizzle would give. */
export function issueFromColumns(raw: Record<string, unknown>): IssueRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of issueColumns) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as IssueRow;
}

export function changesOf(result: unknown): number {
  const r = result as { meta?: { changes?: number }; changes?: number };
  return r?.meta?.changes ?? r?.changes ?? 0;
}

export async function listActivity(db: Db, issueId: number, limit = 100): Promise<ActivityRow[]> {
  return db.select().from(issueActivity).where(eq(issueActivity.issueId, issueId)).orderBy(desc(issueActivity.id)).limit(limit);
}

export async function latestEvent(db: Db, issueId: number) {
  const rows = await db.select().from(events).where(eq(events.issueId, issueId)).orderBy(desc(events.timestamp)).limit(1);
  return rows[0] ?? null;
}

export type IssueFilters = {
  organizationId?: number;
  projectId?: number;
  status?: IssueStatus;
  assignedUserId?: number;
  assignedTeamId?: number;
  unassigned?: boolean;
  query?: string;
  limit: number;
  cursor?: number;
};

/** Issues, most recently seen first, filtered; `cursor` is the last id of the previous page (ordering by id desc). */
export async function listIssues(db: Db, f: IssueFilters) {
  const conds: SQL[] = [];
  if (f.organizationId !== undefined) conds.push(eq(projects.organizationId, f.organizationId));
  if (f.projectId !== undefined) conds.push(eq(issues.projectId, f.projectId));
  if (f.status) conds.push(eq(issues.status, f.status));
  if (f.assignedUserId !== undefined) conds.push(eq(issueAssignees.userId, f.assignedUserId));
  if (f.assignedTeamId !== undefined) conds.push(eq(issueAssignees.teamId, f.assignedTeamId));
  if (f.unassigned) conds.push(sql`${issueAssignees.issueId} is null`);
  if (f.query) {
    const q = `%${f.query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conds.push(or(sql`${issues.title} like ${q} escape '\\'`, sql`${issues.culprit} like ${q} escape '\\'`, like(issues.shortId, f.query.toUpperCase()))!);
  }
  if (f.cursor !== undefined) conds.push(sql`${issues.id} < ${f.cursor}`);
  return db
    .select({ issue: issues, assignee: issueAssignees, projectSlug: projects.slug })
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .leftJoin(issueAssignees, eq(issueAssignees.issueId, issues.id))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(issues.id))
    .limit(f.limit);
}
