/**
 * After an event is stored: evaluate the project's alert rules and enqueue what they send, and keep posted cards
 * true when the event changed the state (regression, escalation). Runs inside the ingest request, before
 * it answers, so an accepted event's alerts are on the queue (nothing lost if the isolate goes away).
 */
import { activeRulesQuery, claimRuleFireQuery, eventsInWindowStatement, notificationsForGroupQuery, type NewDelivery } from "../db/alert-rules";
import { getDb } from "../db/client";
import type { Env } from "../env";
import type { AfterIngest, IngestOutcome } from "../issues/ingest";
import { batchRead } from "../db/batch-read";
import { enqueueDeliveries } from "./enqueue";
import { matchingConditions, passesFilters } from "./evaluate-rule";
import { personalAlertRows } from "./personal-alerts";

type ActiveRules = Awaited<ReturnType<typeof activeRulesQuery>>;

/** The alerting work after an ingest; the project's active rules are read in ingest's own lookup batch. */
export function alertingHook(env: Env, _ctx: { waitUntil(p: Promise<unknown>): void } | undefined): AfterIngest<unknown> {
  const db = getDb(env.DB);
  const hook: AfterIngest<ActiveRules> = {
    prefetch: (projectId) => batchRead(db, activeRulesQuery(db, projectId)),
    run: (o, rules) => afterIngest(env, o, Date.now(), rules),
  };
  return hook as AfterIngest<unknown>;
}

export async function afterIngest(env: Env, o: IngestOutcome, now: number, rules: ActiveRules): Promise<void> {
  if (o.duplicate) return;
  const db = getDb(env.DB);
  // Personal alerts (followed projects' new issues, regressions of what the person resolved): rare events only.
  if (o.isNew || o.isRegression) await enqueueDeliveries(env, db, await personalAlertRows(db, o), now);
  const stateChanged = o.isRegression || o.isEscalation;
  if (!rules.length && !stateChanged) return;

  // Each step is one D1 batch across all rules (one call, not one per rule): the frequency counts the rules need,
  // then every matching rule's claim together with the issue's posted cards. `firing` keeps the rules' order.
  const candidates = rules
    .filter((r) => passesFilters(r.rule.filters, o.event))
    .map((r) => ({ r, m: matchingConditions(r.rule.conditions, o) }))
    .filter(({ m }) => m.immediate || m.needsFrequency);
  const counted = candidates.filter(({ m }) => !m.immediate);
  const counts = counted.length
    ? await db.$client.batch<{ n: number }>(
        counted.map(({ r }) => eventsInWindowStatement(db, o.group.id, now - r.rule.conditions.frequency!.windowMinutes * 60_000)),
      )
    : [];
  const matching = candidates.filter(({ r, m }) => {
    if (m.immediate) return true;
    const n = counts[counted.findIndex((c) => c.r === r)]?.results[0]?.n ?? 0;
    return n > r.rule.conditions.frequency!.count;
  });
  if (!matching.length && !stateChanged) return;
  const [posted, ...claims] = await db.batch([
    notificationsForGroupQuery(db, o.group.id),
    ...matching.map(({ r }) => claimRuleFireQuery(db, r.rule.id, o.group.id, r.rule.frequencyMinutes, now)),
  ]);
  const firing = matching.filter((_, i) => claims[i].length === 1).map(({ r }) => r);
  const rows: NewDelivery[] = [];
  if (stateChanged) {
    // Every posted card of this issue shows the new state.
    for (const n of posted) {
      rows.push({
        kind: "update",
        groupId: o.group.id,
        ruleId: n.ruleId,
        integrationId: n.integrationId,
        conversationId: n.conversationId,
        data: { activityId: n.activityId, notificationId: n.id },
      });
    }
  }
  // One card per conversation, naming every rule that fired for it ("via X (+N other)").
  const byTarget = new Map<string, typeof firing>();
  for (const r of firing) {
    const k = `${r.rule.integrationId}|${r.rule.conversationId}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), r]);
  }
  for (const group of byTarget.values()) {
    const first = group[0].rule;
    const ruleIds = group.map((r) => r.rule.id);
    const original = o.isRegression ? posted.find((n) => n.conversationId === first.conversationId && n.integrationId === first.integrationId && n.userId === null) : undefined;
    if (original) {
      // A regression answers in the original card's thread instead of posting a new card.
      rows.push({
        kind: "reply",
        groupId: o.group.id,
        ruleId: first.id,
        integrationId: first.integrationId,
        conversationId: first.conversationId,
        data: { activityId: original.activityId, release: o.event.release ?? null, eventCount: o.group.timesSeen, ruleIds },
      });
    } else {
      rows.push({
        kind: "post",
        groupId: o.group.id,
        ruleId: first.id,
        integrationId: first.integrationId,
        conversationId: first.conversationId,
        data: { ruleIds, eventId: o.event.eventId },
      });
    }
  }
  await enqueueDeliveries(env, db, rows, now);
}
