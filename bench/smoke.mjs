#!/usr/bin/env node
/**
 * `npm run bench:smoke`: every part of the suite at a small size (< 60 s), so CI notices when the bench rots.
 * No thresholds are asserted. Prints the results markdown; `--json <file>` also writes the raw figures.
 */
import { writeFile } from "node:fs/promises";
import { resultsMarkdown, runSuite, SMOKE } from "./lib/suite.mjs";

const figures = await runSuite(SMOKE, (line) => console.error(line));
const at = process.argv.indexOf("--json");
if (at > 0 && process.argv[at + 1]) await writeFile(process.argv[at + 1], JSON.stringify(figures));
console.log(resultsMarkdown(figures, { title: "Performance suite smoke run (small sizes, figures not comparable)" }).join("\n"));
