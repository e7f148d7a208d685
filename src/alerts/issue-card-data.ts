/** Gathers the plain data the (pure) issue card builder needs, in as few D1 round trips as possible. */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { CardAssignee, IssueCardInput } from "../cards/types";
import type { Db } from "../db/client";
import { alertRules, groupAssignees, groups, memberships, organizations, projects, teams, users } from "../db/schema";

/** Upper bound on members loaded for the Assign list (the card shows fewer and says how many exist). */
const MEMBER_LOAD_LIMIT = 2000;
const TEAM_LOAD_LIMIT = 500;

export async function loadIssueCardInput(
  db: Db,
  input: { groupId: number; integrationId: number; ruleIds: number[]; eventId?: string | null; baseUrl: string },
): Promise<IssueCardInput | null> {
  // Parallel queries, not db.batch: drizzle's D1 batch maps joined rows by column name, and these joins share names.
  const [head, members, ruleRows, orgTeams] = await Promise.all([
    db
      .select({ group: groups, project: projects, org: organizations, a: groupAssignees, changer: users })
      .from(groups)
      .innerJoin(projects, eq(projects.id, groups.projectId))
      .innerJoin(organizations, eq(organizations.id, projects.organizationId))
      .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
      .leftJoin(users, eq(users.id, groups.statusChangedBy))
      .where(eq(groups.id, input.groupId))
      .limit(1),
    db
      .select({ id: users.id, email: users.email, name: users.name })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .innerJoin(groups, eq(groups.id, input.groupId))
      .innerJoin(projects, and(eq(projects.id, groups.projectId), eq(projects.organizationId, memberships.organizationId)))
      .orderBy(asc(users.name), asc(users.email))
      .limit(MEMBER_LOAD_LIMIT),
    db
      .select({ id: alertRules.id, name: alertRules.name, projectId: alertRules.projectId })
      .from(alertRules)
      .where(inArray(alertRules.id, input.ruleIds.length ? input.ruleIds.slice(0, 50) : [-1])),
    db
      .select({ id: teams.id, slug: teams.slug })
      .from(teams)
      .innerJoin(groups, eq(groups.id, input.groupId))
      .innerJoin(projects, and(eq(projects.id, groups.projectId), eq(projects.organizationId, teams.organizationId)))
      .orderBy(asc(teams.slug))
      .limit(TEAM_LOAD_LIMIT),
  ]);
  const row = head[0];
  if (!row) return null;
  const { group, project, org } = row;

  let assignee: CardAssignee | null = null;
  if (row.a?.userId) {
    const u = members.find((m) => m.id === row.a!.userId);
    const email = u?.email ?? (await db.select({ email: users.email }).from(users).where(eq(users.id, row.a.userId)))[0]?.email;
    if (email) assignee = { kind: "user", id: row.a.userId, email };
  } else if (row.a?.teamId) {
    const t = orgTeams.find((x) => x.id === row.a!.teamId);
    if (t) assignee = { kind: "team", id: t.id, slug: t.slug };
  }
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
      statusChangedBy: row.changer ? { email: row.changer.email } : null,
    },
    project: { id: project.id, slug: project.slug, name: project.name },
    organization: { id: org.id, slug: org.slug },
    assignee,
    rules,
    eventId: input.eventId ?? group.lastEventId ?? null,
    integrationId: input.integrationId,
    members,
    teams: orgTeams,
    baseUrl: input.baseUrl,
  };
}
