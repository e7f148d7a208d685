/**
 * The cron job (wrangler.toml `[triggers]`, every 5 minutes):
 * - ignores that ran out: an issue ignored "for 30 minutes" becomes unresolved when the time has passed, even
 *   without a new event (as Sentry's snooze expiry does), and every posted card of it is updated;
 * - deliveries left waiting are handed over again or ended (sweep-deliveries.ts);
 * - housekeeping: de-dup keys, used link nonces, rate-limit windows and expired web sessions that can no longer
 *   matter are deleted.
 */
import { afterIssueChange } from "../alerts/after-change";
import { getDb, type Db } from "../db/client";
import { applyGuardedChange, getGroupWithOrg } from "../db/groups";
import type { Env } from "../env";
import type { PlannedChange } from "../issues/lifecycle";
import { pruneActivityKeysStatement } from "../db/processed-activities";
import { pruneExpiredSessionsStatement } from "../db/web-sessions";
import { sweepDeliveries, type SweepResult } from "./sweep-deliveries";

const EXPIRY_BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

export async function runScheduled(env: Env, now: number): Promise<{ unignored: number; deliveries: SweepResult }> {
  const db = getDb(env.DB);
  const unignored = await expireIgnores(env, db, now);
  const deliveries = await sweepDeliveries(env, db, now);
  await prune(db, now);
  return { unignored, deliveries };
}

/** Unresolves ignored issues whose ignore duration has passed; returns how many changed. */
export async function expireIgnores(env: Env, db: Db, now: number): Promise<number> {
  const due = await db.$client
    .prepare(
      `select id from groups where status = 'ignored'
         and json_extract(ignore_conditions, '$.kind') = 'duration'
         and json_extract(ignore_conditions, '$.until') <= ? limit ?`,
    )
    .bind(now, EXPIRY_BATCH)
    .all<{ id: number }>();
  let changed = 0;
  for (const { id } of due.results) {
    const found = await getGroupWithOrg(db, id);
    if (!found || found.group.status !== "ignored") continue;
    const change: PlannedChange = {
      status: { status: "unresolved", substatus: "ongoing", resolution: null, resolvedAt: null, ignoreConditions: null },
      activity: { type: "set_unresolved", data: { from: "ignored", reason: "ignoreExpired" } },
    };
    // Guarded like every change: if someone changed the issue meanwhile, leave it to them.
    const written = await applyGuardedChange(db, { group: found.group, changes: [change], actor: { kind: "system" }, source: "system", now });
    if (!written) continue;
    changed++;
    await afterIssueChange(env, {
      group: written.group,
      posted: written.posted,
      organizationId: found.organizationId,
      changes: [change],
      actor: { kind: "system" },
      source: "system",
    });
  }
  return changed;
}

async function prune(db: Db, now: number): Promise<void> {
  await db.$client.batch([
    // Teams redelivers within minutes; a day of de-dup keys is plenty. Personal-install keys live until uninstall.
    pruneActivityKeysStatement(db, now - DAY_MS),
    // Signed links live at most 24 h: an older nonce can't be presented again.
    db.$client.prepare("delete from used_nonces where used_at < ?").bind(now - 2 * DAY_MS),
    // The widest rate window is a minute (ingest).
    db.$client.prepare("delete from rate_limit_windows where window_start < ?").bind(now - 60 * 60 * 1000),
    // Web sessions past their expiry are dead already (lookups ignore them); their rows go too.
    pruneExpiredSessionsStatement(db, now),
  ]);
}
