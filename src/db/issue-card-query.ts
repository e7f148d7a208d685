/**
 * The issue card's data as select columns, shared by the card data loader (alerts/issue-card-data.ts) and the card
 * click query (db/card-click.ts), so that a click reads everything it needs in one statement.
 */
import { eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { DEFAULT_ASSIGN_CAPS } from "../issues/assign-list";
import type { Db } from "./client";
import { issueAssignees, issues, organizations, projects, orgTeams, users } from "./schema";

/** The Assign list offers this many at most; the card says how many exist in all. */
const MEMBER_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.members;
const TEAM_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.teams;
/** Aliases the card data's joins use (the changer and the assignee are both users; see cardDataColumns). */
export const changerUser = alias(users, "changer_user");
export const assigneeUser = alias(users, "assignee_user");
export const assigneeTeam = alias(orgTeams, "assignee_team");

/**
 * The card's data as select columns: the issue row with its labels, and the Assign lists, totals and rule names
 * as JSON built by correlated subqueries, so that all of it is one statement (every statement costs a D1 round
 * trip in production and CPU in local D1, and this runs on every card click and delivery). The query must join
 * `issues` → `projects` → `organizations`, `changerUser` on issues.statusChangedBy, `issueAssignees` on the
 * issue, and `assigneeUser` / `assigneeTeam` on the assignee (see loadIssueCardInput in alerts/issue-card-data.ts).
 */
export function cardDataColumns(ruleIds: number[]) {
  const ids = ruleIds.slice(0, 50);
  return {
    issue: issues,
    project: projects,
    org: organizations,
    changerEmail: changerUser.email,
    assigneeUserId: issueAssignees.userId,
    assigneeTeamId: issueAssignees.teamId,
    assigneeEmail: assigneeUser.email,
    assigneeSlug: assigneeTeam.slug,
    // The subqueries order their rows; the aggregate keeps that order, and the rows are sorted again in
    // alerts/issue-card-data.ts because SQL does not promise it.
    membersJson: sql<string>`(select json_group_array(json_object('id', x.id, 'email', x.email, 'name', x.name)) from (
        select u.id, u.email, u.name from memberships m join users u on u.id = m.user_id
        where m.organization_id = ${projects.organizationId} order by u.name, u.email limit ${MEMBER_LOAD_LIMIT}) x)`,
    memberTotal: sql<number>`(select count(*) from memberships m where m.organization_id = ${projects.organizationId})`,
    teamsJson: sql<string>`(select json_group_array(json_object('id', x.id, 'slug', x.slug)) from (
        select t.id, t.slug from org_teams t where t.organization_id = ${projects.organizationId} order by t.slug limit ${TEAM_LOAD_LIMIT}) x)`,
    teamTotal: sql<number>`(select count(*) from org_teams t where t.organization_id = ${projects.organizationId})`,
    rulesJson: ids.length
      ? sql<string>`(select json_group_array(json_object('id', r.id, 'name', r.name)) from alert_rules r
          where r.project_id = ${issues.projectId} and r.id in (${sql.join(
            ids.map((id) => sql`${id}`),
            sql`, `,
          )}))`
      : sql<string>`'[]'`,
  };
}

/** One row of cardDataColumns, as drizzle returns it. */
export type CardDataRow = {
  issue: typeof issues.$inferSelect;
  project: typeof projects.$inferSelect;
  org: typeof organizations.$inferSelect;
  changerEmail: string | null;
  assigneeUserId: number | null;
  assigneeTeamId: number | null;
  assigneeEmail: string | null;
  assigneeSlug: string | null;
  membersJson: string;
  memberTotal: number;
  teamsJson: string;
  teamTotal: number;
  rulesJson: string;
};

/** The card data of one issue (one statement), or null when the issue is gone. */
export async function issueCardRow(db: Db, issueId: number, ruleIds: number[]): Promise<CardDataRow | null> {
  const rows = await db
    .select(cardDataColumns(ruleIds))
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .leftJoin(changerUser, eq(changerUser.id, issues.statusChangedBy))
    .leftJoin(issueAssignees, eq(issueAssignees.issueId, issues.id))
    .leftJoin(assigneeUser, eq(assigneeUser.id, issueAssignees.userId))
    .leftJoin(assigneeTeam, eq(assigneeTeam.id, issueAssignees.teamId))
    .where(eq(issues.id, issueId))
    .limit(1);
  return rows[0] ?? null;
}
