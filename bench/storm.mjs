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
 * Reported: accepted events/s (and ÷ /health), ingest p50/p99, drain time, final counts (must equal accepted), consumer
 * batches, D1 statements per accepted event (derived: the consumer's batches and issues per batch read back from
 * event_ids.batch_token × the statements per batch of src/db/ingest-batch.ts and alerts/after-ingest.ts, plus the
 * rate-limit leases), cards posted, and click p50/p99 during vs without the storm. Written to bench/results/storm.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
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
const queued = (await worker.query("select count(*) as n from sqlite_master where name = 'event_ids'"))[0].n > 0;
// Before the queue (no event_ids) every event was its own "batch" of one issue.
const batches = queued
  ? await worker.query("select batch_token, count(*) as events, count(distinct issue_id) as issues from event_ids where project_id = ? group by batch_token", project.projectId)
  : [];
const [{ leased }] = await worker.query("select coalesce(sum(count), 0) as leased from rate_limit_windows where key = ?", `sentry:project:${project.projectId}`);
const posts = await worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'post' and d.status = 'delivered'");
const updates = await worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'update'");
// Statements per consumer batch: read batch 3 + write batch 8 (+1 short-id reservation when it opens issues) + the
// rules' read 1, and per issue the posted-cards / refresh / rule-claim batch (3 with one rule). Leases: one upsert
// each (the D1 count / lease size).
const issueRows = batches.reduce((n, b) => n + b.issues, 0);
const leaseSize = 100; // bench/lib/world.mjs seeds a limit of 100,000,000/min: leases of 100
// Before: per event 4 lookups + 5-7 writes + the rules' batch (bench/RESULTS.md §6: ~8 statements) and a rate-limit upsert.
const statements = queued ? batches.length * 12 + issueRows * 3 + ISSUES + Math.ceil(leased / leaseSize) : accepted * 9;
const ingest = summarize(latencies.sort((a, b) => a - b));
const acceptedPerSecond = accepted / stormSeconds;

const fmt = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : String(x));
const lines = [
  `# Storm: ${EVENTS.toLocaleString("en")} events of ${ISSUES} issues, ${CONNECTIONS} connections`,
  "",
  `${JSON.stringify(machine())}`,
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
  `| consumer batches (events per batch: mean) | ${queued ? `${batches.length} (${fmt(accepted / Math.max(1, batches.length))})` : "none: written in the request"} |`,
  `| D1 statements per accepted event (derived) | ${fmt(statements / Math.max(1, accepted), 3)} |`,
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
