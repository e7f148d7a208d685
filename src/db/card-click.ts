/**
 * Everything a card click needs to decide, plan and answer, in one statement: the integration it came through,
 * the clicker's linked user (with email) and whether they belong to the integration's organization, the issue
 * with its assignee and the project's latest release (for "resolve in the current release"), and the card's data
 * (db/issue-card-query.ts). (The issue's posted cards are read after the write, in its transaction.)
 *
 * Card clicks are the bot's hot path: read separately, this was ten statements in three round trips.
 */
import { and, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { batchRead, type BatchRead } from "./batch-read";
import type { Db } from "./client";
import type { AssigneeRow, IssueRow } from "./issues";
import type { IntegrationRow } from "./integrations";
import { assigneeTeam, assigneeUser, cardDataColumns, changerUser, type CardDataRow } from "./issue-card-query";
import type { ReleaseRow } from "./releases";
import { issueAssignees, issues, identities, integrations, memberships, organizations, projects, releases, users } from "./schema";

const clicker = alias(users, "clicker_user");

export type CardClick = {
  integration: IntegrationRow;
  /** The user linked to the clicking Teams account through this integration, if any. */
  linkedUserId: number | null;
  linkedUserEmail: string | null;
  /** Whether that linked user is a member of the integration's organization. */
  linkedUserIsMember: boolean;
  /** The issue, or null when there is none with that id. */
  issue: {
    issue: IssueRow;
    organizationId: number;
    assignee: AssigneeRow | null;
    latestRelease: ReleaseRow | null;
    /** The card's data as read (before any change). */
    card: CardDataRow;
  } | null;
};

type ClickInput = { integrationId: number; issueId: number; teamsUserId: string; ruleIds: number[] };

/** Null when there is no such integration. */
export async function loadCardClick(db: Db, input: ClickInput): Promise<CardClick | null> {
  return toCardClick(await clickQuery(db, input));
}

/**
 * The same query as one D1 statement, to go into a batch with other statements (dispatch sends it with the de-dup
 * claim: one round trip), and the reader of its result.
 */
export function cardClickStatement(db: Db, input: ClickInput): BatchRead<CardClick | null> {
  const rows = batchRead(db, clickQuery(db, input));
  return { statement: rows.statement, read: (result) => toCardClick(rows.read(result)) };
}

function clickQuery(db: Db, input: ClickInput) {
  const latestReleaseId = sql`(select r2.id from ${releases} r2 where r2.project_id = ${issues.projectId}
    order by r2.created_at desc, r2.id desc limit 1)`;
  return db
    .select({
      ...cardDataColumns(input.ruleIds),
      integration: integrations,
      linkedUserId: identities.userId,
      linkedUserEmail: clicker.email,
      memberUserId: memberships.userId,
      assignee: issueAssignees,
      latestRelease: releases,
    })
    .from(integrations)
    .leftJoin(identities, and(eq(identities.integrationId, integrations.id), eq(identities.teamsUserId, input.teamsUserId)))
    .leftJoin(clicker, eq(clicker.id, identities.userId))
    .leftJoin(memberships, and(eq(memberships.organizationId, integrations.organizationId), eq(memberships.userId, identities.userId)))
    .leftJoin(issues, eq(issues.id, input.issueId))
    .leftJoin(projects, eq(projects.id, issues.projectId))
    .leftJoin(organizations, eq(organizations.id, projects.organizationId))
    .leftJoin(changerUser, eq(changerUser.id, issues.statusChangedBy))
    .leftJoin(issueAssignees, eq(issueAssignees.issueId, issues.id))
    .leftJoin(assigneeUser, eq(assigneeUser.id, issueAssignees.userId))
    .leftJoin(assigneeTeam, eq(assigneeTeam.id, issueAssignees.teamId))
    .leftJoin(releases, eq(releases.id, latestReleaseId))
    .where(eq(integrations.id, input.integrationId))
    .limit(1);
}

type ClickRow = Awaited<ReturnType<typeof clickQuery>>[number];

function toCardClick(rows: ClickRow[]): CardClick | null {
  const row = rows[0];
  if (!row) return null;
  const { issue, project, org } = row;
  return {
    integration: row.integration,
    linkedUserId: row.linkedUserId ?? null,
    linkedUserEmail: row.linkedUserEmail ?? null,
    linkedUserIsMember: row.memberUserId !== null && row.memberUserId !== undefined,
    issue:
      issue && project && org
        ? {
            issue,
            organizationId: project.organizationId,
            assignee: row.assignee ?? null,
            latestRelease: row.latestRelease ?? null,
            card: { ...row, issue, project, org },
          }
        : null,
  };
}

/** Whether the organization links a Teams user to the member with the same email on a first click. */
export async function organizationAutoLinksByEmail(db: Db, organizationId: number): Promise<boolean> {
  const [org] = await db.select({ autoLinkByEmail: organizations.autoLinkByEmail }).from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  return !!org?.autoLinkByEmail;
}

/** The organization's member with this email (case-insensitive), or null. */
export async function memberIdByEmail(db: Db, organizationId: number, email: string): Promise<number | null> {
  const [match] = await db
    .select({ id: users.id })
    .from(users)
    .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.organizationId, organizationId)))
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`)
    .limit(1);
  return match?.id ?? null;
}
