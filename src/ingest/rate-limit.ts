/**
 * Per-project event rate limit on every ingest route (Sentry envelope and store, and the JSON events API): a fixed
 * one-minute window counted in D1 (exact across isolates), one window per project whichever route the events
 * came by. Over the limit the client gets 429 with `Retry-After` and `X-Sentry-Rate-Limits`, which Sentry SDKs
 * obey by holding back error events until the window ends. Only events count: sessions, client reports and
 * other items we drop cost nothing and are never refused.
 */
import type { Db } from "../db/client";
import type { ProjectRow } from "../db/projects";
import { deleteWindowsBefore, incrementWindow } from "../db/rate-limits";
import { RateLimitedError } from "../errors";

export const WINDOW_MS = 60_000;

/** (The `sentry:` prefix is historical: the window was the Sentry routes' first; it now counts every route.) */
export function projectRateLimitKey(projectId: number): string {
  return `sentry:project:${projectId}`;
}

export function windowStartOf(now: number): number {
  return Math.floor(now / WINDOW_MS) * WINDOW_MS;
}

/** Counts `events` against the project's per-minute limit; throws RateLimitedError when over it. */
export async function enforceProjectRateLimit(db: Db, project: ProjectRow, events: number, now: number): Promise<void> {
  if (events <= 0) return;
  const key = projectRateLimitKey(project.id);
  const windowStart = windowStartOf(now);
  const count = await incrementWindow(db, key, windowStart, events);
  // First hit of a new window: the previous windows of this project are garbage now. Once a minute at most.
  if (count === events) await deleteWindowsBefore(db, key, windowStart);
  if (count > project.rateLimitPerMinute) {
    const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    throw new RateLimitedError(
      `Project rate limit of ${project.rateLimitPerMinute} events per minute reached.`,
      retryAfter,
      { "X-Sentry-Rate-Limits": `${retryAfter}:error:project` },
    );
  }
}
