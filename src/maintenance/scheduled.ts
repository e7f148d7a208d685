/**
 * The cron job (wrangler.toml `[triggers]`, every 5 minutes):
 * - ignores that ran out: an issue ignored "for 30 minutes" becomes unresolved when the time has passed, even
 *   without a new event (as Sentry's snooze expiry does), and every posted card of it is updated;
 * - deliveries left waiting are handed over again or ended (sweep-deliveries.ts);
 * - card counts: a posted card whose issue counted events since its last refresh gets one (the trailing edge of
 *   ingest's throttled refresh, src/alerts/after-ingest.ts);
 * - housekeeping: de-dup keys, used link nonces, rate-limit windows, event ids, dropped-event counts and expired web
 *   sessions that can no longer matter are deleted, and each issue's event sample is cut back to its first, its regressions' and the
 *   latest EVENTS_KEPT_PER_ISSUE.
 */
import { afterIssueChange } from "../alerts/after-change";
import { CARD_REFRESH_INTERVAL_MS } from "../alerts/after-ingest";
import { enqueueDeliveries } from "../alerts/enqueue";
import { getDb, type Db } from "../db/client";
import { applyGuardedChange, getIssueWithOrg } from "../db/issues";
import { claimStaleCountCards, expiredIgnoreIds, pruneRetained } from "../db/maintenance";
import type { Env } from "../env";
import { planIgnoreExpiry } from "../issues/lifecycle";
import { sweepDeliveries, type SweepResult } from "./sweep-deliveries";

const EXPIRY_BATCH = 100;
const STALE_CARDS_BATCH = 200;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Frequency rules look back at most 7 days (10,080 minutes); a day more covers a late queue redelivery. */
const EVENT_IDS_RETENTION_MS = 8 * DAY_MS;
export const EVENTS_KEPT_PER_ISSUE = 10;

export async function runScheduled(env: Env, now: number): Promise<{ unignored: number; refreshed: number; deliveries: SweepResult }> {
  const db = getDb(env.DB);
  const unignored = await expireIgnores(env, db, now);
  const refreshed = await refreshStaleCounts(env, db, now);
  const deliveries = await sweepDeliveries(env, db, now);
  await pruneRetained(db, {
    activitiesBefore: now - DAY_MS,
    noncesBefore: now - 2 * DAY_MS,
    windowsBefore: now - 60 * 60 * 1000,
    eventIdsBefore: now - EVENT_IDS_RETENTION_MS,
    droppedBefore: now - 7 * DAY_MS,
    sessionsExpiredBefore: now,
    latestEventsPerIssue: EVENTS_KEPT_PER_ISSUE,
  });
  return { unignored, refreshed, deliveries };
}

/** One update delivery per card whose counts are behind (claimed, so at most one per card per interval). */
export async function refreshStaleCounts(env: Env, db: Db, now: number): Promise<number> {
  const cards = await claimStaleCountCards(db, now, CARD_REFRESH_INTERVAL_MS, STALE_CARDS_BATCH);
  await enqueueDeliveries(
    env,
    db,
    cards.map((n) => ({
      kind: "update" as const,
      issueId: n.issueId,
      ruleId: n.ruleId,
      integrationId: n.integrationId,
      conversationId: n.conversationId,
      data: { activityId: n.activityId, notificationId: n.id },
    })),
    now,
  );
  return cards.length;
}

/** Unresolves ignored issues whose ignore duration has passed; returns how many changed. */
export async function expireIgnores(env: Env, db: Db, now: number): Promise<number> {
  let changed = 0;
  for (const id of await expiredIgnoreIds(db, now, EXPIRY_BATCH)) {
    const found = await getIssueWithOrg(db, id);
    const change = found && planIgnoreExpiry(found.issue, now);
    if (!found || !change) continue;
    // Guarded like every change: if someone changed the issue meanwhile, leave it to them.
    const written = await applyGuardedChange(db, { issue: found.issue, changes: [change], actor: { kind: "system" }, source: "system", now });
    if (!written) continue;
    changed++;
    await afterIssueChange(env, {
      issue: written.issue,
      posted: written.posted,
      organizationId: found.organizationId,
      changes: [change],
      actor: { kind: "system" },
      source: "system",
    });
  }
  return changed;
}
