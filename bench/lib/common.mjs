/**
 * Shared pieces of the performance suite (bench/*.mjs): loading TypeScript sources into Node 20, starting the
 * real worker in Miniflare, load generation (autocannon and a closed loop), statistics and the machine line.
 */
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import autocannon from "autocannon";

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Node 20 cannot import .ts: bundle an entry (npm imports stay external) to a temp .mjs and import it. */
export async function importTs(entry, name = path.basename(entry, ".ts")) {
  return importBundle({ entryPoints: [path.join(ROOT, entry)] }, name, entry);
}

/**
 * Like importTs for several sources that must share one copy of their modules (and so their caches):
 * `importTsModules(["src/bot/connector-client.ts", "src/bot/token-client.ts"])` → their exports merged.
 */
export async function importTsModules(entries, name = "bench-modules") {
  const contents = entries.map((e) => `export * from ${JSON.stringify(`./${e}`)};`).join("\n");
  return importBundle({ stdin: { contents, resolveDir: ROOT, sourcefile: `${name}.ts`, loader: "ts" } }, name, entries[0]);
}

async function importBundle(input, name, entry) {
  const outfile = path.join(ROOT, "node_modules", ".cache", "bench", `${name}-${process.pid}-${Date.now()}.mjs`);
  await mkdir(path.dirname(outfile), { recursive: true });
  await build({
    ...input,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile,
    // Modules that find the repo from their own location must still see their source path.
    define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(ROOT, entry)).href) },
    logLevel: "silent",
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(outfile, { force: true });
  }
}

let harnessModule;
/** test/node/support/worker-harness.ts: `startWorker({bindings, outboundService, queueConsumer})`. */
export async function loadHarness() {
  harnessModule ??= importTs("test/node/support/worker-harness.ts", "bench-harness");
  return harnessModule;
}

/** One line describing where the figures were taken. */
export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus.length} × ${cpus[0]?.model?.trim() ?? "cpu"}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
}

/**
 * autocannon against `url` for `seconds` with `connections`; `requests` as autocannon takes them (setupRequest
 * may vary the body per request). Returns requests/s, p50/p99 ms, non-2xx and errors.
 */
export async function cannon({ url, connections, seconds, method = "GET", headers, body, requests }) {
  const result = await autocannon({ url, connections, duration: seconds, method, headers, body, requests, timeout: 30 });
  return {
    connections,
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Closed loop of `concurrency` callers of `op` for `seconds`; `op` resolves true on the expected outcome.
 * Returns the raw latencies (ms), error count, first error and elapsed seconds.
 */
export async function closedLoopRaw(op, { seconds, concurrency }) {
  const latencies = [];
  let errors = 0;
  let firstError = "";
  const started = performance.now();
  const deadline = started + seconds * 1000;
  async function worker() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const outcome = await op();
        if (outcome === true) latencies.push(performance.now() - t0);
        else {
          errors++;
          firstError ||= String(outcome);
        }
      } catch (err) {
        errors++;
        firstError ||= String(err);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors, firstError, elapsed: (performance.now() - started) / 1000 };
}

/** closedLoopRaw summarised: p50/p99/max, operations per second, errors. */
export async function closedLoop(op, { seconds, concurrency }) {
  const { latencies, errors, firstError, elapsed } = await closedLoopRaw(op, { seconds, concurrency });
  return { ...summarize(latencies), perSecond: latencies.length / elapsed, errors, firstError };
}

export const fmt = {
  n: (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "–"),
  ms: (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : "–"),
  ratio: (a, b) => (Number.isFinite(a / b) && b ? `${(a / b).toFixed(2)}×` : "–"),
};

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  return [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}
