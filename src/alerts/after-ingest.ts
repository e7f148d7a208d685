import type { Env } from "../env";
import type { IngestOutcome } from "../issues/ingest";

/** What ingest does after storing an event: evaluate alert rules and update posted cards (alerting work). */
export function alertingHook(_env: Env, _ctx: { waitUntil(p: Promise<unknown>): void } | undefined): (o: IngestOutcome) => Promise<void> {
  return async () => {};
}
