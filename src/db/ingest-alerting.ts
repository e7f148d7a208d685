/**
 * The SQL of alerting after a flush of counted events (src/alerts/after-ingest.ts), across every issue the flush
 * counted: each statement carries its rows as one JSON parameter (json_each), so a flush of any number of issues
 * costs the same few statements — the rules' frequency counts, the issues' posted cards, the counts-refresh claims
 * and the rule claims.
 */
import type { Db } from "./client";
import { namedBatch } from "./named-batch";

/** A posted card as alerting needs it (a channel card when userId is null). */
export type PostedCardRow = { id: number; issueId: number; ruleId: number | null; integrationId: number; conversationId: string; activityId: string; userId: number | null };

const POSTED_CARD_COLUMNS =
  "id, issue_id as issueId, rule_id as ruleId, integration_id as integrationId, conversation_id as conversationId, activity_id as activityId, user_id as userId";

/** Events of an issue since a time, per (key, issue, since): key → count. One statement; none when `windows` is empty. */
export async function eventsInWindows(db: Db, windows: { k: number; g: number; since: number }[]): Promise<Map<number, number>> {
  const statement = eventsInWindowsStatement(db, windows);
  if (!statement) return new Map();
  const { counts } = await namedBatch(db.$client, { counts: statement });
  return new Map(counts.results.map((r) => [r.k as number, r.n as number]));
}

/**
 * One D1 batch: the posted cards of `changed` issues, the counts-refresh claims of `refresh` issues' cards, and the
 * claims of `rules` (rule, issue) pairs. Parts with nothing to do are left out.
 */
export async function claimAlerting(
  db: Db,
  input: { changed: number[]; refresh: number[]; rules: { ruleId: number; issueId: number }[]; now: number; refreshIntervalMs: number },
): Promise<{ posted: PostedCardRow[]; refreshed: PostedCardRow[]; fired: { ruleId: number; issueId: number }[] }> {
  const res = await namedBatch(db.$client, {
    posted: postedCardsStatement(db, input.changed),
    refreshed: claimCountsRefreshStatement(db, input.refresh, input.now, input.refreshIntervalMs),
    fired: claimRuleFiresStatement(db, input.rules, input.now),
  });
  return {
    posted: res.posted.results as PostedCardRow[],
    refreshed: res.refreshed.results as PostedCardRow[],
    fired: res.fired.results as { ruleId: number; issueId: number }[],
  };
}

/** Events of an issue since a time, per (key, issue, since): one row `{ k, n }` each. Counted on every accepted event. */
function eventsInWindowsStatement(db: Db, windows: { k: number; g: number; since: number }[]): D1PreparedStatement | null {
  if (!windows.length) return null;
  return db.$client
    .prepare(
      `select json_extract(w.value, '$.k') as k,
         (select count(*) from event_ids e where e.issue_id = json_extract(w.value, '$.g') and e.timestamp >= json_extract(w.value, '$.since')) as n
       from json_each(?) w`,
    )
    .bind(JSON.stringify(windows));
}

/** The posted cards (channel and personal) of these issues, at most 200 each. */
function postedCardsStatement(db: Db, issueIds: number[]): D1PreparedStatement | null {
  if (!issueIds.length) return null;
  return db.$client
    .prepare(
      `select ${POSTED_CARD_COLUMNS} from (
         select *, row_number() over (partition by issue_id order by id) as nth from notification_messages
         where issue_id in (select value from json_each(?))
       ) where nth <= 200`,
    )
    .bind(JSON.stringify(issueIds));
}

/**
 * Claims the counts refresh of these issues' channel cards not posted or refreshed within `intervalMs`, and stamps
 * them: however many flushes count events for an issue, each card gets at most one refresh per interval.
 */
function claimCountsRefreshStatement(db: Db, issueIds: number[], now: number, intervalMs: number): D1PreparedStatement | null {
  if (!issueIds.length) return null;
  return db.$client
    .prepare(
      `update notification_messages set counts_refreshed_at = ?1
       where issue_id in (select value from json_each(?2)) and user_id is null and coalesce(counts_refreshed_at, posted_at) <= ?1 - ?3
       returning ${POSTED_CARD_COLUMNS}`,
    )
    .bind(now, JSON.stringify(issueIds), intervalMs);
}

/**
 * Claims the right to alert for each (rule, issue): a row `{ ruleId, issueId }` comes back for each pair whose rule
 * had not fired for the issue within the rule's frequency window (one atomic upsert: concurrent flushes can't both
 * claim it).
 */
function claimRuleFiresStatement(db: Db, pairs: { ruleId: number; issueId: number }[], now: number): D1PreparedStatement | null {
  if (!pairs.length) return null;
  return db.$client
    .prepare(
      `insert into rule_fires (rule_id, issue_id, last_fired_at)
       select json_extract(value, '$.ruleId'), json_extract(value, '$.issueId'), ?1 from json_each(?2) where true
       on conflict (rule_id, issue_id) do update set last_fired_at = excluded.last_fired_at
         where rule_fires.last_fired_at < ?1 - (select r.frequency_minutes from alert_rules r where r.id = excluded.rule_id) * 60000 + 1
       returning rule_id as ruleId, issue_id as issueId`,
    )
    .bind(now, JSON.stringify(pairs));
}
