#!/usr/bin/env node
/**
 * `npm run cards:preview`: writes dist/cards-preview.html, a page that renders every sample card (the same
 * state matrix the unit tests check, test/unit/cards/fixtures.ts) with the official `adaptivecards` renderer,
 * so people can look at them. Offline: the renderer is copied next to the page, nothing is fetched.
 *
 * One section per card kind: the first sample of the kind is shown, its other variants (the issue card has
 * dozens) are rendered under a closed "more variants" disclosure. Cards are laid out at TEAMS_CARD_WIDTH.
 *
 * The page records, per card, whether parsing and rendering succeeded in `window.cardPreviewResults`
 * (test/node/cards-preview.test.ts opens it in headless Chromium and checks that).
 *
 * Also exports `loadCardModules()` (the card builders and fixtures bundled with esbuild, for Node 20, which
 * cannot import TypeScript) for bench/card-build.mjs.
 */
import { build } from "esbuild";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles the card builders + fixtures into one ES module and imports it. */
export async function loadCardModules() {
  const entry = [
    'export * from "./src/cards/issue-card.ts";',
    'export * from "./src/cards/conversation-cards.ts";',
    'export * from "./src/cards/message.ts";',
    'export * from "./src/cards/card-size.ts";',
    'export * as fixtures from "./test/unit/cards/fixtures.ts";',
  ].join("\n");
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: "ts", sourcefile: "cards-entry.ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** The scripts a preview page loads next to it: the official renderer and Teams' look for it. */
export async function copyRendererScripts(outDir) {
  await mkdir(outDir, { recursive: true });
  await copyFile(join(root, "node_modules/adaptivecards/dist/adaptivecards.min.js"), join(outDir, "adaptivecards.min.js"));
  await copyFile(join(root, "scripts/lib/teams-card-look.js"), join(outDir, "teams-card-look.js"));
}

/** Writes the preview page; returns its path. */
export async function writePreview(outDir = join(root, "dist")) {
  const cards = await loadCardModules();
  const samples = cards.fixtures.previewSamples().map((s) => ({
    kind: s.kind,
    name: s.name,
    bytes: cards.jsonByteLength(s.card),
    card: s.card,
  }));
  await copyRendererScripts(outDir);
  const htmlPath = join(outDir, "cards-preview.html");
  await writeFile(htmlPath, page(samples));
  return htmlPath;
}

/** JSON for a <script> element: `<` escaped so no text can close the element. */
function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * The width each card is rendered at: a Teams channel post on a laptop-sized desktop window (Teams decides the
 * real width; full-width cards get the whole message column, a phone in portrait gives them ~360 px).
 */
export const TEAMS_CARD_WIDTH = 480;

function page(samples) {
  const kinds = new Set(samples.map((s) => s.kind)).size;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Card preview</title>
<style>
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f5f5f5; margin: 24px; color: #242424; }
  h1 { font-size: 20px; }
  h2 { font-size: 16px; margin: 28px 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, ${TEAMS_CARD_WIDTH}px); gap: 20px; align-items: start; }
  figure { margin: 0; background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px; width: ${TEAMS_CARD_WIDTH}px; box-sizing: border-box; }
  figcaption { font-size: 12px; color: #616161; margin-bottom: 8px; }
  details { margin-top: 12px; }
  summary { cursor: pointer; color: #5b5fc7; font-size: 14px; margin-bottom: 12px; }
  .error { color: #c4314b; font-weight: 600; }
  /* The renderer gives a text block's first child width:100%; a list's indent must fit inside it, as in Teams. */
  .ac-textBlock ul { box-sizing: border-box; padding-left: 20px; }
</style>
</head>
<body>
<h1>Adaptive Cards preview (${kinds} kinds of card, ${samples.length} samples)</h1>
<p>Rendered ${TEAMS_CARD_WIDTH} px wide with the adaptivecards JS renderer and a minimal markdown step
approximating Teams (bold, italic, links, lists, backslash escapes). Dates use the renderer's DATE/TIME functions.
Each section shows one card of its kind; open "more variants" for the others.</p>
<main id="cards"></main>
<script src="adaptivecards.min.js"></script>
<script src="teams-card-look.js"></script>
<script id="samples" type="application/json">${scriptJson(samples)}</script>
<script>(${previewClient.toString()})();</script>
</body>
</html>
`;
}

/**
 * Runs in the page (serialised with toString, so it is plain browser JavaScript): renders every sample and
 * records the outcome in `window.cardPreviewResults`.
 */
function previewClient() {
  const AC = window.AdaptiveCards;
  const samples = JSON.parse(document.getElementById("samples").textContent);
  const results = [];

  // Teams' look for the renderer (host config, markdown, ChoiceSet titles): scripts/lib/teams-card-look.js.
  const hostConfig = window.TeamsCardLook.hostConfig;

  // One section per kind: the first sample in view, the other variants in a closed <details>.
  const main = document.getElementById("cards");
  const sections = new Map();
  const gridFor = (kind) => {
    let section = sections.get(kind);
    if (!section) {
      const element = document.createElement("section");
      const title = document.createElement("h2");
      element.appendChild(title);
      const shown = document.createElement("div");
      shown.className = "grid";
      element.appendChild(shown);
      main.appendChild(element);
      section = { element, title, shown, more: null, count: 0 };
      sections.set(kind, section);
    }
    section.count += 1;
    section.title.textContent = section.count === 1 ? kind : `${kind} (${section.count} variants)`;
    if (section.count === 1) return section.shown;
    if (!section.more) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      details.appendChild(summary);
      const grid = document.createElement("div");
      grid.className = "grid";
      details.appendChild(grid);
      section.element.appendChild(details);
      section.more = { summary, grid };
    }
    section.more.summary.textContent = `${section.count - 1} more variant${section.count === 2 ? "" : "s"}`;
    return section.more.grid;
  };

  samples.forEach((sample, index) => {
    const figure = document.createElement("figure");
    figure.setAttribute("data-card-index", String(index));
    const caption = document.createElement("figcaption");
    caption.textContent = `${sample.name} — ${sample.bytes.toLocaleString("en-US")} bytes`;
    figure.appendChild(caption);
    gridFor(sample.kind).appendChild(figure);
    const errors = [];
    try {
      const card = new AC.AdaptiveCard();
      card.hostConfig = hostConfig;
      const context = new AC.SerializationContext();
      card.parse(sample.card, context);
      for (let i = 0; i < context.eventCount; i++) errors.push(`parse: ${context.getEventAt(i).message}`);
      const validation = card.validateProperties();
      for (const event of validation.validationEvents) errors.push(`validate: ${event.message}`);
      card.onExecuteAction = (action) => {
        console.log("action", action.getJsonTypeName(), JSON.stringify(action.data ?? action.url ?? null));
      };
      const element = card.render();
      if (element) {
        figure.appendChild(element);
      }
      else errors.push("render: nothing rendered");
    } catch (e) {
      errors.push(`render: ${e && e.message ? e.message : String(e)}`);
    }
    if (errors.length > 0) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = errors.join("; ");
      figure.appendChild(p);
    }
    results.push({ kind: sample.kind, name: sample.name, ok: errors.length === 0, errors });
  });
  window.cardPreviewResults = results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = await writePreview();
  console.log(`wrote ${path}`);
}
export { page as previewPage };
