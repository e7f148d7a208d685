#!/usr/bin/env node
/**
 * Envelopes per second through the Sentry SDK endpoint, on local D1 (Miniflare, the real worker bundle), with a
 * /health baseline measured in the same run: figures are reported as ratios to it, since the machines are noisy.
 *
 *   npm run bench:sentry                       # ~40 s
 *   BENCH_SECONDS=10 BENCH_CONCURRENCY=16 npm run bench:sentry
 *
 * Scenarios (each a closed loop of BENCH_CONCURRENCY clients for BENCH_SECONDS):
 *   health          GET /health — routing + JSON, no storage: the baseline
 *   drop-only       an envelope with a session + client report: auth, parse, drop (1 D1 read)
 *   rate-limited-429 an error event to a project over its limit: auth, parse, map, rate-limit upsert, 429 —
 *                   the whole Sentry layer without ingest (2 D1 round trips)
 *   same-issue      an error event envelope, every event grouped into one existing issue (the common case)
 *   new-issues      an error event envelope, every event a new issue (worst case: short id + group insert)
 *   same-issue-gzip as same-issue, gzip-compressed body (what SDKs send above 32 KB)
 * Results go to bench/results/sentry-envelopes.md (and stdout).
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { loadHarness } from "./lib/common.mjs";

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARMUP_SECONDS = Math.min(2, SECONDS);


const hex32 = () => crypto.randomUUID().replace(/-/g, "");

/** An error event as @sentry/node v11 shapes it (~2 KB as an envelope). */
function errorEvent(eventId, { site = "loadUser" } = {}) {
  return {
    event_id: eventId,
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    release: "bench@1.0.0",
    environment: "production",
    server_name: "bench-host",
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    contexts: {
      runtime: { name: "node", version: process.version },
      os: { name: "Linux", version: os.release() },
      trace: { trace_id: hex32(), span_id: hex32().slice(0, 16) },
    },
    tags: { region: "eu-west", route: "/users/:id" },
    user: { id: "u-42" },
    exception: {
      values: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'id')",
          mechanism: { type: "generic", handled: true },
          stacktrace: {
            frames: [
              { filename: "node:internal/process/task_queues", module: "task_queues", function: "process.processTicksAndRejections", lineno: 95, colno: 5, in_app: false },
              { filename: "/app/node_modules/express/lib/router/layer.js", module: "express.lib.router:layer", function: "Layer.handle", lineno: 95, colno: 5, in_app: false },
              { filename: "/app/src/routes/users.js", module: "routes:users", function: "getUser", lineno: 12, colno: 9, in_app: true, context_line: "  const user = await loadUser(req.params.id);", pre_context: ["", "router.get('/:id', async (req, res) => {"], post_context: ["  res.json(user);", "});"] },
              { filename: "/app/src/users.js", module: "users", function: site, lineno: 42, colno: 17, in_app: true, context_line: "  return rows[0].id;", pre_context: ["async function loadUser(id) {", "  const rows = await db.query(sql, [id]);"], post_context: ["}", ""] },
            ],
          },
        },
      ],
    },
  };
}

function envelope(event) {
  const payload = JSON.stringify(event);
  const header = { event_id: event.event_id, sent_at: new Date().toISOString(), sdk: event.sdk };
  return `${JSON.stringify(header)}\n${JSON.stringify({ type: "event", length: Buffer.byteLength(payload) })}\n${payload}\n`;
}

function dropOnlyEnvelope() {
  const session = JSON.stringify({ sid: hex32(), init: false, started: new Date().toISOString(), status: "ok", errors: 0, attrs: { release: "bench@1.0.0" } });
  const report = JSON.stringify({ timestamp: Date.now() / 1000, discarded_events: [{ reason: "sample_rate", category: "transaction", quantity: 3 }] });
  return `{"sent_at":"${new Date().toISOString()}"}\n{"type":"session"}\n${session}\n{"type":"client_report"}\n${report}\n`;
}

/** Closed loop: `concurrency` clients each sending the next request as soon as the last one answered. */
async function run(name, makeRequest, seconds, expectStatus = 200) {
  const latencies = [];
  let errors = 0;
  let firstError = "";
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  async function client() {
    while (performance.now() < deadline) {
      const [url, init] = makeRequest();
      const t0 = performance.now();
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (res.status === expectStatus) latencies.push(performance.now() - t0);
        else {
          errors++;
          firstError ||= `${res.status}`;
        }
      } catch (err) {
        errors++;
        firstError ||= String(err);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
  return { name, ok: latencies.length, errors, firstError, perSecond: latencies.length / elapsed, p50: pct(50), p95: pct(95), p99: pct(99) };
}

async function main() {
  const harness = await loadHarness();
  const worker = await harness.startWorker();
  try {
    const project = await worker.seed.project({ rateLimitPerMinute: 1_000_000_000, shortIdPrefix: "BENCH" });
    const url = `${worker.url}/api/${project.projectId}/envelope/`;
    const auth = { "x-sentry-auth": `Sentry sentry_version=7, sentry_client=sentry.javascript.node/11.12.0, sentry_key=${project.publicKey}` };
    const post = (body, extra = {}, target = url) => [target, { method: "POST", headers: { "content-type": "application/x-sentry-envelope", ...auth, ...extra }, body }];
    // A project over its limit: auth, parse, map and the rate-limit upsert, then 429 — everything but ingest.
    const limited = await worker.seed.project({ rateLimitPerMinute: 0, publicKey: project.publicKey + "x" });
    const limitedUrl = `${worker.url}/api/${limited.projectId}/envelope/`;
    const limitedAuth = { "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${limited.publicKey}` };
    let site = 0;

    const scenarios = [
      ["health", () => [`${worker.url}/health`, { method: "GET" }]],
      ["drop-only", () => post(dropOnlyEnvelope())],
      ["rate-limited-429", () => post(envelope(errorEvent(hex32())), limitedAuth, limitedUrl), 429],
      ["same-issue", () => post(envelope(errorEvent(hex32())))],
      ["new-issues", () => post(envelope(errorEvent(hex32(), { site: `site${++site}` })))],
      ["same-issue-gzip", () => post(gzipSync(envelope(errorEvent(hex32()))), { "content-encoding": "gzip" })],
    ];

    const sample = envelope(errorEvent(hex32()));
    // Warm up: JIT, D1 statement caches, the first issue of "same-issue".
    for (const [, make, status] of scenarios) await run("warmup", make, WARMUP_SECONDS / scenarios.length, status);

    const results = [];
    for (const [name, make, status] of scenarios) {
      const r = await run(name, make, SECONDS, status);
      results.push(r);
      console.log(`${name.padEnd(16)} ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ""}`);
    }
    // Sanity: the events really landed.
    const [{ n: events }] = await worker.query("select count(*) as n from events where project_id = ?", project.projectId);
    const [{ n: issues }] = await worker.query("select count(*) as n from issues where project_id = ?", project.projectId);

    const base = results[0].perSecond;
    const cpus = os.cpus();
    const lines = [
      "# Sentry envelope endpoint throughput",
      "",
      `Run: ${new Date().toISOString()} · Node ${process.version} · ${cpus.length} × ${cpus[0]?.model ?? "cpu"} · ` +
        `Miniflare (workerd) + local D1 (SQLite, in memory) · ${CONCURRENCY} concurrent clients · ${SECONDS} s per scenario · ` +
        `envelope ≈ ${Buffer.byteLength(sample)} bytes (gzip ${gzipSync(sample).byteLength}).`,
      "",
      "`npm run bench:sentry` (BENCH_SECONDS, BENCH_CONCURRENCY). Ratios are against /health measured in the same run;",
      "absolute figures move with the machine, ratios much less. Client and worker share the same cores.",
      "",
      "| scenario | requests/s | × /health | p50 ms | p95 ms | p99 ms | errors |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.perSecond.toFixed(0)} | ${(r.perSecond / base).toFixed(2)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`,
      ),
      "",
      `Stored after the run: ${events} events in ${issues} issues.`,
      "",
    ];
    await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
    await writeFile(path.join(ROOT, "bench/results/sentry-envelopes.md"), lines.join("\n"));
    console.log(`\n${lines.join("\n")}`);
    if (results.some((r) => r.errors)) process.exitCode = 1;
  } finally {
    await worker.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
