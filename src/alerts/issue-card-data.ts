/** Gathers the plain data the (pure) issue card builder needs, in one D1 statement (db/issue-card-query.ts). */
import type { CardAssignee, CardMember, CardTeam, IssueCardInput } from "../cards/types";
import type { Db } from "../db/client";
import { issueCardRow, type CardDataRow } from "../db/issue-card-query";
import type { PlannedChange } from "../issues/lifecycle";

export type CardDataRequest = { issueId: number; integrationId: number; ruleIds: number[]; eventId?: string | null; baseUrl: string };

export async function loadIssueCardInput(db: Db, input: CardDataRequest): Promise<IssueCardInput | null> {
  return (await loadIssueCard(db, input))?.input ?? null;
}

/** The card input and the issue's version it was built from. */
export async function loadIssueCard(db: Db, input: CardDataRequest): Promise<{ input: IssueCardInput; version: number } | null> {
  const row = await issueCardRow(db, input.issueId, input.ruleIds);
  return row ? { input: issueCardInputFrom(row, input), version: row.issue.version } : null;
}

/** The builder's input from a row of cardDataColumns. */
export function issueCardInputFrom(row: CardDataRow, input: Omit<CardDataRequest, "issueId">): IssueCardInput {
  const { issue, project, org } = row;
  const ruleIds = input.ruleIds.slice(0, 50);

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
      id: issue.id,
      shortId: issue.shortId,
      title: issue.title,
      culprit: issue.culprit,
      level: issue.level,
      status: issue.status,
      substatus: issue.substatus,
      metadata: issue.metadata,
      timesSeen: issue.timesSeen,
      usersSeen: issue.usersSeen,
      firstSeen: issue.firstSeen,
      lastSeen: issue.lastSeen,
      lastRelease: issue.lastRelease,
      lastEnvironment: issue.lastEnvironment,
      resolution: issue.resolution,
      ignoreConditions: issue.ignoreConditions,
      statusChangedBy: row.changerEmail ? { email: row.changerEmail } : null,
    },
    project: { id: project.id, slug: project.slug, name: project.name },
    organization: { id: org.id, slug: org.slug },
    assignee,
    rules,
    eventId: input.eventId ?? issue.lastEventId ?? null,
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

/**
 * The card input from the row as written and the labels read before the change, brought up to date with what the
 * change did (who changed the status, the assignee) — so a click needs no second read. Null when a label is not at
 * hand (an assignee beyond the loaded Assign lists, or an actor whose email was not read): then read the card data
 * again. Only valid when nobody else changed the issue between the read and the write (same version + changes).
 */
export function cardInputAfterChange(
  written: IssueCardInput,
  changed: { changes: PlannedChange[] },
  actor: { userId: number; email: string | null },
): IssueCardInput | null {
  let issue = written.issue;
  if (changed.changes.some((c) => c.status)) {
    if (!actor.email) return null;
    issue = { ...issue, statusChangedBy: { email: actor.email } };
  }
  let assignee = written.assignee;
  const last = changed.changes.findLast((c) => c.assignee !== undefined);
  if (last) {
    const a = last.assignee!;
    if (a === null) assignee = null;
    else if (a.userId !== null) {
      const email = a.userId === actor.userId ? actor.email : (written.members.find((m) => m.id === a.userId)?.email ?? null);
      if (!email) return null;
      assignee = { kind: "user", id: a.userId, email };
    } else if (a.teamId !== null) {
      const slug = written.teams.find((t) => t.id === a.teamId)?.slug;
      if (!slug) return null;
      assignee = { kind: "team", id: a.teamId, slug };
    } else assignee = null;
  }
  return { ...written, issue, assignee };
}
