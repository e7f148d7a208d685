#!/usr/bin/env node
/**
 * `npm run bench`: the whole performance suite (issue 9), ~4 minutes. Writes bench/RESULTS.md (machine, date,
 * every figure, each ratio against a baseline measured in the same run) and bench/results/suite.json (raw
 * figures). The record of fixes and their before/after (bench/lib/fixes.md) is appended to RESULTS.md.
 * `node bench/run-all.mjs --from-json` rewrites RESULTS.md from bench/results/suite.json without measuring.
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "./lib/common.mjs";
import { FULL, resultsMarkdown, runSuite } from "./lib/suite.mjs";

// `--from-json`: rewrite RESULTS.md from the last run's raw figures (e.g. after editing fixes.md), without re-running.
const figures = process.argv.includes("--from-json")
  ? JSON.parse(await readFile(path.join(ROOT, "bench/results/suite.json"), "utf8"))
  : await runSuite(FULL, (line) => console.error(line));
const fixes = await readFile(path.join(ROOT, "bench/lib/fixes.md"), "utf8").catch(() => "");
const markdown = resultsMarkdown(figures, { extra: fixes ? [fixes.trim(), ""] : [] }).join("\n");
await writeFile(path.join(ROOT, "bench/RESULTS.md"), markdown);
if (!process.argv.includes("--from-json")) {
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/suite.json"), JSON.stringify(figures, null, 2));
}
console.log(markdown);
