/**
 * Per-project event rate limit on every ingest route (Sentry envelope and store, and the JSON events API): a fixed
 * one-minute window per project, whichever route the events came by. Over the limit the client gets 429 with
 * `Retry-After` and `X-Sentry-Rate-Limits`, which Sentry SDKs obey by holding back error events until the window
 * ends; the refused events are counted per project and reason (drop-counter.ts). Only events count: sessions,
 * client reports and other items we drop cost nothing and are never refused.
 *
 * Leases keep D1 out of the per-event path: an isolate takes a block of the window's quota in one atomic upsert
 * (LEASE_FRACTION of the limit, 1 to LEASE_MAX events) and spends it locally. The window's D1 count is the sum of
 * the blocks handed out, so the project never gets more than its limit across isolates; a block an isolate does
 * not use before the minute ends is lost, so under load spread over many isolates a project may get up to
 * (isolates × (lease − 1)) fewer events than its limit. Limits of 20 or less lease one event at a time: exact.
 */
import type { Db } from "../db/client";
import type { ProjectRow } from "../db/projects";
import { deleteWindowsBefore, incrementWindow } from "../db/rate-limits";
import { RateLimitedError } from "../errors";

export const WINDOW_MS = 60_000;
const LEASE_FRACTION = 1 / 20;
const LEASE_MAX = 100;

/** (The `sentry:` prefix is historical: the window was the Sentry routes' first; it now counts every route.) */
export function projectRateLimitKey(projectId: number): string {
  return `sentry:project:${projectId}`;
}

export function windowStartOf(now: number): number {
  return Math.floor(now / WINDOW_MS) * WINDOW_MS;
}

export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(LEASE_MAX, Math.floor(limit * LEASE_FRACTION)));
}

/** Quota this isolate holds: per project, for one window. */
const leases = new Map<number, { windowStart: number; left: number; limit: number }>();

/**
 * Takes `events` from the project's quota of the current minute; throws RateLimitedError (and takes nothing)
 * when the quota cannot cover them all.
 */
export async function enforceProjectRateLimit(db: Db, project: ProjectRow, events: number, now: number): Promise<void> {
  if (events <= 0) return;
  const windowStart = windowStartOf(now);
  const limit = project.rateLimitPerMinute;
  let lease = leases.get(project.id);
  if (!lease || lease.windowStart !== windowStart || lease.limit !== limit) {
    lease = { windowStart, left: 0, limit };
    leases.set(project.id, lease);
  }
  if (lease.left < events) {
    const want = Math.max(events - lease.left, leaseSize(limit));
    const key = projectRateLimitKey(project.id);
    const count = await incrementWindow(db, key, windowStart, want);
    // First hit of a new window: the previous windows of this project are garbage now. Once a minute at most.
    if (count === want) await deleteWindowsBefore(db, key, windowStart);
    // Of the `want` just counted, those within the limit are ours.
    lease.left += Math.max(0, Math.min(want, limit - (count - want)));
  }
  if (lease.left < events) {
    const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    throw new RateLimitedError(`Project rate limit of ${limit} events per minute reached.`, retryAfter, {
      "X-Sentry-Rate-Limits": `${retryAfter}:error:project`,
    });
  }
  lease.left -= events;
}
