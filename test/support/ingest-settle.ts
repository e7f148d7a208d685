/**
 * Ingest answers before it writes (the EVENTS queue, consumed by the real consumer in this pool): tests that look
 * at what an event did wait for the consumer to have counted it, then read the outcome from D1 itself.
 */
import { env } from "cloudflare:workers";

export type IngestOutcome = { id: string; issueId: number; shortId: string; isNew: boolean; isRegression: boolean; isEscalation: boolean };

/** Waits until every id is counted (in event_ids) or kept as a dead letter; returns id → issue id (null: dead letter). */
export async function waitForEvents(ids: string[], timeoutMs = 30_000): Promise<Map<string, number | null>> {
  const start = Date.now();
  const found = new Map<string, number | null>();
  const json = JSON.stringify(ids);
  for (;;) {
    const [counted, dead] = await env.DB.batch<{ id: string; issue_id: number | null }>([
      env.DB.prepare("select id, issue_id from event_ids where id in (select value from json_each(?))").bind(json),
      env.DB.prepare("select event_id as id, null as issue_id from ingest_dead_letters where event_id in (select value from json_each(?))").bind(json),
    ]);
    for (const r of [...counted.results, ...dead.results]) found.set(r.id, r.issue_id);
    if (ids.every((id) => found.has(id))) return found;
    if (Date.now() - start > timeoutMs) throw new Error(`${ids.filter((id) => !found.has(id)).length} events not counted after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What an ingested event did, once counted: its issue, and whether it opened, regressed or escalated it. */
export async function ingestOutcome(id: string): Promise<IngestOutcome> {
  const issueId = (await waitForEvents([id])).get(id);
  if (issueId == null) throw new Error(`event ${id} was dead-lettered`);
  const row = await env.DB.prepare(
    `select g.short_id as shortId,
       exists (select 1 from issue_activity a where a.issue_id = g.id and a.type = 'first_seen' and json_extract(a.data, '$.eventId') = ?1) as isNew,
       exists (select 1 from issue_activity a where a.issue_id = g.id and a.type = 'set_regression' and json_extract(a.data, '$.eventId') = ?1) as isRegression,
       exists (select 1 from issue_activity a where a.issue_id = g.id and a.type = 'set_escalating' and json_extract(a.data, '$.eventId') = ?1) as isEscalation
     from issues g where g.id = ?2`,
  )
    .bind(id, issueId)
    .first<{ shortId: string; isNew: number; isRegression: number; isEscalation: number }>();
  return { id, issueId, shortId: row!.shortId, isNew: !!row!.isNew, isRegression: !!row!.isRegression, isEscalation: !!row!.isEscalation };
}

/**
 * Waits until everything sent to the EVENTS queue before now has been counted: sends a barrier (a message that is
 * not an event, which the consumer keeps as a dead letter) and waits for it — the queue hands batches over in order,
 * one at a time, so the events before the barrier are in their projects' ingest buffers by then — and then waits
 * until every project's buffer has flushed what it holds. The barrier's dead-letter row is removed.
 */
export async function settleIngest(timeoutMs = 30_000): Promise<void> {
  const barrier = `barrier-${crypto.randomUUID()}`;
  await env.EVENTS.send({ barrier }, { contentType: "json" });
  const start = Date.now();
  for (;;) {
    const row = await env.DB.prepare("delete from ingest_dead_letters where body = ? returning id").bind(JSON.stringify({ barrier })).first();
    if (row) break;
    if (Date.now() - start > timeoutMs) throw new Error(`the EVENTS queue did not drain within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const projects = await env.DB.prepare("select id from projects").all<{ id: number }>();
  const buffers = projects.results.map((p) => env.INGEST_BUFFER.get(env.INGEST_BUFFER.idFromName(String(p.id))));
  for (;;) {
    const waiting = await Promise.all(buffers.map(async (b) => (await b.stats()).waiting));
    if (waiting.every((n) => n === 0)) return;
    if (Date.now() - start > timeoutMs) throw new Error(`ingest buffers still hold ${waiting.reduce((a, b) => a + b, 0)} events after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
