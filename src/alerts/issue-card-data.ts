/** Gathers the plain data the (pure) issue card builder needs, in as few D1 round trips as possible. */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { DEFAULT_ASSIGN_CAPS } from "../cards/issue-actions";
import type { CardAssignee, IssueCardInput } from "../cards/types";
import type { Db } from "../db/client";
import { alertRules, groupAssignees, groups, memberships, organizations, projects, teams, users } from "../db/schema";

/** The Assign list offers this many at most; the card says how many exist in all (`count(*) over ()`). */
const MEMBER_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.members;
const TEAM_LOAD_LIMIT = DEFAULT_ASSIGN_CAPS.teams;
const assigneeUser = alias(users, "assignee_user");
const assigneeTeam = alias(teams, "assignee_team");

export async function loadIssueCardInput(
  db: Db,
  input: { groupId: number; integrationId: number; ruleIds: number[]; eventId?: string | null; baseUrl: string },
): Promise<IssueCardInput | null> {
  // Parallel queries, not db.batch: drizzle's D1 batch maps joined rows by column name, and these joins share names.
  const [head, members, ruleRows, orgTeams] = await Promise.all([
    db
      .select({
        group: groups,
        project: projects,
        org: organizations,
        changerEmail: users.email,
        assigneeUserId: groupAssignees.userId,
        assigneeTeamId: groupAssignees.teamId,
        assigneeEmail: assigneeUser.email,
        assigneeSlug: assigneeTeam.slug,
      })
      .from(groups)
      .innerJoin(projects, eq(projects.id, groups.projectId))
      .innerJoin(organizations, eq(organizations.id, projects.organizationId))
      .leftJoin(users, eq(users.id, groups.statusChangedBy))
      .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
      .leftJoin(assigneeUser, eq(assigneeUser.id, groupAssignees.userId))
      .leftJoin(assigneeTeam, eq(assigneeTeam.id, groupAssignees.teamId))
      .where(eq(groups.id, input.groupId))
      .limit(1),
    db
      .select({ id: users.id, email: users.email, name: users.name, total: sql<number>`count(*) over ()` })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .innerJoin(groups, eq(groups.id, input.groupId))
      .innerJoin(projects, and(eq(projects.id, groups.projectId), eq(projects.organizationId, memberships.organizationId)))
      .orderBy(asc(users.name), asc(users.email))
      .limit(MEMBER_LOAD_LIMIT),
    input.ruleIds.length
      ? db
          .select({ id: alertRules.id, name: alertRules.name, projectId: alertRules.projectId })
          .from(alertRules)
          .where(inArray(alertRules.id, input.ruleIds.slice(0, 50)))
      : Promise.resolve([]),
    db
      .select({ id: teams.id, slug: teams.slug, total: sql<number>`count(*) over ()` })
      .from(teams)
      .innerJoin(groups, eq(groups.id, input.groupId))
      .innerJoin(projects, and(eq(projects.id, groups.projectId), eq(projects.organizationId, teams.organizationId)))
      .orderBy(asc(teams.slug))
      .limit(TEAM_LOAD_LIMIT),
  ]);
  const row = head[0];
  if (!row) return null;
  const { group, project, org } = row;

  const assignee: CardAssignee | null =
    row.assigneeUserId && row.assigneeEmail
      ? { kind: "user", id: row.assigneeUserId, email: row.assigneeEmail }
      : row.assigneeTeamId && row.assigneeSlug
        ? { kind: "team", id: row.assigneeTeamId, slug: row.assigneeSlug }
        : null;
  // Keep the rules' order as given (the first is the one shown as "via").
  const byId = new Map(ruleRows.filter((r) => r.projectId === project.id).map((r) => [r.id, r]));
  const rules = input.ruleIds.flatMap((id) => (byId.has(id) ? [{ id, name: byId.get(id)!.name }] : []));

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
    members: members.map(({ total: _t, ...m }) => m),
    teams: orgTeams.map(({ total: _t, ...t }) => t),
    memberTotal: members[0]?.total ?? 0,
    teamTotal: orgTeams[0]?.total ?? 0,
    baseUrl: input.baseUrl,
  };
}
