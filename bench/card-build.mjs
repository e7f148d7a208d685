#!/usr/bin/env node
/**
 * `npm run bench:cards`: issue card build time (µs) and size (bytes), for a small organization (5 members,
 * 3 teams) and a large one (1,000 members, 200 teams), against a baseline measured in the same run:
 * JSON.stringify of a fixed object (the small card, prebuilt). Figures are medians over interleaved rounds,
 * so machine noise hits the subject and the baseline alike; read the ratios, not the absolute µs.
 *
 * Options: --json prints the results as JSON only.
 */
import { performance } from "node:perf_hooks";
import { loadCardModules } from "../scripts/cards-preview.mjs";

const ROUNDS = 31;
const ROUND_MS = 60;

const cards = await loadCardModules();
const { fixtures } = cards;

const smallInput = fixtures.issueInput();
const largeInput = fixtures.LARGE_ORG_INPUT();
const fixedObject = cards.buildIssueCard(smallInput);

/** Calls `fn` repeatedly for about ROUND_MS and returns µs per call. */
function timeRound(fn) {
  let sink = 0;
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ROUND_MS) {
    for (let i = 0; i < 50; i++) sink += typeof fn() === "object" ? 1 : 2;
    calls += 50;
    now = performance.now();
  }
  if (sink === -1) console.log("unreachable");
  return ((now - start) * 1000) / calls;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const subjects = {
  "baseline: JSON.stringify(fixed small card)": () => JSON.stringify(fixedObject),
  "small org: buildIssueCard": () => cards.buildIssueCard(smallInput),
  "small org: buildIssueMessage + JSON.stringify": () => JSON.stringify(cards.buildIssueMessage(smallInput)),
  "1,000 members + 200 teams: buildIssueCard": () => cards.buildIssueCard(largeInput),
  "1,000 members + 200 teams: buildIssueMessage + JSON.stringify": () => JSON.stringify(cards.buildIssueMessage(largeInput)),
};

// Warm up every subject (JIT), then interleave rounds.
for (const fn of Object.values(subjects)) timeRound(fn);
const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(subjects)) samples[name].push(timeRound(fn));
}

const baselineName = Object.keys(subjects)[0];
const baseline = median(samples[baselineName]);
const results = Object.entries(samples).map(([name, xs]) => ({
  name,
  medianMicros: Number(median(xs).toFixed(2)),
  minMicros: Number(Math.min(...xs).toFixed(2)),
  ratioToBaseline: Number((median(xs) / baseline).toFixed(2)),
}));
const sizes = {
  smallCardBytes: cards.jsonByteLength(cards.buildIssueCard(smallInput)),
  smallMessageBytes: cards.jsonByteLength(cards.buildIssueMessage(smallInput)),
  largeCardBytes: cards.jsonByteLength(cards.buildIssueCard(largeInput)),
  largeMessageBytes: cards.jsonByteLength(cards.buildIssueMessage(largeInput)),
  messageLimitBytes: cards.MAX_MESSAGE_BYTES,
};
const environment = { node: process.version, rounds: ROUNDS, roundMs: ROUND_MS };

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ environment, results, sizes }, null, 2));
} else {
  console.log(`Issue card build (node ${process.version}, ${ROUNDS} rounds × ~${ROUND_MS} ms, medians)\n`);
  console.log("| subject | µs/op (median) | µs/op (min) | × baseline |");
  console.log("|---|---:|---:|---:|");
  for (const r of results) console.log(`| ${r.name} | ${r.medianMicros} | ${r.minMicros} | ${r.ratioToBaseline} |`);
  console.log("\n| size | bytes |");
  console.log("|---|---:|");
  for (const [k, v] of Object.entries(sizes)) console.log(`| ${k} | ${v.toLocaleString("en-US")} |`);
}
