#!/usr/bin/env node
/**
 * `npm run bench:startup`: how long `npm start` takes to a usable playground, against plain `wrangler dev` (the
 * baseline: the worker alone, nothing set up) in the same run, on this install (node_modules in place).
 *
 *   npm start, fresh state     from spawn until the worker answers /health and the playground serves its page and
 *                              state, with an empty state directory (migrations, seeding, new keys)
 *   npm start, existing state  the same with the state the previous run left (the everyday restart)
 *   wrangler dev (baseline)    from spawn until /health answers
 *
 * Rounds alternate the three, so load on the machine hits them alike; medians and the ratio to the baseline go to
 * bench/STARTUP.md (and stdout), the raw figures to bench/results/startup.json.
 * Options: --rounds N (default 3).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../scripts/lib/ports.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const at = process.argv.indexOf("--rounds");
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 3;
const LIMIT_MS = 300_000;

async function answers(url, check = (r) => r.ok) {
  try {
    return check(await fetch(url, { signal: AbortSignal.timeout(30_000) }));
  } catch {
    return false;
  }
}

/** Spawns `command` in its own process group; resolves with ms until every probe answered, then stops the group. */
async function timeUntilReady(command, args, probes) {
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((r) => child.once("exit", r));
  try {
    for (const probe of probes) {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${command} exited early: ${stderr.slice(-500)}`);
        if (performance.now() - t0 > LIMIT_MS) throw new Error(`${command} not ready after ${LIMIT_MS} ms`);
        if (await probe()) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return performance.now() - t0;
  } finally {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
}

async function npmStart(stateDir) {
  const [port, playgroundPort] = [await freePort(), await freePort()];
  const args = [join(ROOT, "scripts/start.mjs"), "--persist-to", join(stateDir, "state"), "--dev-vars", join(stateDir, "dev.vars")];
  args.push("--port", String(port), "--playground-port", String(playgroundPort));
  const pg = `http://127.0.0.1:${playgroundPort}`;
  return timeUntilReady("node", args, [
    () => answers(`http://127.0.0.1:${port}/health`),
    () => answers(`${pg}/`),
    () => answers(`${pg}/playground/api/state`, async (r) => r.ok && (await r.json()).guide !== null),
  ]);
}

async function wranglerDev(stateDir) {
  const port = await freePort();
  return timeUntilReady(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(stateDir, "plain")], [() => answers(`http://127.0.0.1:${port}/health`)]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadBefore = loadavg().map((l) => l.toFixed(2)).join(" ");
const runs = { fresh: [], existing: [], baseline: [] };
for (let round = 1; round <= ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), "bench-startup-"));
  try {
    runs.baseline.push(await wranglerDev(dir));
    runs.fresh.push(await npmStart(dir));
    runs.existing.push(await npmStart(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.error(`round ${round}/${ROUNDS}: baseline ${(runs.baseline.at(-1) / 1000).toFixed(1)} s, fresh ${(runs.fresh.at(-1) / 1000).toFixed(1)} s, existing ${(runs.existing.at(-1) / 1000).toFixed(1)} s`);
}

const base = median(runs.baseline);
const row = (name, xs) => `| ${name} | ${(median(xs) / 1000).toFixed(1)} s | ${(Math.min(...xs) / 1000).toFixed(1)}–${(Math.max(...xs) / 1000).toFixed(1)} s | ${(median(xs) / base).toFixed(2)}× |`;
const markdown = [
  "# `npm start` to a usable playground",
  "",
  `Run ${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? "CPU"} · Node ${process.version} · load before the run ${loadBefore}, after ${loadavg().map((l) => l.toFixed(2)).join(" ")} · ${ROUNDS} rounds.`,
  "",
  "`npm run bench:startup` writes this file. Time from spawning the command until the worker answers `/health` and the",
  "playground serves its page and its state (for `npm start`), or until `/health` answers (plain `wrangler dev`, the",
  "baseline, run in the same rounds). Absolute times move with the machine's load; compare the ratios.",
  "",
  "| what | median | range | vs `wrangler dev` |",
  "|---|---:|---:|---:|",
  row("`wrangler dev` alone (baseline)", runs.baseline),
  row("`npm start`, fresh state (migrations, seed, new keys)", runs.fresh),
  row("`npm start`, existing state (an everyday restart)", runs.existing),
  "",
].join("\n");
console.log(markdown);
writeFileSync(join(ROOT, "bench/STARTUP.md"), markdown);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/startup.json"), `${JSON.stringify({ rounds: ROUNDS, ms: runs }, null, 2)}\n`);
