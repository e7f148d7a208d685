/**
 * After any issue change from any source (a Teams action, the admin API): every posted card of the issue is
 * updated through the queue, and a newly assigned, linked user gets a personal card (unless they turned that off
 * or assigned it to themselves).
 *
 * It runs before the change's answer (a click builds its own card meanwhile, in parallel), not deferred: the
 * delivery rows it writes are the record that those cards will be refreshed, and a write deferred past the answer
 * would be lost if the isolate went away. The Teams calls themselves happen later, in the conversations' outboxes.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { NewDelivery } from "../db/alert-rules";
import { getDb } from "../db/client";
import { identities, integrations, users } from "../db/schema";
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
    const [user] = await db.select().from(users).where(eq(users.id, assignedUser)).limit(1);
    if (user?.notifyOnAssign) {
      const linked = await db
        .select({ identity: identities, integration: integrations })
        .from(identities)
        .innerJoin(integrations, eq(integrations.id, identities.integrationId))
        .where(
          and(
            eq(identities.userId, assignedUser),
            eq(integrations.status, "active"),
            eq(integrations.organizationId, changed.organizationId),
            inArray(integrations.provider, ["msteams"]),
          ),
        )
        .limit(20);
      const seen = new Set<string>();
      for (const { identity, integration } of linked) {
        const who = `${identity.tenantId}|${identity.teamsUserId}`;
        if (seen.has(who)) continue;
        seen.add(who);
        rows.push({
          kind: "personal",
          issueId,
          ruleId: null,
          integrationId: integration.id,
          conversationId: null,
          data: { userId: assignedUser, teamsUserId: identity.teamsUserId, tenantId: identity.tenantId },
        });
      }
    }
  }
  await enqueueDeliveries(env, db, rows, Date.now());
}

/** A channel conversation id without the thread suffix Teams appends (";messageid=<id>"). */
export function baseConversationId(id: string): string {
  const i = id.indexOf(";messageid=");
  return i === -1 ? id : id.slice(0, i);
}
