/**
 * After a flush counted events (once per flush, however many events and issues): evaluate each issue's project
 * rules and enqueue what they send, keep posted cards true when the flush changed an issue's state (regression,
 * escalation), and otherwise refresh the counts on its posted cards at most once per card per
 * CARD_REFRESH_INTERVAL_MS — a storm on one issue is one card and a throttled refresh, never a card per event.
 *
 * D1: one batch for the rules' frequency counts (only when a frequency rule is in play), then one batch with the
 * posted cards of the issues whose state changed, the counts-refresh claims of the others and the rule claims —
 * each one statement across all issues (src/db/ingest-alerting.ts) — then the deliveries insert when anything is sent.
 */
import type { NewDelivery } from "../db/alert-rules";
import type { ActiveRules } from "../db/ingest-batch";
import type { Db } from "../db/client";
import type { IssueRow } from "../db/issues";
import { claimAlerting, eventsInWindows, type PostedCardRow } from "../db/ingest-alerting";
import type { Env } from "../env";
import type { NormalizedEvent } from "../issues/event";
import { enqueueDeliveries } from "./enqueue";
import { matchingConditions, passesFilters } from "./evaluate-rule";
import { personalAlertRows } from "./personal-alerts";

export const CARD_REFRESH_INTERVAL_MS = 30_000;

type ActiveRule = ActiveRules[number];

/** What one flush did to one issue. */
export type IssueIngested = {
  /** The issue as written (counters after the flush; status after a transition). */
  issue: IssueRow;
  /** The events the flush counted for it, in arrival order (redeliveries left out). */
  events: NormalizedEvent[];
  /** The event a card names: the one that regressed / escalated the issue, else the latest. */
  trigger: NormalizedEvent;
  isNew: boolean;
  isRegression: boolean;
  isEscalation: boolean;
};

export async function alertAfterIngest(env: Env, db: Db, issues: IssueIngested[], rulesOf: (projectId: number) => ActiveRules, now: number): Promise<void> {
  if (!issues.length) return;
  const rows: NewDelivery[] = [];
  // Personal alerts (followed projects' new issues, regressions of what the person resolved): rare events only.
  for (const o of issues) if (o.isNew || o.isRegression) rows.push(...(await personalAlertRows(db, o)));

  // A rule's filters pass when any event of the flush passes them.
  const candidates = issues.flatMap((o) =>
    rulesOf(o.issue.projectId)
      .filter((r) => o.events.some((e) => passesFilters(r.rule.filters, e)))
      .map((r) => ({ o, r, m: matchingConditions(r.rule.conditions, o) }))
      .filter(({ m }) => m.immediate || m.needsFrequency),
  );
  const windows = candidates
    .map((c, k) => ({ c, k }))
    .filter(({ c }) => !c.m.immediate)
    .map(({ c, k }) => ({ k, g: c.o.issue.id, since: now - c.r.rule.conditions.frequency!.windowMinutes * 60_000 }));
  const counts = await eventsInWindows(db, windows);
  const matching = candidates.filter(({ r, m }, k) => m.immediate || (counts.get(k) ?? 0) > r.rule.conditions.frequency!.count);

  const stateChanged = (o: IssueIngested) => o.isRegression || o.isEscalation;
  const { posted: postedCards, refreshed, fired } = await claimAlerting(db, {
    changed: issues.filter(stateChanged).map((o) => o.issue.id),
    // Not when the state changed (every card gets an update below anyway), nor for a new issue (no card yet).
    refresh: issues.filter((o) => !stateChanged(o) && !o.isNew).map((o) => o.issue.id),
    rules: [...new Map(matching.map(({ o, r }) => [`${r.rule.id}|${o.issue.id}`, { ruleId: r.rule.id, issueId: o.issue.id }])).values()],
    now,
    refreshIntervalMs: CARD_REFRESH_INTERVAL_MS,
  });
  const won = new Set(fired.map((f) => `${f.ruleId}|${f.issueId}`));

  // Every posted card of a changed issue shows the new state; else the cards whose refresh was claimed show the counts.
  for (const n of [...postedCards, ...refreshed]) {
    rows.push({ kind: "update", issueId: n.issueId, ruleId: n.ruleId, integrationId: n.integrationId, conversationId: n.conversationId, data: { activityId: n.activityId, notificationId: n.id } });
  }
  for (const o of issues) {
    // `firing` keeps the rules' order.
    const firing = matching.filter((c) => c.o === o && won.has(`${c.r.rule.id}|${o.issue.id}`)).map((c) => c.r);
    rows.push(...cardRows(o, firing, postedCards.filter((n) => n.issueId === o.issue.id)));
  }
  if (rows.length) await enqueueDeliveries(env, db, rows, now);
}

/** One card per conversation, naming every rule that fired for it ("via X (+N other)"); a regression replies in the thread. */
function cardRows(o: IssueIngested, firing: ActiveRule[], posted: PostedCardRow[]): NewDelivery[] {
  const byTarget = new Map<string, ActiveRule[]>();
  for (const r of firing) {
    const k = `${r.rule.integrationId}|${r.rule.conversationId}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), r]);
  }
  return [...byTarget.values()].map((sameTarget): NewDelivery => {
    const first = sameTarget[0].rule;
    const ruleIds = sameTarget.map((r) => r.rule.id);
    const original = o.isRegression ? posted.find((n) => n.conversationId === first.conversationId && n.integrationId === first.integrationId && n.userId === null) : undefined;
    const target = { issueId: o.issue.id, ruleId: first.id, integrationId: first.integrationId, conversationId: first.conversationId };
    return original
      ? { kind: "reply", ...target, data: { activityId: original.activityId, release: o.trigger.release ?? null, eventCount: o.issue.timesSeen, ruleIds } }
      : { kind: "post", ...target, data: { ruleIds, eventId: o.trigger.eventId } };
  });
}
