#!/usr/bin/env node
/**
 * `npm run cards:preview`: writes dist/cards-preview.html, a page that renders every sample card (the same
 * state matrix the unit tests check, test/unit/cards/fixtures.ts) with the official `adaptivecards` renderer,
 * so people can look at them. Offline: the renderer is copied next to the page, nothing is fetched.
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

/** Writes the preview page; returns its path. */
export async function writePreview(outDir = join(root, "dist")) {
  const cards = await loadCardModules();
  const samples = cards.fixtures.previewSamples().map((s) => ({
    name: s.name,
    bytes: cards.jsonByteLength(s.card),
    card: s.card,
  }));
  await mkdir(outDir, { recursive: true });
  await copyFile(join(root, "node_modules/adaptivecards/dist/adaptivecards.min.js"), join(outDir, "adaptivecards.min.js"));
  const htmlPath = join(outDir, "cards-preview.html");
  await writeFile(htmlPath, page(samples));
  return htmlPath;
}

/** JSON for a <script> element: `<` escaped so no text can close the element. */
function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function page(samples) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Card preview</title>
<style>
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f5f5f5; margin: 24px; color: #242424; }
  h1 { font-size: 20px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 20px; align-items: start; }
  figure { margin: 0; background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px; }
  figcaption { font-size: 12px; color: #616161; margin-bottom: 8px; }
  .error { color: #c4314b; font-weight: 600; }
</style>
</head>
<body>
<h1>Adaptive Cards preview (${samples.length} cards)</h1>
<p>Rendered with the adaptivecards JS renderer and a minimal markdown step approximating Teams (bold, italic,
links, lists, backslash escapes). Dates use the renderer's DATE/TIME functions.</p>
<div class="grid" id="cards"></div>
<script src="adaptivecards.min.js"></script>
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

  // The Teams markdown subset, enough to see what readers see: escapes, **bold**, _italic_, [text](url), lists.
  const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const inline = (text) => {
    const escaped = [];
    let s = text.replace(/\\([\\`*_~[\]()#+\-.!>|{}])/g, (_, c) => {
      escaped.push(c);
      return `\u0000${escaped.length - 1}\u0000`;
    });
    s = escapeHtml(s);
    s = s.replace(/\[([^\]]*)\]\((https?:[^)\s]*)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>');
    s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    s = s.replace(/(^|[^\w])_([^_]+)_(?!\w)/g, "$1<em>$2</em>");
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => escapeHtml(escaped[Number(i)]));
  };
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length > 1 && lines.every((l) => /^- /.test(l) || l === "")) {
      result.outputHtml = `<ul>${lines.filter(Boolean).map((l) => `<li>${inline(l.slice(2))}</li>`).join("")}</ul>`;
    } else {
      result.outputHtml = `<p>${lines.map(inline).join("<br>")}</p>`;
    }
    result.didProcess = true;
  };

  // Tinted container styles roughly like Teams' light theme, so the status colours show.
  const tint = (backgroundColor) => ({ backgroundColor });
  const hostConfig = new AC.HostConfig({
    fontFamily: "Segoe UI, system-ui, sans-serif",
    supportsInteractivity: true,
    containerStyles: {
      emphasis: tint("#F5F5F5"),
      good: tint("#F1FAF1"),
      attention: tint("#FDF3F4"),
      warning: tint("#FFF9F5"),
    },
  });
  const grid = document.getElementById("cards");
  samples.forEach((sample, index) => {
    const figure = document.createElement("figure");
    figure.setAttribute("data-card-index", String(index));
    const caption = document.createElement("figcaption");
    caption.textContent = `${sample.name} — ${sample.bytes.toLocaleString("en-US")} bytes`;
    figure.appendChild(caption);
    grid.appendChild(figure);
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
      if (element) figure.appendChild(element);
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
    results.push({ name: sample.name, ok: errors.length === 0, errors });
  });
  window.cardPreviewResults = results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = await writePreview();
  console.log(`wrote ${path}`);
}
export { page as previewPage };
