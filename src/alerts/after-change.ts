/**
 * After any issue change from any source (a Teams action, the admin API): every posted card of the issue is
 * updated through the queue, and a newly assigned, linked user gets a personal card (unless they turned that off
 * or assigned it to themselves).
 *
 * It runs before the change's answer (a click builds its own card meanwhile, in parallel), not deferred: the
 * delivery rows it writes are the record that those cards will be refreshed, and a write deferred past the answer
 * would be lost if the isolate went away. The Teams calls themselves happen later, in the conversations' outboxes.
 */
import type { NewDelivery } from "../db/alert-rules";
import { getDb } from "../db/client";
import { assignmentTargets } from "../db/notification-settings";
import type { Env } from "../env";
import { assignedUserOf, type IssueChanged } from "../issues/issue-service";
import { enqueueDeliveries } from "./enqueue";

export async function afterIssueChange(
  env: Env,
  changed: IssueChanged,
  opts: { skip?: { conversationId: string; activityId: string } } = {},
): Promise<void> {
  const db = getDb(env.DB);
  const issueId = changed.issue.id;
  const rows: NewDelivery[] = [];
  const skipConversation = opts.skip ? baseConversationId(opts.skip.conversationId) : null;
  // Read in the write's own transaction (changeIssue): no card posted before the change can be missed.
  for (const n of changed.posted) {
    // The clicked card was already updated directly (a click in a channel thread carries "…;messageid=…").
    if (opts.skip && baseConversationId(n.conversationId) === skipConversation && n.activityId === opts.skip.activityId) continue;
    rows.push({
      kind: "update",
      issueId,
      ruleId: n.ruleId,
      integrationId: n.integrationId,
      conversationId: n.conversationId,
      data: { activityId: n.activityId, notificationId: n.id },
    });
  }

  const assignedUser = assignedUserOf(changed);
  const self = changed.actor.kind === "user" && changed.actor.userId === assignedUser;
  if (assignedUser && !self) {
    const seen = new Set<string>();
    for (const t of await assignmentTargets(db, assignedUser, changed.organizationId)) {
      const who = `${t.tenantId}|${t.teamsUserId}`;
      if (seen.has(who)) continue;
      seen.add(who);
      rows.push({
        kind: "personal",
        issueId,
        ruleId: null,
        integrationId: t.integrationId,
        conversationId: null,
        data: { userId: assignedUser, teamsUserId: t.teamsUserId, tenantId: t.tenantId },
      });
    }
  }
  await enqueueDeliveries(env, db, rows, Date.now());
}

/** A channel conversation id without the thread suffix Teams appends (";messageid=<id>"). */
export function baseConversationId(id: string): string {
  const i = id.indexOf(";messageid=");
  return i === -1 ? id : id.slice(0, i);
}
