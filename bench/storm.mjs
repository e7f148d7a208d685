#!/usr/bin/env node
/**
 * Error storm (issue #16): STORM_EVENTS events of STORM_ISSUES issues sent as fast as STORM_CONNECTIONS connections
 * allow to POST /api/projects/:id/events, then drained; card clicks measured during the storm against the same
 * clicks without one. The real worker in Miniflare (local D1, the EVENTS queue with wrangler.toml's batch settings,
 * the DELIVERIES consumer) against the Microsoft stand-in; one "new issue" rule to a channel. The storm's senders
 * run in a process of their own (bench/lib/storm-sender.mjs): an SDK fleet is not the Teams client.
 *
 * Two topologies, each with a fresh world, in one run:
 *   - "one process": the storm and the clicks in one workerd process, i.e. one JavaScript thread (`wrangler dev`).
 *   - "split": the storm goes to one workerd process and the clicks to another; the two share one D1 database
 *     (the clicks' process serves it to the storm's over HTTP: test/node/support/d1-over-http.ts). This is how
 *     Cloudflare runs the worker: a click's isolate does not share its thread with the isolates a storm keeps busy;
 *     they share D1 (and here, the machine's two cores).
 * In each, a storm of /health requests from the same senders is the baseline for throughput, and the clicks
 * measured during it show what any saturating storm costs a click there, whatever the storm does.
 *
 *   node bench/storm.mjs                                   # 20,000 events, 5 issues, 50 connections
 *   STORM_EVENTS=5000 node bench/storm.mjs
 *   STORM_TOPOLOGIES=split node bench/storm.mjs            # only one of them ("one", "split")
 *   STORM_OUT=/tmp/storm.md node bench/storm.mjs           # the table there (not in bench/results), figures in .json
 *
 * Reported per topology: accepted events/s (and ÷ /health), ingest p50/p99, drain time, final counts (must equal
 * accepted), D1 writes (flushes of the project's ingest buffer, events per flush), D1 statements per accepted event —
 * measured: the buffer's flushes run on a statement-counting D1 binding and report their total (GET
 * /api/admin/projects/{id}/outcomes, `buffer`), and the edge's rate-limit leases (one upsert each) are sampled from
 * rate_limit_windows —, cards posted, event → card latency in quiet times, and click p50/p99 without a storm,
 * during the /health storm and during the event storm. Written to bench/results/storm.md.
 *
 * On code without the ingest buffer (the "before" column of bench/RESULTS.md §7) the statements are read from
 * `GET /__bench/d1-statements` when the worker under test has that counter (a bench-only patch), else not reported.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { closedLoop, closedLoopRaw, loadHarness, machine, summarize } from "./lib/common.mjs";
import { startStandIn } from "./lib/standin.mjs";
import { APP_ID, cardActionCycler, startWorld, worldBindings } from "./lib/world.mjs";

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EVENTS = Number(process.env.STORM_EVENTS ?? 20_000);
const ISSUES = Number(process.env.STORM_ISSUES ?? 5);
const CONNECTIONS = Number(process.env.STORM_CONNECTIONS ?? 50);
const CLICK_SECONDS = Number(process.env.STORM_CLICK_SECONDS ?? 4);
const HEALTH_REQUESTS = Number(process.env.STORM_HEALTH_REQUESTS ?? Math.min(EVENTS, 10_000));
const TOPOLOGIES = (process.env.STORM_TOPOLOGIES ?? "one,split").split(",");

const ms = await startStandIn({ appId: APP_ID });
const token = await ms.signToken();
const adminHeaders = { authorization: "Bearer test-admin-token" };

/**
 * Runs bench/lib/storm-sender.mjs: `events` requests over CONNECTIONS connections, in its own process. The senders
 * stand for an SDK fleet, which spends none of the worker's CPU: they run at the lowest priority (nice 19), so they
 * use what the workers leave, as far as one machine allows.
 */
function sendStorm(args) {
  const argv = ["-n", "19", process.execPath, path.join(ROOT, "bench/lib/storm-sender.mjs"), JSON.stringify({ connections: CONNECTIONS, ...args })];
  return new Promise((resolve, reject) => execFile("nice", argv, { maxBuffer: 1 << 28 }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout)))));
}

/** Runs `tick` again and again until `during` settles (also when it fails); answers what `during` gave. */
async function repeatWhile(during, tick) {
  let done = false;
  const loop = (async () => {
    while (!done) await tick();
  })();
  try {
    return await during;
  } finally {
    done = true;
    await loop;
  }
}

/** Clicks (2 concurrent) for as long as `during` runs; their latencies summarised. */
async function clicksDuring(click, during) {
  const all = [];
  const result = await repeatWhile(during, async () => all.push(...(await closedLoopRaw(click, { seconds: 1, concurrency: 2 })).latencies));
  return { result, clicks: summarize(all) };
}

/**
 * One topology: `ingest` takes the storm, `clicks` takes the clicks (the same worker in "one process"); `world` is
 * the seeded world, whose D1 both use.
 */
async function scenario({ world, ingest, clicks }) {
  const { project } = world;
  const base = ingest.url;
  const clickHeaders = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const nextClick = cardActionCycler(ms.serviceUrl, world.issueIds, world.integrationId);
  const click = async () =>
    (await fetch(`${clicks.url}/api/messages`, { method: "POST", headers: clickHeaders, body: nextClick() }).catch(() => ({ status: 0 }))).status === 200;
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
    const [{ n }] = await world.worker.query(
      "select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'QuietError%' and d.kind = 'post' and d.status = 'delivered'",
    );
    if (n) {
      quietCardMs = performance.now() - quietStart;
      break;
    }
    await sleep(20);
  }
  const statementsBefore = await d1Statements();

  // Clicks with no storm (after a warm-up: the first clicks of a fresh isolate are slower); then a storm of /health
  // (the throughput baseline) with clicks beside it.
  await closedLoop(click, { seconds: 2, concurrency: 2 });
  const quietClicks = await closedLoop(click, { seconds: CLICK_SECONDS, concurrency: 2 });
  const healthStorm = await clicksDuring(click, sendStorm({ url: `${base}/health`, events: HEALTH_REQUESTS }));
  const healthPerSecond = healthStorm.result.latencies.length / healthStorm.result.seconds;

  // The storm, with clicks beside it.
  const bodies = Array.from({ length: ISSUES }, (_, i) =>
    JSON.stringify({ level: "error", release: "1.0.0", exception: { values: [{ type: "StormError", value: `site ${i}`, stacktrace: { frames: [{ filename: "app/pay.ts", function: `site${i}`, in_app: true }] } }] } }),
  );
  // Rate-limit leases: the project's window rows, sampled every 100 ms (a window's row is deleted by the first lease
  // of the next minute, so reading them once at the end would miss a storm's earlier minutes).
  const leaseKey = `sentry:project:${project.projectId}`;
  const leasedByWindow = new Map();
  const sampleLeases = async () => {
    for (const r of await world.worker.query("select window_start as w, count as n from rate_limit_windows where key = ?", leaseKey)) {
      leasedByWindow.set(r.w, Math.max(leasedByWindow.get(r.w) ?? 0, r.n));
    }
  };
  const leasedSoFar = () => [...leasedByWindow.values()].reduce((a, b) => a + b, 0);
  await sampleLeases();
  const leasedBefore = leasedSoFar();

  // Counted = the storm issues' times_seen (the same query works on the code before the queue, for the comparison).
  const countedQuery = "select coalesce(sum(times_seen), 0) as n from issues where project_id = ? and title like 'StormError%'";
  const stormAndDrain = async () => {
    const storm = await clicksDuring(click, sendStorm({ url: `${base}/api/projects/${project.projectId}/events`, key: project.publicKey, bodies, events: EVENTS }));
    // Drain: until every accepted event is counted.
    const accepted = storm.result.latencies.length;
    const drainStart = performance.now();
    for (;;) {
      const [{ n }] = await world.worker.query(countedQuery, project.projectId);
      if (n >= accepted) break;
      if (performance.now() - drainStart > 600_000) throw new Error(`drain: ${n} of ${accepted} after 10 min`);
      await sleep(100);
    }
    return { storm, drainSeconds: (performance.now() - drainStart) / 1000 };
  };
  const { storm, drainSeconds } = await repeatWhile(stormAndDrain(), async () => {
    await sampleLeases();
    await sleep(100);
  });
  await sampleLeases();
  const { latencies, refused, seconds: stormSeconds } = storm.result;
  const accepted = latencies.length;
  // Cards: let the deliveries settle.
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await world.worker.query("select count(*) as n from deliveries where status in ('queued', 'retrying')");
    if (!n) break;
    await sleep(200);
  }
  const [{ n: total }] = await world.worker.query(countedQuery, project.projectId);
  const leased = leasedSoFar() - leasedBefore;
  const [{ n: posts }] = await world.worker.query(
    "select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'post' and d.status = 'delivered'",
  );
  const [{ n: updates }] = await world.worker.query("select count(*) as n from deliveries d join issues g on g.id = d.issue_id where g.title like 'StormError%' and d.kind = 'update'");
  // D1 statements of the storm: the counter after minus before (the quiet event's are left out).
  const statementsAfter = await d1Statements();
  const d1 =
    statementsAfter && statementsBefore
      ? {
          statements: statementsAfter.statements - statementsBefore.statements,
          flushes: statementsAfter.flushes === undefined ? undefined : statementsAfter.flushes - statementsBefore.flushes,
          events: statementsAfter.events === undefined ? undefined : statementsAfter.events - statementsBefore.events,
          flushMs: statementsAfter.flushMs === undefined ? undefined : statementsAfter.flushMs - statementsBefore.flushMs,
          source: statementsAfter.source,
        }
      : null;
  // The edge's rate-limit leases of the storm: one upsert of 100 events each (bench/lib/world.mjs seeds a limit of
  // 100,000,000/min) — counted by the buffer-less code's own counter, added here for the buffered code.
  const leases = d1?.flushes !== undefined ? Math.ceil(leased / 100) : 0;
  return {
    healthPerSecond,
    accepted,
    stormSeconds,
    refused,
    ingest: summarize(latencies),
    drainSeconds,
    total,
    d1,
    leases,
    quietCardMs,
    posts,
    updates,
    quietClicks,
    healthClicks: healthStorm.clicks,
    stormClicks: storm.clicks,
  };
}

const worldOptions = { issues: 20, queueConsumer: true, rules: 1, eventsBatchTimeoutSeconds: 1 };
const results = [];
for (const topology of TOPOLOGIES) {
  if (topology === "split") {
    // The clicks' worker holds D1 and serves it; the storm's worker, in its own workerd process, uses it remotely.
    const world = await startWorld(ms, { ...worldOptions, d1Gateway: true });
    const { startWorker } = await loadHarness();
    const ingest = await startWorker({
      bindings: worldBindings(ms),
      queueConsumer: true,
      eventsBatchTimeoutSeconds: 1,
      remoteD1: { gatewayUrl: world.worker.d1GatewayUrl, db: world.worker.db },
    });
    results.push({ name: "split: storm and clicks in two workerd processes, one D1", ...(await scenario({ world, ingest, clicks: world.worker })) });
    await ingest.dispose();
    await world.worker.dispose();
  } else if (topology === "one") {
    const world = await startWorld(ms, worldOptions);
    results.push({ name: "one process: storm and clicks in one workerd", ...(await scenario({ world, ingest: world.worker, clicks: world.worker })) });
    await world.worker.dispose();
  } else throw new Error(`unknown topology ${topology}`);
}

const fmt = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : String(x));
const row = (label, f) => `| ${label} | ${results.map(f).join(" | ")} |`;
const lines = [
  `# Storm: ${EVENTS.toLocaleString("en")} events of ${ISSUES} issues, ${CONNECTIONS} connections`,
  "",
  `${JSON.stringify(machine())}; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")}`,
  "",
  `| measure | ${results.map((r) => r.name).join(" | ")} |`,
  `|---|${results.map(() => "---:").join("|")}|`,
  row(`/health storm (baseline): ${HEALTH_REQUESTS} requests, ${CONNECTIONS} connections`, (r) => `${fmt(r.healthPerSecond, 0)} req/s`),
  row("accepted events/s (storm)", (r) => `${fmt(r.accepted / r.stormSeconds, 0)} (${r.accepted} in ${fmt(r.stormSeconds)} s)`),
  row("accepted ÷ /health", (r) => `${fmt(r.accepted / r.stormSeconds / r.healthPerSecond, 2)}×`),
  row("refused", (r) => JSON.stringify(r.refused)),
  row("ingest p50 / p99", (r) => `${fmt(r.ingest.p50)} / ${fmt(r.ingest.p99)} ms`),
  row("drain after the last answer", (r) => `${fmt(r.drainSeconds)} s`),
  row("final count (sum of times_seen) vs accepted", (r) => `${r.total} vs ${r.accepted}`),
  row("D1 writes of the storm (events per write: mean)", (r) =>
    r.d1?.flushes !== undefined ? `${r.d1.flushes} flushes (${fmt(r.d1.events / Math.max(1, r.d1.flushes))})` : "none: written in the request",
  ),
  row("D1 statements per accepted event (measured)", (r) =>
    r.d1 ? `${fmt((r.d1.statements + r.leases) / Math.max(1, r.accepted), 3)} (${r.d1.statements} in ${r.d1.source}${r.leases ? ` + ${r.leases} rate-limit leases` : ""})` : "not measured",
  ),
  row("flush wall time: total (per flush, per event)", (r) =>
    r.d1?.flushMs !== undefined
      ? `${fmt(r.d1.flushMs / 1000)} s (${fmt(r.d1.flushMs / Math.max(1, r.d1.flushes), 0)} ms, ${fmt((r.d1.flushMs / Math.max(1, r.d1.events)) * 1000, 0)} µs)`
      : "–",
  ),
  row("quiet times: one event → its card delivered", (r) => (r.quietCardMs === null ? "no card within 60 s" : `${fmt(r.quietCardMs, 0)} ms`)),
  row("cards posted (delivered `post` deliveries) / count refreshes", (r) => `${r.posts} / ${r.updates}`),
  row("card click p50 / p99 without a storm", (r) => `${fmt(r.quietClicks.p50)} / ${fmt(r.quietClicks.p99)} ms`),
  row("card click p50 / p99 during the /health storm", (r) => `${fmt(r.healthClicks.p50)} / ${fmt(r.healthClicks.p99)} ms (${r.healthClicks.n} clicks)`),
  row("card click p50 / p99 during the event storm", (r) => `${fmt(r.stormClicks.p50)} / ${fmt(r.stormClicks.p99)} ms (${r.stormClicks.n} clicks)`),
  row("**click p50 during the event storm ÷ without**", (r) => `**${fmt(r.stormClicks.p50 / r.quietClicks.p50, 2)}×**`),
  row("click p50 during the /health storm ÷ without", (r) => `${fmt(r.healthClicks.p50 / r.quietClicks.p50, 2)}×`),
];
const text = lines.join("\n") + "\n";
console.log(text);
// STORM_OUT: write the table there instead of bench/results/storm.md, and the figures as JSON beside it (for the
// bench's smoke test).
const out = process.env.STORM_OUT ?? path.join(ROOT, "bench/results/storm.md");
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, text);
if (process.env.STORM_OUT) await writeFile(`${out}.json`, JSON.stringify(results));
await ms.close();
process.exit(0);
