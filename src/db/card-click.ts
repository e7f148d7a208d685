/**
 * Everything a card click needs to decide and plan, in one statement: the integration it came through, the
 * clicker's linked user and whether they belong to the integration's organization, the issue with its project's
 * organization, its assignee, and the project's latest release (for "resolve in the current release").
 *
 * Card clicks are the bot's hot path; read separately these were five to seven statements in two round trips.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import type { AssigneeRow, GroupRow } from "./groups";
import type { IntegrationRow } from "./integrations";
import type { ReleaseRow } from "./releases";
import { groupAssignees, groups, identities, integrations, memberships, projects, releases } from "./schema";

export type CardClick = {
  integration: IntegrationRow;
  /** The user linked to the clicking Teams account through this integration, if any. */
  linkedUserId: number | null;
  /** Whether that linked user is a member of the integration's organization. */
  linkedUserIsMember: boolean;
  /** The issue, or null when there is none with that id. */
  issue: {
    group: GroupRow;
    organizationId: number;
    projectSlug: string;
    projectName: string;
    assignee: AssigneeRow | null;
    latestRelease: ReleaseRow | null;
  } | null;
};

/** Null when there is no such integration. */
export async function loadCardClick(
  db: Db,
  input: { integrationId: number; groupId: number; teamsUserId: string },
): Promise<CardClick | null> {
  const latestReleaseId = sql`(select r2.id from ${releases} r2 where r2.project_id = ${groups.projectId}
    order by r2.created_at desc, r2.id desc limit 1)`;
  const rows = await db
    .select({
      integration: integrations,
      linkedUserId: identities.userId,
      memberUserId: memberships.userId,
      group: groups,
      organizationId: projects.organizationId,
      projectSlug: projects.slug,
      projectName: projects.name,
      assignee: groupAssignees,
      latestRelease: releases,
    })
    .from(integrations)
    .leftJoin(identities, and(eq(identities.integrationId, integrations.id), eq(identities.teamsUserId, input.teamsUserId)))
    .leftJoin(memberships, and(eq(memberships.organizationId, integrations.organizationId), eq(memberships.userId, identities.userId)))
    .leftJoin(groups, eq(groups.id, input.groupId))
    .leftJoin(projects, eq(projects.id, groups.projectId))
    .leftJoin(groupAssignees, eq(groupAssignees.groupId, groups.id))
    .leftJoin(releases, eq(releases.id, latestReleaseId))
    .where(eq(integrations.id, input.integrationId))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  return {
    integration: row.integration,
    linkedUserId: row.linkedUserId ?? null,
    linkedUserIsMember: row.memberUserId !== null && row.memberUserId !== undefined,
    issue:
      row.group && row.organizationId !== null && row.organizationId !== undefined
        ? {
            group: row.group,
            organizationId: row.organizationId,
            projectSlug: row.projectSlug ?? "",
            projectName: row.projectName ?? "",
            assignee: row.assignee ?? null,
            latestRelease: row.latestRelease ?? null,
          }
        : null,
  };
}
