#!/usr/bin/env node
/**
 * `npm start`: everything a fresh clone needs to run the worker locally, no Cloudflare or Microsoft account.
 *
 *   1. creates .dev.vars (gitignored) with a random ADMIN_TOKEN and LINK_SIGNING_SECRET if it is missing;
 *   2. applies the D1 migrations to the local database;
 *   3. seeds a demo organization, admin user and project (with an ingest key) when no organization exists;
 *   4. prints how to use them (tokens, DSN, curl commands);
 *   5. runs `wrangler dev` on 127.0.0.1:8787 until Ctrl-C.
 *
 * Options:
 *   --no-dev            steps 1-4 only, then exit (CI, tests)
 *   --print-env         print `export NAME=value` lines for docs/api.md's examples, nothing else; writes nothing
 *   --persist-to DIR    local D1/KV state directory (default: wrangler's .wrangler/state)
 *   --dev-vars FILE     secrets file (default: .dev.vars next to wrangler.toml)
 *   --port N            port for wrangler dev (default 8787)
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "wrangler.cmd" : "wrangler");
const DEFAULT_PORT = 8787;
const DEMO = {
  orgName: "Demo",
  orgSlug: "demo",
  adminEmail: "admin@example.com",
  adminName: "Demo Admin",
  projectSlug: "demo",
  projectName: "Demo project",
  shortIdPrefix: "DEMO",
};

// Offline by default: no request.cf fetch, no metrics (see the toolchain notes).
const childEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

const USAGE = `Usage: node scripts/start.mjs [--no-dev] [--print-env] [--persist-to DIR] [--dev-vars FILE] [--port N]
  --no-dev          set up and seed, print how to use it, then exit (no wrangler dev)
  --print-env       print export lines for docs/api.md (BASE, ADMIN_TOKEN, ORG_ID, PROJECT_ID, INGEST_KEY)
  --persist-to DIR  local D1/KV state directory (default .wrangler/state)
  --dev-vars FILE   secrets file (default .dev.vars)
  --port N          wrangler dev port (default 8787)`;

function parseArgs(argv) {
  const opts = { dev: true, printEnv: false, persistTo: undefined, devVars: undefined, port: DEFAULT_PORT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--no-dev") opts.dev = false;
    else if (a === "--print-env") opts.printEnv = true;
    else if (a === "--persist-to") opts.persistTo = resolve(value());
    else if (a === "--dev-vars") opts.devVars = resolve(value());
    else if (a === "--port") {
      opts.port = Number(value());
      if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) fail("--port must be 1-65535");
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  return opts;
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
const devVarsPath = opts.devVars ?? join(ROOT, ".dev.vars");
const persistArgs = opts.persistTo ? ["--persist-to", opts.persistTo] : [];
const baseUrl = `http://127.0.0.1:${opts.port}`;

/** Runs wrangler to completion with output captured; stdin closed so it never prompts. */
function wrangler(args, { allowFail = false } = {}) {
  const r = spawnSync(WRANGLER, args, { cwd: ROOT, env: childEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) fail(`could not run wrangler (${r.error.message}); did \`npm install\` finish?`);
  if (r.status !== 0 && !allowFail) {
    process.stderr.write(r.stdout + r.stderr);
    fail(`\`wrangler ${args.slice(0, 3).join(" ")}\` failed (exit ${r.status})`);
  }
  return r;
}

/** Rows of one SQL statement against the local D1. */
function query(sql, { allowFail = false } = {}) {
  const r = wrangler(["d1", "execute", "DB", "--local", ...persistArgs, "--json", "--command", sql], { allowFail });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout)[0].results;
  } catch {
    fail(`unexpected output from wrangler d1 execute: ${r.stdout.slice(0, 200)}`);
  }
}

function sqlString(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** KEY=VALUE lines of a dotenv file (comments and blank lines skipped, surrounding quotes removed). */
function readDevVars(path) {
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/** Step 1: secrets for local runs. An existing file is kept; only missing required secrets are appended. */
function ensureDevVars() {
  const secret = () => randomBytes(32).toString("base64url");
  if (!existsSync(devVarsPath)) {
    writeFileSync(
      devVarsPath,
      [
        "# Secrets for local runs (`npm start` / `wrangler dev`). Created by scripts/start.mjs; gitignored: never commit it.",
        "",
        "# Bearer token for /api/admin (in production: wrangler secret put ADMIN_TOKEN).",
        `ADMIN_TOKEN=${secret()}`,
        "",
        "# HMAC key for the signed setup / link / unlink URLs (in production: wrangler secret put LINK_SIGNING_SECRET).",
        `LINK_SIGNING_SECRET=${secret()}`,
        "",
        "# Microsoft Teams bot credentials: not needed to start, needed to talk to Teams. Take them from your Azure Bot",
        "# resource (Configuration: Microsoft App ID; Manage Password: a client secret), uncomment, and restart.",
        "# MICROSOFT_APP_ID=00000000-0000-0000-0000-000000000000",
        "# MICROSOFT_APP_PASSWORD=your-client-secret-value",
        "# Only for single-tenant bots:",
        "# MICROSOFT_APP_TENANT_ID=00000000-0000-0000-0000-000000000000",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    console.log(`Created ${devVarsPath} with a random ADMIN_TOKEN and LINK_SIGNING_SECRET.`);
    return;
  }
  const vars = readDevVars(devVarsPath);
  for (const name of ["ADMIN_TOKEN", "LINK_SIGNING_SECRET"]) {
    if (!vars[name]) {
      appendFileSync(devVarsPath, `\n# Added by npm start\n${name}=${secret()}\n`);
      console.log(`Added a random ${name} to ${devVarsPath}.`);
    }
  }
}

/** Step 2. */
function applyMigrations() {
  wrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs]);
  console.log("Local D1 migrations applied.");
}

const STATE_SQL = `select
  (select count(*) from organizations) as orgs,
  p.id as projectId, o.id as orgId, k.public_key as publicKey
from projects p
join organizations o on o.id = p.organization_id
join project_keys k on k.project_id = p.id and k.revoked_at is null
order by p.id, k.id desc limit 1`;

/** The first project with a live key (what the printed examples use), and whether any organization exists. */
function readState({ allowFail = false } = {}) {
  const rows = query(STATE_SQL, { allowFail });
  if (rows === null) return null;
  if (rows.length) return rows[0];
  const [{ n }] = query("select count(*) as n from organizations");
  return { orgs: n };
}

/** Step 3: one SQL file, so the demo rows land together; ids are looked up by their unique slugs / email. */
function seed() {
  const now = Date.now();
  const publicKey = randomBytes(16).toString("hex");
  const sql = `
INSERT INTO organizations (name, slug, auto_link_by_email, created_at) VALUES (${sqlString(DEMO.orgName)}, ${sqlString(DEMO.orgSlug)}, 0, ${now});
INSERT INTO users (email, name, notify_on_assign, created_at) VALUES (${sqlString(DEMO.adminEmail)}, ${sqlString(DEMO.adminName)}, 1, ${now})
  ON CONFLICT(email) DO NOTHING;
INSERT INTO memberships (organization_id, user_id, role, created_at)
  SELECT o.id, u.id, 'admin', ${now} FROM organizations o, users u WHERE o.slug = ${sqlString(DEMO.orgSlug)} AND u.email = ${sqlString(DEMO.adminEmail)};
INSERT INTO projects (organization_id, slug, name, short_id_prefix, created_at)
  SELECT id, ${sqlString(DEMO.projectSlug)}, ${sqlString(DEMO.projectName)}, ${sqlString(DEMO.shortIdPrefix)}, ${now} FROM organizations WHERE slug = ${sqlString(DEMO.orgSlug)};
INSERT INTO project_keys (project_id, public_key, label, created_at)
  SELECT p.id, ${sqlString(publicKey)}, 'default', ${now} FROM projects p JOIN organizations o ON o.id = p.organization_id
  WHERE o.slug = ${sqlString(DEMO.orgSlug)} AND p.slug = ${sqlString(DEMO.projectSlug)};
`;
  const dir = mkdtempSync(join(tmpdir(), "teams-alerts-seed-"));
  const file = join(dir, "seed.sql");
  try {
    writeFileSync(file, sql);
    wrangler(["d1", "execute", "DB", "--local", ...persistArgs, "--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `Seeded a demo organization '${DEMO.orgSlug}', admin user ${DEMO.adminEmail} and project '${DEMO.projectSlug}' (with an ingest key).`,
  );
}

function envLines(vars, state) {
  const lines = [`export BASE=${baseUrl}`, `export ADMIN_TOKEN=${vars.ADMIN_TOKEN ?? ""}`];
  if (state?.projectId) {
    lines.push(
      `export ORG_ID=${state.orgId}`,
      `export PROJECT_ID=${state.projectId}`,
      `export INGEST_KEY=${state.publicKey}`,
    );
  }
  return lines;
}

/** Step 4. */
function printUsage(vars, state) {
  const out = [];
  out.push("", "──────────────────────────────────────────────────────────────────────────────");
  out.push(`Local worker: ${baseUrl}   (admin API: ${baseUrl}/api/admin, docs: docs/api.md)`);
  out.push("", "In another shell, set these (or: eval \"$(node scripts/start.mjs --print-env)\"):", "");
  for (const l of envLines(vars, state)) out.push(`  ${l}`);
  if (state?.projectId) {
    out.push("", `DSN for Sentry SDKs: http://${state.publicKey}@127.0.0.1:${opts.port}/${state.projectId}`);
    out.push("", "Send an event:", "");
    out.push(
      `  curl -sS -X POST "$BASE/api/projects/$PROJECT_ID/events" \\`,
      `    -H "Authorization: Bearer $INGEST_KEY" -H "Content-Type: application/json" \\`,
      `    -d '{"message": "Hello from curl", "level": "error"}'`,
    );
    out.push("", "List issues:", "");
    out.push(`  curl -sS "$BASE/api/admin/issues?project=$PROJECT_ID" -H "Authorization: Bearer $ADMIN_TOKEN"`);
  } else {
    out.push(
      "",
      "No project with a live ingest key: create one with POST /api/admin/organizations/{orgId}/projects (docs/api.md).",
    );
  }
  if (!vars.MICROSOFT_APP_ID || !vars.MICROSOFT_APP_PASSWORD) {
    out.push(
      "",
      "Teams is not configured (optional for local work): to talk to Teams, set MICROSOFT_APP_ID and",
      `MICROSOFT_APP_PASSWORD in ${devVarsPath} (the commented lines there say where they come from), then restart.`,
    );
  }
  out.push("──────────────────────────────────────────────────────────────────────────────", "");
  console.log(out.join("\n"));
}

/** Step 5: wrangler dev in the foreground; Ctrl-C / SIGTERM go to it, and we exit with its status. */
function runDev() {
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(opts.port), ...persistArgs];
  if (opts.devVars) args.push("--env-file", devVarsPath);
  // Links and DSNs follow the port actually served.
  if (opts.port !== DEFAULT_PORT) args.push("--var", `PUBLIC_BASE_URL:${baseUrl}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: childEnv, stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      if (child.exitCode === null) child.kill(sig);
    });
  }
  child.on("error", (err) => fail(`could not start wrangler dev (${err.message})`));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

if (opts.printEnv) {
  const state = readState({ allowFail: true });
  if (state === null) fail("the local database is not set up yet: run `npm start` first");
  console.log(envLines(readDevVars(devVarsPath), state).join("\n"));
  process.exit(0);
}

ensureDevVars();
applyMigrations();
let state = readState();
if (state.orgs === 0) {
  seed();
  state = readState();
} else {
  console.log("Organizations exist already: not seeding.");
}
printUsage(readDevVars(devVarsPath), state);
if (opts.dev) runDev();
