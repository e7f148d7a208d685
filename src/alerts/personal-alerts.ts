/**
 * Personal alerts after an ingest, by each person's settings: a new issue in a project they follow, or the
 * regression of an issue they resolved. One personal card per linked Teams account (the delivery consumer opens
 * the 1:1 chat). Assignment cards are after-change.ts's.
 */
import type { NewDelivery } from "../db/alert-rules";
import type { Db } from "../db/client";
import { followersWantingNewIssues, lastResolverOf, personalTargets, usersWantingRegressions } from "../db/notification-settings";
import type { IssueIngested } from "./after-ingest";

export async function personalAlertRows(db: Db, o: Pick<IssueIngested, "issue" | "isNew" | "isRegression">): Promise<NewDelivery[]> {
  if (!o.isNew && !o.isRegression) return [];
  const userIds = new Set<number>();
  if (o.isNew) for (const id of await followersWantingNewIssues(db, o.issue.projectId)) userIds.add(id);
  if (o.isRegression) {
    const resolver = await lastResolverOf(db, o.issue.id);
    if (resolver !== null) for (const id of await usersWantingRegressions(db, [resolver])) userIds.add(id);
  }
  const targets = await personalTargets(db, [...userIds], o.issue.projectId);
  const seen = new Set<string>();
  const rows: NewDelivery[] = [];
  for (const t of targets) {
    // One card per person in Teams, even when linked through several teams of the tenant.
    const who = `${t.tenantId}|${t.teamsUserId}`;
    if (seen.has(who)) continue;
    seen.add(who);
    rows.push({
      kind: "personal",
      issueId: o.issue.id,
      ruleId: null,
      integrationId: t.integrationId,
      conversationId: null,
      data: { userId: t.userId, teamsUserId: t.teamsUserId, tenantId: t.tenantId, reason: o.isNew ? "followedNew" : "resolvedRegressed" },
    });
  }
  return rows;
}
