#!/usr/bin/env node
/**
 * `npm run package:teams`: writes dist/teams-app.zip, the app package you upload in Teams ("Upload a custom app")
 * or in the Teams admin center. It holds, at the root of the zip:
 *
 *   manifest.json  Teams app manifest (schema version MANIFEST_VERSION): version from package.json, the bot id
 *                  from MICROSOFT_APP_ID, scopes personal + team, the commands help / link / unlink,
 *                  validDomains = the host of PUBLIC_BASE_URL;
 *   color.png      192×192 full-colour icon;
 *   outline.png    32×32 white-on-transparent icon.
 *
 * The icons are drawn here (an alert mark in a ring) and encoded as PNG with node:zlib; no image library.
 * The zip is reproducible: same inputs, same bytes.
 *
 * Settings, first found wins: the environment, then .dev.vars (or --dev-vars FILE), then [vars] in wrangler.toml.
 *   MICROSOFT_APP_ID   required: the Azure Bot's app id (a GUID)
 *   PUBLIC_BASE_URL    the worker's public https address (validDomains, developer links)
 *   TEAMS_APP_ID       optional: the Teams app's own id (defaults to MICROSOFT_APP_ID, as Microsoft's samples do)
 *
 * Options: --out FILE (default dist/teams-app.zip), --dev-vars FILE.
 * `buildTeamsPackage()` is exported for test/node/teams-package.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deflateSync } from "node:zlib";
import { strToU8, zipSync } from "fflate";
import { readDevVars, readWranglerVars, wranglerConfigPath } from "./lib/local-config.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Newest numbered schema shipped by @microsoft/app-manifest (the package test validates against it). */
export const MANIFEST_VERSION = "1.30";
export const MANIFEST_SCHEMA_URL = `https://developer.microsoft.com/en-us/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`;
export const ACCENT_COLOR = "#5B5FC7";
export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Fixed timestamp for zip entries, so the package's bytes depend only on its contents. */
const ZIP_MTIME = new Date("2026-01-01T00:00:00Z");

// ── settings ────────────────────────────────────────────────────────────────────────────────────────────

/** The settings the package needs, with where each came from (for the printed summary). */
export async function resolveSettings({ env = process.env, devVarsPath = join(ROOT, ".dev.vars"), wranglerPath = wranglerConfigPath(ROOT) } = {}) {
  const sources = [
    ["environment", env],
    [relative(ROOT, devVarsPath) || devVarsPath, readDevVars(devVarsPath)],
    [`${relative(ROOT, wranglerPath) || wranglerPath} vars`, await readWranglerVars(wranglerPath)],
  ];
  const pick = (name) => {
    for (const [source, vars] of sources) {
      const value = vars[name]?.trim();
      if (value) return { value, source };
    }
    return { value: "", source: null };
  };
  return { appId: pick("MICROSOFT_APP_ID"), teamsAppId: pick("TEAMS_APP_ID"), publicBaseUrl: pick("PUBLIC_BASE_URL") };
}

// ── manifest ────────────────────────────────────────────────────────────────────────────────────────────

/** The manifest object; throws an Error whose message says what to fix. */
export function buildManifest({ appId, teamsAppId, publicBaseUrl, version }) {
  if (!appId) {
    throw new Error(
      "MICROSOFT_APP_ID is not set. It is the Azure Bot's app id (docs/deploy.md, steps 3 and 4). Set it for this command " +
        "(MICROSOFT_APP_ID=<guid> npm run package:teams), in .dev.vars, or under [vars] in wrangler.toml.",
    );
  }
  if (!GUID.test(appId)) throw new Error(`MICROSOFT_APP_ID "${appId}" is not a GUID (like 00000000-0000-0000-0000-000000000000).`);
  const id = teamsAppId || appId;
  if (!GUID.test(id)) throw new Error(`TEAMS_APP_ID "${id}" is not a GUID.`);
  if (!publicBaseUrl) {
    throw new Error("PUBLIC_BASE_URL is not set. Set it to the worker's address, e.g. https://teams-issue-alerts.<you>.workers.dev (wrangler.toml [vars]).");
  }
  let base;
  try {
    base = new URL(publicBaseUrl);
  } catch {
    throw new Error(`PUBLIC_BASE_URL "${publicBaseUrl}" is not a URL.`);
  }
  if (!/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(version)) throw new Error(`package.json version "${version}" is not semver (x.y.z).`);
  const site = base.origin;
  return {
    $schema: MANIFEST_SCHEMA_URL,
    manifestVersion: MANIFEST_VERSION,
    version,
    id,
    // Pages the Worker serves (src/routes/web/site.tsx); Teams shows them on the app's details.
    developer: { name: "Issue Alerts", websiteUrl: `${site}/about`, privacyUrl: `${site}/privacy`, termsOfUseUrl: `${site}/terms` },
    name: { short: "Issue Alerts", full: "Issue Alerts for Microsoft Teams" },
    description: {
      short: "Error alerts from your apps as cards you can resolve, ignore and assign.",
      full:
        "Issue Alerts posts a card to a Teams channel when your applications report a new, regressed or " +
        "escalating error. Resolve, ignore or assign the issue from the card; the card updates for everyone. " +
        "Message the bot `link` once to connect your Teams account to your issue tracker account.",
    },
    icons: { color: "color.png", outline: "outline.png" },
    accentColor: ACCENT_COLOR,
    bots: [
      {
        botId: appId,
        scopes: ["personal", "team"],
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [
          {
            scopes: ["personal"],
            commands: [
              { title: "help", description: "What this bot does and how to use it" },
              { title: "link", description: "Link your Teams account to your issue tracker account" },
              { title: "unlink", description: "Unlink your Teams account" },
            ],
          },
          { scopes: ["team"], commands: [{ title: "help", description: "What this bot does in this team" }] },
        ],
      },
    ],
    permissions: ["identity", "messageTeamMembers"],
    validDomains: [base.hostname],
  };
}

// ── icons ───────────────────────────────────────────────────────────────────────────────────────────────

/** Is the point (u, v) of the unit square inside the mark: a ring with an exclamation mark in it. */
function insideMark(u, v) {
  const d = Math.hypot(u - 0.5, v - 0.5);
  if (d >= 0.31 && d <= 0.41) return true;
  // The bar: a capsule around the segment (0.5, 0.3)–(0.5, 0.55).
  const t = Math.min(Math.max(v, 0.3), 0.55);
  if (Math.hypot(u - 0.5, v - t) <= 0.05) return true;
  return Math.hypot(u - 0.5, v - 0.685) <= 0.052;
}

/**
 * Fraction of the pixel (x, y) covered by the mark drawn at `scale` of the icon (centred), from an n×n grid of
 * samples (anti-aliasing).
 */
function coverage(x, y, size, scale = 1, n = 5) {
  let hits = 0;
  const at = (p) => (p / size - 0.5) / scale + 0.5;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (insideMark(at(x + (i + 0.5) / n), at(y + (j + 0.5) / n))) hits++;
    }
  }
  return hits / (n * n);
}

/** Teams' design guidance keeps the colour icon's symbol inside the central 120×120 of its 192×192. */
const COLOR_MARK_SCALE = 0.75;

function hexRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** RGBA pixels of the colour icon: the white mark on the accent colour, opaque. */
export function colorIconPixels(size = COLOR_ICON_SIZE) {
  const [r, g, b] = hexRgb(ACCENT_COLOR);
  const px = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = coverage(x, y, size, COLOR_MARK_SCALE);
      const o = (y * size + x) * 4;
      px[o] = Math.round(r + (255 - r) * c);
      px[o + 1] = Math.round(g + (255 - g) * c);
      px[o + 2] = Math.round(b + (255 - b) * c);
      px[o + 3] = 255;
    }
  }
  return px;
}

/** RGBA pixels of the outline icon: white, the mark's coverage as alpha, transparent elsewhere. */
export function outlineIconPixels(size = OUTLINE_ICON_SIZE) {
  const px = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const a = Math.round(coverage(x, y, size) * 255);
      const o = (y * size + x) * 4;
      // Fully transparent pixels are all zero; visible ones are pure white.
      if (a > 0) px.fill(255, o, o + 3);
      px[o + 3] = a;
    }
  }
  return px;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (8-bit RGBA, no interlace, filter 0 on every row) of `width`×`height` RGBA pixels. */
export function encodePng(width, height, rgba) {
  if (rgba.length !== width * height * 4) throw new Error("encodePng: pixel buffer size does not match");
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ── package ─────────────────────────────────────────────────────────────────────────────────────────────

/** The zip's bytes and the manifest in it. */
export function buildTeamsPackage(settings) {
  const manifest = buildManifest(settings);
  const files = {
    "manifest.json": strToU8(`${JSON.stringify(manifest, null, 2)}\n`),
    "color.png": new Uint8Array(encodePng(COLOR_ICON_SIZE, COLOR_ICON_SIZE, colorIconPixels())),
    "outline.png": new Uint8Array(encodePng(OUTLINE_ICON_SIZE, OUTLINE_ICON_SIZE, outlineIconPixels())),
  };
  const zip = zipSync(files, { level: 9, mtime: ZIP_MTIME });
  return { manifest, zip };
}

function parseArgs(argv) {
  const opts = { out: join(ROOT, "dist", "teams-app.zip"), devVars: join(ROOT, ".dev.vars") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return resolve(v);
    };
    if (a === "--out") opts.out = value();
    else if (a === "--dev-vars") opts.devVars = value();
    else if (a === "--help" || a === "-h") {
      console.log("Usage: npm run package:teams [-- --out FILE] [-- --dev-vars FILE]");
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  return opts;
}

function fail(message) {
  console.error(`package:teams: ${message}`);
  process.exit(1);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const s = await resolveSettings({ devVarsPath: opts.devVars });
  let built;
  try {
    built = buildTeamsPackage({ appId: s.appId.value, teamsAppId: s.teamsAppId.value, publicBaseUrl: s.publicBaseUrl.value, version });
  } catch (err) {
    fail(err.message);
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, built.zip);
  const m = built.manifest;
  console.log(`Wrote ${relative(process.cwd(), opts.out) || opts.out} (${built.zip.length} bytes)`);
  console.log(`  manifest ${m.manifestVersion}, app version ${m.version}, app id ${m.id}`);
  console.log(`  bot id ${m.bots[0].botId} (MICROSOFT_APP_ID from ${s.appId.source})`);
  console.log(`  validDomains ${m.validDomains.join(", ")} (PUBLIC_BASE_URL from ${s.publicBaseUrl.source})`);
  const host = m.validDomains[0];
  if (host === "127.0.0.1" || host === "localhost") {
    console.log(
      "  Note: PUBLIC_BASE_URL points at this machine. For a real tenant set it to the deployed worker's https address " +
        "(wrangler.toml [vars]) and run this again.",
    );
  }
  console.log("Upload it in Teams: Apps → Manage your apps → Upload an app → Upload a custom app (docs/deploy.md).");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
