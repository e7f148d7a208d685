/**
 * After a consumer batch counted events for an issue (once per issue and batch, however many events): evaluate the
 * project's alert rules and enqueue what they send, keep posted cards true when the batch changed the issue's state
 * (regression, escalation), and otherwise refresh the counts on its posted cards at most once per card per
 * CARD_REFRESH_INTERVAL_MS — a storm on one issue is one card and a throttled refresh, never a card per event.
 */
import { activeRulesQuery, claimCountsRefreshQuery, claimRuleFireQuery, eventsInWindowStatement, notificationsForIssueQuery, type NewDelivery } from "../db/alert-rules";
import type { Db } from "../db/client";
import type { IssueRow } from "../db/issues";
import type { Env } from "../env";
import type { NormalizedEvent } from "../issues/event";
import { enqueueDeliveries } from "./enqueue";
import { matchingConditions, passesFilters } from "./evaluate-rule";
import { personalAlertRows } from "./personal-alerts";

export const CARD_REFRESH_INTERVAL_MS = 30_000;

type ActiveRules = Awaited<ReturnType<typeof activeRulesQuery>>;

/** What one consumer batch did to one issue. */
export type IssueIngested = {
  /** The issue as written (counters after the batch; status after a transition). */
  issue: IssueRow;
  /** The events the batch counted for it, in arrival order (redeliveries left out). */
  events: NormalizedEvent[];
  /** The event a card names: the one that regressed / escalated the issue, else the latest. */
  trigger: NormalizedEvent;
  isNew: boolean;
  isRegression: boolean;
  isEscalation: boolean;
};

export async function alertAfterIngest(env: Env, db: Db, o: IssueIngested, now: number, rules: ActiveRules): Promise<void> {
  // Personal alerts (followed projects' new issues, regressions of what the person resolved): rare events only.
  if (o.isNew || o.isRegression) await enqueueDeliveries(env, db, await personalAlertRows(db, o), now);
  const stateChanged = o.isRegression || o.isEscalation;

  // Each step is one D1 batch across all rules (one call, not one per rule): the frequency counts the rules need,
  // then every matching rule's claim together with the issue's posted cards (or the claim of a counts refresh).
  // A rule's filters pass when any event of the batch passes them. `firing` keeps the rules' order.
  const candidates = rules
    .filter((r) => o.events.some((e) => passesFilters(r.rule.filters, e)))
    .map((r) => ({ r, m: matchingConditions(r.rule.conditions, o) }))
    .filter(({ m }) => m.immediate || m.needsFrequency);
  const counted = candidates.filter(({ m }) => !m.immediate);
  const counts = counted.length
    ? await db.$client.batch<{ n: number }>(
        counted.map(({ r }) => eventsInWindowStatement(db, o.issue.id, now - r.rule.conditions.frequency!.windowMinutes * 60_000)),
      )
    : [];
  const matching = candidates.filter(({ r, m }) => {
    if (m.immediate) return true;
    const n = counts[counted.findIndex((c) => c.r === r)]?.results[0]?.n ?? 0;
    return n > r.rule.conditions.frequency!.count;
  });
  const [posted, refresh, ...claims] = await db.batch([
    notificationsForIssueQuery(db, o.issue.id),
    // Not when the state changed: then every card gets an update below anyway.
    claimCountsRefreshQuery(db, stateChanged || o.isNew ? -1 : o.issue.id, now, CARD_REFRESH_INTERVAL_MS),
    ...matching.map(({ r }) => claimRuleFireQuery(db, r.rule.id, o.issue.id, r.rule.frequencyMinutes, now)),
  ]);
  const firing = matching.filter((_, i) => claims[i].length === 1).map(({ r }) => r);
  const rows: NewDelivery[] = [];
  // Every posted card of this issue shows the new state; else the cards whose refresh was claimed show the counts.
  for (const n of stateChanged ? posted : refresh) {
    rows.push({
      kind: "update",
      issueId: o.issue.id,
      ruleId: n.ruleId,
      integrationId: n.integrationId,
      conversationId: n.conversationId,
      data: { activityId: n.activityId, notificationId: n.id },
    });
  }
  // One card per conversation, naming every rule that fired for it ("via X (+N other)").
  const byTarget = new Map<string, typeof firing>();
  for (const r of firing) {
    const k = `${r.rule.integrationId}|${r.rule.conversationId}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), r]);
  }
  for (const issue of byTarget.values()) {
    const first = issue[0].rule;
    const ruleIds = issue.map((r) => r.rule.id);
    const original = o.isRegression ? posted.find((n) => n.conversationId === first.conversationId && n.integrationId === first.integrationId && n.userId === null) : undefined;
    if (original) {
      // A regression answers in the original card's thread instead of posting a new card.
      rows.push({
        kind: "reply",
        issueId: o.issue.id,
        ruleId: first.id,
        integrationId: first.integrationId,
        conversationId: first.conversationId,
        data: { activityId: original.activityId, release: o.trigger.release ?? null, eventCount: o.issue.timesSeen, ruleIds },
      });
    } else {
      rows.push({
        kind: "post",
        issueId: o.issue.id,
        ruleId: first.id,
        integrationId: first.integrationId,
        conversationId: first.conversationId,
        data: { ruleIds, eventId: o.trigger.eventId },
      });
    }
  }
  if (rows.length) await enqueueDeliveries(env, db, rows, now);
}
