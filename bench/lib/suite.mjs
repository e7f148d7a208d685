/**
 * The whole suite as one function, used by `npm run bench` (full figures → bench/RESULTS.md) and
 * `npm run bench:smoke` (small bounded run for CI, no thresholds). Each part returns its raw figures and a
 * markdown section; `summary` lists each target with the figure measured in this run.
 */
import { bundleMarkdown, runBundle } from "../bundle.mjs";
import { cpuMarkdown, runCpu } from "../cpu.mjs";
import { inboundMarkdown, runInbound } from "../inbound.mjs";
import { runToken, tokenMarkdown } from "../token.mjs";
import { fmt, machine, table } from "./common.mjs";
import { ingestMarkdown, runIngest } from "./ingest.mjs";

export const FULL = {
  inbound: { seconds: 5, connections: [1, 10, 50], issues: 3000 },
  token: { sends: 1000, tokenDelayMs: 100, rounds: 3 },
  cpu: { requests: 400, concurrency: 4, microRounds: 15 },
  bundle: { startups: 5 },
  ingest: { seconds: 5, concurrency: 8, latencyEvents: 25, ratePerSecond: 5 },
};

export const SMOKE = {
  inbound: { seconds: 1, connections: [1, 10], issues: 300, warmup: false },
  token: { sends: 200, tokenDelayMs: 50, rounds: 1 },
  cpu: { requests: 40, concurrency: 4, microRounds: 3 },
  bundle: { startups: 1 },
  ingest: { seconds: 1, concurrency: 4, latencyEvents: 3, ratePerSecond: 5 },
};

export async function runSuite(config, log = console.log) {
  const started = performance.now();
  const figures = { machine: machine(), config };
  const step = async (name, fn) => {
    const t0 = performance.now();
    log(`[bench] ${name}…`);
    figures[name] = await fn();
    log(`[bench] ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  await step("inbound", () => runInbound(config.inbound));
  await step("token", () => runToken(config.token));
  await step("cpu", () => runCpu(config.cpu));
  await step("bundle", () => runBundle(config.bundle));
  await step("ingest", () => runIngest(config.ingest));
  figures.seconds = (performance.now() - started) / 1000;
  return figures;
}

/** Each target of issue 9 with this run's figure. */
export function summary(f) {
  const find = (side, kind, c) => f.inbound.results.find((x) => x.side === side && x.kind === kind && x.connections === c);
  const rows = [];
  for (const c of f.inbound.connections) {
    for (const kind of ["noop", "card"]) {
      const ours = find("ours", kind, c);
      const bb = find("botbuilder", kind, c);
      const met = ours.rps >= 3 * bb.rps && ours.p99 <= bb.p99;
      rows.push([`${kind === "noop" ? "no-op" : "card action"} ×${c}: throughput ours / botbuilder, p99 ours vs botbuilder`, "≥ 3×, p99 ≤", `${fmt.ratio(ours.rps, bb.rps)}, ${ours.p99} vs ${bb.p99} ms`, met ? "met" : "not met"]);
    }
  }
  const tokenMax = Math.max(...f.token.rounds.map((r) => r.coldTokenRequests));
  rows.push([`token requests for ${f.token.sends} concurrent sends (cold)`, "exactly 1", f.token.rounds.map((r) => r.coldTokenRequests).join(", "), tokenMax === 1 && f.token.rounds.every((r) => r.coldTokenRequests === 1) ? "met" : "not met"]);
  const card = f.cpu.inWorkerd.find((x) => x.name.includes("card"));
  rows.push(["card-action CPU per request in workerd, incl. local D1", "≤ 2 ms", `${card.cpuMs.toFixed(2)} ms (= ${(card.cpuMs / f.cpu.d1QueryMs).toFixed(1)} D1 queries' worth)`, "see §4"]);
  const build = f.cpu.micro.buildIssueMessage;
  const withJson = f.cpu.micro["buildIssueMessage + JSON.stringify"];
  rows.push(["issue card build (buildIssueMessage; + JSON.stringify)", "≤ 50 µs", `${build.toFixed(1)} µs; ${withJson.toFixed(1)} µs`, build <= 50 ? "met" : "not met"]);
  rows.push([
    "warm JWT verification: new token (full check); token seen before",
    "–",
    `${f.cpu.micro["verifyBotToken, new token each call (full check, warm keys)"].toFixed(1)} µs; ${f.cpu.micro["verifyBotToken, token seen before (cached verification)"].toFixed(1)} µs`,
    "",
  ]);
  rows.push(["bundle, minified + gzip", "≤ 100 KB", `${fmt.n(f.bundle.gzip / 1024, 1)} KB`, f.bundle.gzip <= 100 * 1024 ? "met" : "not met"]);
  rows.push(["startup over a one-line worker", "–", `+${fmt.n(f.bundle.ours.p50 - f.bundle.base.p50)} ms (${fmt.ratio(f.bundle.ours.p50, f.bundle.base.p50)})`, ""]);
  return table(["target", "goal", "this run", ""], rows);
}

export function resultsMarkdown(f, { title = "Performance suite results", extra = [] } = {}) {
  const m = f.machine;
  return [
    `# ${title}`,
    "",
    `Run ${m.date} · ${m.cpus} · ${m.memory} RAM · ${m.os} · Node ${m.node} · load before the run ${m.load} · whole suite ${fmt.n(f.seconds)} s.`,
    "",
    "`npm run bench` writes this file. Everything runs on one machine: load generator, worker (Miniflare/workerd with local",
    "D1), botbuilder and the stand-in for Microsoft share the same cores, so absolute figures move from run to run; each",
    "figure has a baseline measured in the same run, and the ratios are what to compare.",
    "",
    "## Targets",
    "",
    ...summary(f),
    "",
    "## 1–2. Inbound: our worker and botbuilder-js, same stand-in, same card",
    "",
    ...inboundMarkdown(f.inbound),
    "",
    "## 3. Outbound token under a burst",
    "",
    ...tokenMarkdown(f.token),
    "",
    "## 4. CPU",
    "",
    ...cpuMarkdown(f.cpu),
    "",
    "## 5. Bundle and startup",
    "",
    ...bundleMarkdown(f.bundle),
    "",
    "## 6. Ingest (issues 2 and 6)",
    "",
    ...ingestMarkdown(f.ingest),
    "",
    ...extra,
  ];
}
