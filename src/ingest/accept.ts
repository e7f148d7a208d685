/**
 * The end of every ingest route, after authentication and validation: the project's rate limit (refusals counted
 * as dropped), grouping (pure, no D1), then the EVENTS queue. The request answers once the queue has the events —
 * the D1 writes happen in the consumer (src/ingest/consumer.ts), aggregated per batch.
 */
import type { Db } from "../db/client";
import type { ProjectRow } from "../db/projects";
import type { Env } from "../env";
import { IngestUnavailableError, RateLimitedError } from "../errors";
import type { NormalizedEvent } from "../issues/event";
import { groupEvent } from "../issues/grouping";
import { countDropped } from "./drop-counter";
import { ingestMessage } from "./message";
import { enforceProjectRateLimit } from "./rate-limit";

export async function acceptEvents(
  env: Env,
  db: Db,
  ctx: { waitUntil(p: Promise<unknown>): void },
  project: ProjectRow,
  events: NormalizedEvent[],
  now: number,
): Promise<void> {
  if (!events.length) return;
  try {
    await enforceProjectRateLimit(db, project, events.length, now);
  } catch (err) {
    if (err instanceof RateLimitedError) countDropped(db, ctx, { projectId: project.id, reason: "rate_limited", count: events.length, now });
    throw err;
  }
  const messages = await Promise.all(events.map(async (e) => ingestMessage(project.id, now, await groupEvent(e), e)));
  try {
    await env.EVENTS.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
  } catch (err) {
    // Not accepted: the client keeps the event and retries (SDKs do on 503 with Retry-After).
    console.error("could not enqueue events", err instanceof Error ? err.message : String(err));
    throw new IngestUnavailableError("The event could not be queued; retry later.");
  }
}
