#!/usr/bin/env node
/**
 * Error storm (issue #16): STORM_EVENTS events of STORM_ISSUES issues sent as fast as STORM_CONNECTIONS connections
 * allow to POST /api/projects/:id/events, then drained; card clicks measured during the storm against the same
 * clicks without one. The real worker in Miniflare (local D1, the EVENTS queue with wrangler.toml's batch settings,
 * the DELIVERIES consumer) against the Microsoft stand-in; one "new issue" rule to a channel. /health in the same
 * run is the baseline.
 *
 *   node bench/storm.mjs                                   # 20,000 events, 5 issues, 50 connections
 *   STORM_EVENTS=5000 node bench/storm.mjs
 *
 * Reported: accepted events/s (and ÷ /health), ingest p50/p99, drain time, final counts (must equal accepted), D1
 * writes (flushes of the project's ingest buffer, events per flush), D1 statements per accepted event — measured: the
 * buffer's flushes run on a statement-counting D1 binding and report their total (GET /api/admin/projects/{id}/
 * outcomes, `buffer`), and the edge's rate-limit leases (one upsert each) are read back from rate_limit_windows —,
 * cards posted, event → card latency in quiet times, and click p50/p99 during vs without the storm. Written to
 * bench/results/storm.md.
 *
 * On code without the ingest buffer (the "before" column) the statements are read from `GET /__bench/d1-statements`
 * when the worker under test has that counter (a bench-only patch, see bench/RESULTS.md §7), else not reported.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { closedLoop, closedLoopRaw, machine, summarize } from "./lib/common.mjs";
import { startStandIn } from "./lib/standin.mjs";
import { APP_ID, cardActionCycler, startWorld } from "./lib/world.mjs";

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EVENTS = Number(process.env.STORM_EVENTS ?? 20_000);
const ISSUES = Number(process.env.STORM_ISSUES ?? 5);
const CONNECTIONS = Number(process.env.STORM_CONNECTIONS ?? 50);
const CLICK_SECONDS = Number(process.env.STORM_CLICK_SECONDS ?? 4);

const ms = await startStandIn({ appId: APP_ID });
const world = await startWorld(ms, { issues: 20, queueConsumer: true, rules: 1, eventsBatchTimeoutSeconds: 1 });
const { worker, project } = world;
const base = worker.url;
const token = await ms.signToken();
const clickHeaders = { "content-type": "application/json", authorization: `Bearer ${token}` };
const nextClick = cardActionCycler(ms.serviceUrl, world.issueIds, world.integrationId);
const click = async () => (await fetch(`${base}/api/messages`, { method: "POST", headers: clickHeaders, body: nextClick() }).catch(() => ({ status: 0 }))).status === 200;

const adminHeaders = { authorization: "Bearer test-admin-token" };
const d1Statements = async () => {
  const outcomes = await fetch(`${base}/api/admin/projects/${project.projectId}/outcomes`, { headers: adminHeaders });
  const buffer = outcomes.ok ? (await outcomes.json()).buffer : undefined;
  if (buffer) return { statements: buffer.statements, flushes: buffer.flushes, events: buffer.events, flushMs: buffer.flushMs, source: "ingest buffer flushes" };
  const counter = await fetch(`${base}/__bench/d1-statements`);
  return counter.ok ? { ...(await counter.json()), source: "ingest requests" } : null;
};

// Quiet times: one event of a new issue → its card delivered to the channel (queue wait + flush + delivery).
const quietStart = performance.now();
const quietRes = await fetch(`${base}/api/projects/${project.projectId}/events`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${project.publicKey}` },
  body: JSON.stringify({ level: "error", exception: { values: [{ type: "QuietError", value: "one event" }] } }),
});
if (!quietRes.ok) throw new Error(`quiet event: ${quietRes.status}`);
let quietCardMs = null;
while (performance.now() - quietStart < 60_000) {
  const [{ n }] = await worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'QuietError%' and d.kind = 'post' and d.status = 'delivered'");
  if (n) {
    quietCardMs = performance.now() - quietStart;
    break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
const statementsBefore = await d1Statements();

// Baselines: /health, and clicks with no storm.
const health = await closedLoop(async () => (await fetch(`${base}/health`)).ok, { seconds: 3, concurrency: CONNECTIONS });
const quietClicks = await closedLoop(click, { seconds: CLICK_SECONDS, concurrency: 2 });

// The storm, with clicks running beside it.
const ingestHeaders = { "content-type": "application/json", authorization: `Bearer ${project.publicKey}` };
const bodies = Array.from({ length: ISSUES }, (_, i) =>
  JSON.stringify({ level: "error", release: "1.0.0", exception: { values: [{ type: "StormError", value: `site ${i}`, stacktrace: { frames: [{ filename: "app/pay.ts", function: `site${i}`, in_app: true }] } }] } }),
);
let sent = 0;
const latencies = [];
const refused = new Map();
let stormDone = false;
const stormStart = performance.now();
async function sender() {
  for (;;) {
    const n = sent++;
    if (n >= EVENTS) return;
    const t0 = performance.now();
    try {
      const res = await fetch(`${base}/api/projects/${project.projectId}/events`, { method: "POST", headers: ingestHeaders, body: bodies[n % ISSUES] });
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - t0);
      else refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
    } catch (err) {
      // Not accepted (the connection closed under load): an SDK would send it again; counted, not retried here.
      refused.set("network error", (refused.get("network error") ?? 0) + 1);
    }
  }
}
const clicksDuring = (async () => {
  const all = [];
  while (!stormDone) {
    const r = await closedLoopRaw(click, { seconds: 1, concurrency: 2 });
    all.push(...r.latencies);
  }
  return summarize(all.sort((a, b) => a - b));
})();
await Promise.all(Array.from({ length: CONNECTIONS }, sender));
const stormSeconds = (performance.now() - stormStart) / 1000;
stormDone = true;
const duringClicks = await clicksDuring;
const accepted = latencies.length;

// Drain: until every accepted event is counted.
const drainStart = performance.now();
// Counted = the storm issues' times_seen (the same query works on the code before the queue, for the comparison).
const countedQuery = "select coalesce(sum(times_seen), 0) as n from issues where project_id = ? and title like 'StormError%'";
for (;;) {
  const [{ n }] = await worker.query(countedQuery, project.projectId);
  if (n >= accepted) break;
  if (performance.now() - drainStart > 600_000) throw new Error(`drain: ${n} of ${accepted} after 10 min`);
  await new Promise((r) => setTimeout(r, 100));
}
const drainSeconds = (performance.now() - drainStart) / 1000;
// Cards: let the deliveries settle.
for (let i = 0; i < 100; i++) {
  const [{ n }] = await worker.query("select count(*) as n from deliveries where status in ('queued', 'retrying')");
  if (!n) break;
  await new Promise((r) => setTimeout(r, 200));
}
const [{ total }] = await worker.query("select coalesce(sum(times_seen), 0) as total from issues where project_id = ? and title like 'StormError%'", project.projectId);
const [{ leased }] = await worker.query("select coalesce(sum(count), 0) as leased from rate_limit_windows where key = ?", `sentry:project:${project.projectId}`);
const posts = await worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'post' and d.status = 'delivered'");
const updates = await worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'update'");
// D1 statements of the storm: the counter after minus before (the quiet event's are left out).
const statementsAfter = await d1Statements();
const storm = statementsAfter && statementsBefore ? {
  statements: statementsAfter.statements - statementsBefore.statements,
  flushes: statementsAfter.flushes === undefined ? undefined : statementsAfter.flushes - statementsBefore.flushes,
  events: statementsAfter.events === undefined ? undefined : statementsAfter.events - statementsBefore.events,
  flushMs: statementsAfter.flushMs === undefined ? undefined : statementsAfter.flushMs - statementsBefore.flushMs,
  source: statementsAfter.source,
} : null;
// The edge's rate-limit leases: one upsert of 100 events each (bench/lib/world.mjs seeds a limit of 100,000,000/min)
// — counted by the buffer-less code's own counter, added here for the buffered code.
const leases = storm?.flushes !== undefined ? Math.ceil(leased / 100) : 0;
const ingest = summarize(latencies.sort((a, b) => a - b));
const acceptedPerSecond = accepted / stormSeconds;

const fmt = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : String(x));
const lines = [
  `# Storm: ${EVENTS.toLocaleString("en")} events of ${ISSUES} issues, ${CONNECTIONS} connections`,
  "",
  `${JSON.stringify(machine())}; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")}`,
  "",
  "| measure | value |",
  "|---|---:|",
  `| /health (baseline), ${CONNECTIONS} connections | ${fmt(health.perSecond, 0)} req/s |`,
  `| accepted events/s (storm: ${accepted} accepted in ${fmt(stormSeconds)} s) | ${fmt(acceptedPerSecond, 0)} |`,
  `| accepted ÷ /health | ${fmt(acceptedPerSecond / health.perSecond, 2)}× |`,
  `| refused | ${JSON.stringify(Object.fromEntries(refused))} |`,
  `| ingest p50 / p99 | ${fmt(ingest.p50)} / ${fmt(ingest.p99)} ms |`,
  `| drain after the last answer | ${fmt(drainSeconds)} s |`,
  `| final count (sum of times_seen) vs accepted | ${total} vs ${accepted} |`,
  `| D1 writes of the storm (events per write: mean) | ${storm?.flushes !== undefined ? `${storm.flushes} flushes (${fmt(storm.events / Math.max(1, storm.flushes))})` : "none: written in the request"} |`,
  `| D1 statements per accepted event (measured: ${storm ? storm.source : "no counter"}${leases ? ` + ${leases} rate-limit leases` : ""}) | ${storm ? `${fmt((storm.statements + leases) / Math.max(1, accepted), 3)} (${storm.statements + leases} statements)` : "not measured"} |`,
  ...(storm?.flushMs !== undefined
    ? [`| flush wall time: total (per flush, per event) | ${fmt(storm.flushMs / 1000)} s (${fmt(storm.flushMs / Math.max(1, storm.flushes), 0)} ms, ${fmt((storm.flushMs / Math.max(1, storm.events)) * 1000, 0)} µs) |`]
    : []),
  `| quiet times: one event → its card delivered | ${quietCardMs === null ? "no card within 60 s" : `${fmt(quietCardMs, 0)} ms`} |`,
  `| cards posted (delivered \`post\` deliveries) / count refreshes | ${posts[0].n} / ${updates[0].n} |`,
  `| card click p50 / p99 without a storm | ${fmt(quietClicks.p50)} / ${fmt(quietClicks.p99)} ms |`,
  `| card click p50 / p99 during the storm | ${fmt(duringClicks.p50)} / ${fmt(duringClicks.p99)} ms |`,
  `| click p50 during ÷ without | ${fmt(duringClicks.p50 / quietClicks.p50, 2)}× |`,
];
const text = lines.join("\n") + "\n";
console.log(text);
await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
await writeFile(path.join(ROOT, "bench/results/storm.md"), text);
await worker.dispose();
await ms.close();
process.exit(0);
