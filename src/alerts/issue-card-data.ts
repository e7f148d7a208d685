/** Gathers the plain data the (pure) issue card builder needs, in as few D1 round trips as possible. */
import { eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { DEFAULT_ASSIGN_CAPS } from "../cards/issue-actions";
import type { CardAssignee, CardMember, CardTeam, IssueCardInput } from "../cards/types";
import type { Db } from "../db/client";
import { groupAssignees, groups, organizations, projects, teams, users } from "../db/schema";

/** The Assign list offers this many at most; the card says how many exist in all. */
const MEMBER_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.members;
const TEAM_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.teams;
const assigneeUser = alias(users, "assignee_user");
const assigneeTeam = alias(teams, "assignee_team");

export async function loadIssueCardInput(
  db: Db,
  input: { groupId: number; integrationId: number; ruleIds: number[]; eventId?: string | null; baseUrl: string },
): Promise<IssueCardInput | null> {
  // One statement: the issue row with its labels, and the Assign lists, totals and rule names as JSON built by
  // correlated subqueries. Every statement costs a D1 round trip in production and CPU in local D1, and this
  // runs on every card click and every card delivery.
  const ruleIds = input.ruleIds.slice(0, 50);
  const head = await db
    .select({
      group: groups,
      project: projects,
      org: organizations,
      changerEmail: users.email,
      assigneeUserId: groupAssignees.userId,
      assigneeTeamId: groupAssignees.teamId,
      assigneeEmail: assigneeUser.email,
      assigneeSlug: assigneeTeam.slug,
      // The subqueries order their rows; the aggregate keeps that order, and the rows are sorted again below
      // because SQL does not promise it.
      membersJson: sql<string>`(select json_group_array(json_object('id', x.id, 'email', x.email, 'name', x.name)) from (
          select u.id, u.email, u.name from memberships m join users u on u.id = m.user_id
          where m.organization_id = ${projects.organizationId} order by u.name, u.email limit ${MEMBER_LOAD_LIMIT}) x)`,
      memberTotal: sql<number>`(select count(*) from memberships m where m.organization_id = ${projects.organizationId})`,
      teamsJson: sql<string>`(select json_group_array(json_object('id', x.id, 'slug', x.slug)) from (
          select t.id, t.slug from teams t where t.organization_id = ${projects.organizationId} order by t.slug limit ${TEAM_LOAD_LIMIT}) x)`,
      teamTotal: sql<number>`(select count(*) from teams t where t.organization_id = ${projects.organizationId})`,
      rulesJson: ruleIds.length
        ? sql<string>`(select json_group_array(json_object('id', r.id, 'name', r.name)) from alert_rules r
            where r.project_id = ${groups.projectId} and r.id in (${sql.join(
              ruleIds.map((id) => sql`${id}`),
              sql`, `,
            )}))`
        : sql<string>`'[]'`,
    })
    .from(groups)
    .innerJoin(projects, eq(projects.id, groups.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .leftJoin(users, eq(users.id, groups.statusChangedBy))
    .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
    .leftJoin(assigneeUser, eq(assigneeUser.id, groupAssignees.userId))
    .leftJoin(assigneeTeam, eq(assigneeTeam.id, groupAssignees.teamId))
    .where(eq(groups.id, input.groupId))
    .limit(1);
  const row = head[0];
  if (!row) return null;
  const { group, project, org } = row;

  const assignee: CardAssignee | null =
    row.assigneeUserId && row.assigneeEmail
      ? { kind: "user", id: row.assigneeUserId, email: row.assigneeEmail }
      : row.assigneeTeamId && row.assigneeSlug
        ? { kind: "team", id: row.assigneeTeamId, slug: row.assigneeSlug }
        : null;
  const members = (JSON.parse(row.membersJson) as CardMember[]).sort((a, b) => byBinary(a.name, b.name) || byBinary(a.email, b.email));
  const orgTeams = (JSON.parse(row.teamsJson) as CardTeam[]).sort((a, b) => byBinary(a.slug, b.slug));
  // Keep the rules' order as given (the first is the one shown as "via").
  const byId = new Map((JSON.parse(row.rulesJson) as { id: number; name: string }[]).map((r) => [r.id, r]));
  const rules = ruleIds.flatMap((id) => (byId.has(id) ? [{ id, name: byId.get(id)!.name }] : []));

  return {
    issue: {
      id: group.id,
      shortId: group.shortId,
      title: group.title,
      culprit: group.culprit,
      level: group.level,
      status: group.status,
      substatus: group.substatus,
      metadata: group.metadata,
      timesSeen: group.timesSeen,
      usersSeen: group.usersSeen,
      firstSeen: group.firstSeen,
      lastSeen: group.lastSeen,
      lastRelease: group.lastRelease,
      lastEnvironment: group.lastEnvironment,
      resolution: group.resolution,
      ignoreConditions: group.ignoreConditions,
      statusChangedBy: row.changerEmail ? { email: row.changerEmail } : null,
    },
    project: { id: project.id, slug: project.slug, name: project.name },
    organization: { id: org.id, slug: org.slug },
    assignee,
    rules,
    eventId: input.eventId ?? group.lastEventId ?? null,
    integrationId: input.integrationId,
    members,
    teams: orgTeams,
    memberTotal: row.memberTotal,
    teamTotal: row.teamTotal,
    baseUrl: input.baseUrl,
  };
}

/** SQLite's BINARY collation (the subqueries' `order by`): UTF-8 byte order, i.e. code point order. */
function byBinary(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** UTF-16 units ranked in code point order: surrogates (code points above U+FFFF) after all other units. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}
