/** The cron's statements (src/maintenance/scheduled.ts): expired ignores, retention, stale card counts. */
import type { Db } from "./client";
import type { PostedCard } from "./alert-rules";
import { pruneActivityKeysStatement } from "./processed-activities";
import { pruneExpiredSessionsStatement } from "./web-sessions";

/** Ignored issues whose "for N minutes" ran out, oldest first (at most `limit`). */
export async function expiredIgnoreIds(db: Db, now: number, limit: number): Promise<number[]> {
  const due = await db.$client
    .prepare(
      `select id from issues where status = 'ignored'
         and json_extract(ignore_conditions, '$.kind') = 'duration'
         and json_extract(ignore_conditions, '$.until') <= ? limit ?`,
    )
    .bind(now, limit)
    .all<{ id: number }>();
  return due.results.map((r) => r.id);
}

export type Retention = {
  /** De-dup keys of Teams activities (Teams redelivers within minutes). */
  activitiesBefore: number;
  /** Used link nonces (signed links live at most 24 h). */
  noncesBefore: number;
  /** Rate-limit windows (the widest is a minute). */
  windowsBefore: number;
  /** Event ids: the idempotency record and the frequency rules' counts (windows of at most 7 days). */
  eventIdsBefore: number;
  /** Dropped-event counts shown by the admin API. */
  droppedBefore: number;
  /** Web sessions that expired before this time. */
  sessionsExpiredBefore: number;
  /** Whole events kept per issue beyond its first and its regressions' events. */
  latestEventsPerIssue: number;
};

/** Deletes what can no longer matter, in one D1 batch. */
export async function pruneRetained(db: Db, r: Retention): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    pruneActivityKeysStatement(db, r.activitiesBefore),
    // Web sessions past their expiry are dead already (lookups ignore them); their rows go too.
    pruneExpiredSessionsStatement(db, r.sessionsExpiredBefore),
    d1.prepare("delete from used_nonces where used_at < ?").bind(r.noncesBefore),
    d1.prepare("delete from rate_limit_windows where window_start < ?").bind(r.windowsBefore),
    d1.prepare("delete from event_ids where received_at < ?").bind(r.eventIdsBefore),
    d1.prepare("delete from dropped_events where window_start < ?").bind(r.droppedBefore),
    // The event sample: each issue's first event and every regression's (named by their audit rows) stay, and the
    // latest N; a storm's other events were counted, not kept.
    d1
      .prepare(
        `delete from events where id in (
           select id from (
             select id, row_number() over (partition by issue_id order by received_at desc, rowid desc) as n from events
           ) where n > ?
           and id not in (select json_extract(data, '$.eventId') from issue_activity
                          where type in ('first_seen', 'set_regression') and json_extract(data, '$.eventId') is not null))`,
      )
      .bind(r.latestEventsPerIssue),
  ]);
}

/**
 * Cards whose counts are behind: events were counted after their last refresh (or post), and the last refresh is
 * older than `intervalMs`. Claimed (stamped) in the same statement, so two cron runs never both refresh a card.
 * This is the trailing edge of ingest's throttled refresh: a storm's last events reach the card within one cron period.
 */
export async function claimStaleCountCards(db: Db, now: number, intervalMs: number, limit: number): Promise<(PostedCard & { issueId: number })[]> {
  const res = await db.$client
    .prepare(
      `update notification_messages set counts_refreshed_at = ?1
       where id in (
         select n.id from notification_messages n
         where n.user_id is null and coalesce(n.counts_refreshed_at, n.posted_at) <= ?2
           and exists (select 1 from event_ids e where e.issue_id = n.issue_id and e.received_at > coalesce(n.counts_refreshed_at, n.posted_at))
         limit ?3)
       returning id, issue_id as issueId, rule_id as ruleId, integration_id as integrationId, conversation_id as conversationId, activity_id as activityId`,
    )
    .bind(now, now - intervalMs, limit)
    .all<PostedCard & { issueId: number }>();
  return res.results;
}
