/** Storage for issues (groups): reads, guarded state changes, assignee and audit rows. */
import { and, desc, eq, getTableColumns, like, or, sql, type SQL } from "drizzle-orm";
import type { Actor, PlannedChange } from "../issues/lifecycle";
import type { PostedCard } from "./alert-rules";
import type { Db } from "./client";
import {
  events,
  groupActivity,
  groupAssignees,
  groups,
  projects,
  releases,
  teams,
  users,
  type ActivitySource,
  type GroupStatus,
} from "./schema";

export type GroupRow = typeof groups.$inferSelect;
export type AssigneeRow = typeof groupAssignees.$inferSelect;
export type ActivityRow = typeof groupActivity.$inferSelect;

export async function getGroup(db: Db, groupId: number): Promise<GroupRow | null> {
  const rows = await db.select().from(groups).where(eq(groups.id, groupId)).limit(1);
  return rows[0] ?? null;
}

/** The issue's version (bumped by every status or assignee change), or null when there is no such issue. */
export async function getGroupVersion(db: Db, groupId: number): Promise<number | null> {
  const rows = await db.select({ version: groups.version }).from(groups).where(eq(groups.id, groupId)).limit(1);
  return rows[0]?.version ?? null;
}

/** An issue with its project's organization, in one query. */
export async function getGroupWithOrg(
  db: Db,
  groupId: number,
): Promise<{ group: GroupRow; organizationId: number; projectSlug: string; projectName: string } | null> {
  const rows = await db
    .select({ group: groups, organizationId: projects.organizationId, projectSlug: projects.slug, projectName: projects.name })
    .from(groups)
    .innerJoin(projects, eq(projects.id, groups.projectId))
    .where(eq(groups.id, groupId))
    .limit(1);
  return rows[0] ?? null;
}

export async function getAssignee(db: Db, groupId: number): Promise<AssigneeRow | null> {
  const rows = await db.select().from(groupAssignees).where(eq(groupAssignees.groupId, groupId)).limit(1);
  return rows[0] ?? null;
}

export type AssigneeView =
  | { kind: "user"; id: number; email: string; name: string }
  | { kind: "team"; id: number; slug: string; name: string }
  | null;

/** The assignee with its label data (user email or team slug). */
export async function getAssigneeView(db: Db, groupId: number): Promise<AssigneeView> {
  const rows = await db
    .select({ a: groupAssignees, u: users, t: teams })
    .from(groupAssignees)
    .leftJoin(users, eq(users.id, groupAssignees.userId))
    .leftJoin(teams, eq(teams.id, groupAssignees.teamId))
    .where(eq(groupAssignees.groupId, groupId))
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
  group: GroupRow;
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
  input: { group: GroupRow; changes: PlannedChange[]; actor: Actor; source: ActivitySource; now: number },
): Promise<GuardedWrite | null> {
  const { group, changes, actor, source, now } = input;
  const d1 = db.$client;
  const token = crypto.randomUUID();
  const actorCols = actorColumns(actor);
  const guard = "exists (select 1 from groups where id = ? and write_token = ?)";
  const stmts: D1PreparedStatement[] = [];
  // Later changes win: a request's last status and last assignee are what it leaves.
  const status = changes.findLast((c) => c.status)?.status;
  const assigneeChange = changes.findLast((c) => c.assignee !== undefined);
  const version = group.version + changes.length;

  if (status) {
    stmts.push(
      d1
        .prepare(
          `update groups set status = ?, substatus = ?, resolution = ?, resolved_at = ?, ignore_conditions = ?,
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
          group.id,
          group.version,
        ),
    );
  } else {
    stmts.push(
      d1.prepare("update groups set version = ?, write_token = ? where id = ? and version = ? returning *").bind(version, token, group.id, group.version),
    );
  }
  if (assigneeChange?.assignee === null) {
    stmts.push(d1.prepare(`delete from group_assignees where group_id = ? and ${guard}`).bind(group.id, group.id, token));
  } else if (assigneeChange?.assignee) {
    const a = assigneeChange.assignee;
    stmts.push(
      d1
        .prepare(
          `insert into group_assignees (group_id, user_id, team_id, assigned_by, assigned_at)
           select ?, ?, ?, ?, ? where ${guard}
           on conflict (group_id) do update set user_id = excluded.user_id, team_id = excluded.team_id,
             assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at`,
        )
        .bind(group.id, a.userId, a.teamId, actorCols.actorUserId, now, group.id, token),
    );
  }
  for (const change of changes) {
    stmts.push(
      d1
        .prepare(
          `insert into group_activity (group_id, type, actor_user_id, actor_kind, source, data, created_at)
           select ?, ?, ?, ?, ?, ?, ? where ${guard}`,
        )
        .bind(group.id, change.activity.type, actorCols.actorUserId, actorCols.actorKind, source, JSON.stringify(change.activity.data), now, group.id, token),
    );
  }
  stmts.push(
    d1
      .prepare(
        `select id, rule_id as ruleId, integration_id as integrationId, conversation_id as conversationId, activity_id as activityId
         from notification_messages where group_id = ? limit 200`,
      )
      .bind(group.id),
  );
  const results = await d1.batch<Record<string, unknown>>(stmts);
  const row = results[0].results?.[0];
  if (!row) return null;
  return { group: groupFromColumns(row), posted: (results.at(-1)!.results ?? []) as unknown as PostedCard[] };
}

const groupColumns = Object.entries(getTableColumns(groups));

/** A `groups` row as SQLite returns it (`returning *`: snake_case, JSON as text) → the typed row drizzle would give. */
export function groupFromColumns(raw: Record<string, unknown>): GroupRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of groupColumns) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as GroupRow;
}

export function changesOf(result: unknown): number {
  const r = result as { meta?: { changes?: number }; changes?: number };
  return r?.meta?.changes ?? r?.changes ?? 0;
}

export async function listActivity(db: Db, groupId: number, limit = 100): Promise<ActivityRow[]> {
  return db.select().from(groupActivity).where(eq(groupActivity.groupId, groupId)).orderBy(desc(groupActivity.id)).limit(limit);
}

export async function latestEvent(db: Db, groupId: number) {
  const rows = await db.select().from(events).where(eq(events.groupId, groupId)).orderBy(desc(events.timestamp)).limit(1);
  return rows[0] ?? null;
}

export type IssueFilters = {
  organizationId?: number;
  projectId?: number;
  status?: GroupStatus;
  assignedUserId?: number;
  assignedTeamId?: number;
  unassigned?: boolean;
  query?: string;
  limit: number;
  cursor?: number;
};

/** Issues, most recently seen first, filtered; `cursor` is the last id of the previous page (ordering by id desc). */
export async function listGroups(db: Db, f: IssueFilters) {
  const conds: SQL[] = [];
  if (f.organizationId !== undefined) conds.push(eq(projects.organizationId, f.organizationId));
  if (f.projectId !== undefined) conds.push(eq(groups.projectId, f.projectId));
  if (f.status) conds.push(eq(groups.status, f.status));
  if (f.assignedUserId !== undefined) conds.push(eq(groupAssignees.userId, f.assignedUserId));
  if (f.assignedTeamId !== undefined) conds.push(eq(groupAssignees.teamId, f.assignedTeamId));
  if (f.unassigned) conds.push(sql`${groupAssignees.groupId} is null`);
  if (f.query) {
    const q = `%${f.query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conds.push(or(sql`${groups.title} like ${q} escape '\\'`, sql`${groups.culprit} like ${q} escape '\\'`, like(groups.shortId, f.query.toUpperCase()))!);
  }
  if (f.cursor !== undefined) conds.push(sql`${groups.id} < ${f.cursor}`);
  return db
    .select({ group: groups, assignee: groupAssignees, projectSlug: projects.slug })
    .from(groups)
    .innerJoin(projects, eq(projects.id, groups.projectId))
    .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(groups.id))
    .limit(f.limit);
}
