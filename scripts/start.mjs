#!/usr/bin/env node
/**
 * `npm start`: everything a fresh clone needs to run the worker locally, no Cloudflare or Microsoft account.
 *
 *   0. checks that the ports are free (before printing anything else);
 *   1. creates .dev.vars (gitignored) with a random ADMIN_TOKEN and LINK_SIGNING_SECRET if it is missing;
 *   2. applies the D1 migrations to the local database (skipped when the ones it applied last time are all there);
 *   3. seeds a demo organization, admin user and project (with an ingest key) when no organization exists, and
 *      reads what to print, in one wrangler run;
 *   4. starts the local Microsoft stand-in with the Teams playground (scripts/dev-standin) on the next port;
 *   5. prints how to use them (addresses, tokens, DSN, curl commands, the first five minutes);
 *   6. runs `wrangler dev` on 127.0.0.1:8787 until Ctrl-C (started while steps 2 and 3 run, as it boots meanwhile),
 *      pointed at the stand-in: MICROSOFT_APP_ID, BOT_OPENID_METADATA_URL, BOT_TOKEN_URL and SIGN_IN_METADATA_URL
 *      by --var, the app password in an env file next to the stand-in's state. Same code paths as with Microsoft;
 *      only the URLs differ.
 *
 * The stand-in keeps its keys and conversations in <state>/playground, next to the local D1 and KV, so both
 * survive restarts and go together when the state directory is removed.
 *
 * Options:
 *   --no-dev            steps 0-3 and 5 only (no stand-in), then exit (CI, tests)
 *   --no-playground     no stand-in: the worker talks to Microsoft with the credentials in .dev.vars
 *   --print-env         print `export NAME=value` lines for docs/api.md's examples, nothing else; writes nothing
 *   --persist-to DIR    local D1/KV state directory (default: wrangler's .wrangler/state)
 *   --dev-vars FILE     secrets file (default: .dev.vars next to wrangler.toml)
 *   --port N            port for wrangler dev (default 8787); the playground takes the next one
 *   --playground-port N port for the stand-in and its playground (default: --port + 1)
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readDevVars } from "./lib/local-config.mjs";
import { isPortFree } from "./lib/ports.mjs";

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

// Offline by default: no request.cf fetch, no metrics (nothing leaves 127.0.0.1).
const childEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

const USAGE = `Usage: npm start [-- --port N] [-- --no-playground] [-- --no-dev] [-- --print-env] [-- --persist-to DIR] [-- --dev-vars FILE]
  --port N             wrangler dev port (default 8787); the playground takes N+1
  --playground-port N  port of the Microsoft stand-in and its playground (default: --port + 1)
  --no-playground      no stand-in: the worker talks to Microsoft with the credentials in .dev.vars
  --no-dev             set up and seed, print how to use it, then exit (no wrangler dev, no stand-in)
  --print-env          print export lines for docs/api.md (BASE, ADMIN_TOKEN, ORG_ID, PROJECT_ID, INGEST_KEY)
  --persist-to DIR     local D1/KV state directory (default .wrangler/state)
  --dev-vars FILE      secrets file (default .dev.vars)`;

function portValue(name, raw) {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be 1-65535`);
  return port;
}

function parseArgs(argv) {
  const opts = { dev: true, playground: true, printEnv: false, persistTo: undefined, devVars: undefined, port: DEFAULT_PORT, playgroundPort: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--no-dev") opts.dev = false;
    else if (a === "--no-playground") opts.playground = false;
    else if (a === "--playground-port") opts.playgroundPort = portValue(a, value());
    else if (a === "--print-env") opts.printEnv = true;
    else if (a === "--persist-to") opts.persistTo = resolve(value());
    else if (a === "--dev-vars") opts.devVars = resolve(value());
    else if (a === "--port") opts.port = portValue(a, value());
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  opts.playgroundPort ??= opts.port === 65535 ? opts.port - 1 : opts.port + 1;
  if (opts.playgroundPort === opts.port) fail("--playground-port must differ from --port");
  return opts;
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
const devVarsPath = opts.devVars ?? join(ROOT, ".dev.vars");
const persistArgs = opts.persistTo ? ["--persist-to", opts.persistTo] : [];
const stateDir = opts.persistTo ?? join(ROOT, ".wrangler", "state");
const playgroundDir = join(stateDir, "playground");
const baseUrl = `http://127.0.0.1:${opts.port}`;

/**
 * Runs wrangler to completion with output captured; stdin closed so it never prompts. Asynchronous, so a wrangler
 * run (seconds, mostly Node loading wrangler) overlaps with `wrangler dev` booting.
 */
async function wrangler(args, { allowFail = false } = {}) {
  const r = await new Promise((done) => {
    const child = spawn(WRANGLER, args, { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", (error) => done({ error }));
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
  if (r.error) fail(`could not run wrangler (${r.error.message}); did \`npm install\` finish?`);
  if (r.status !== 0 && !allowFail) {
    process.stderr.write(r.stdout + r.stderr);
    fail(`\`wrangler ${args.slice(0, 3).join(" ")}\` failed (exit ${r.status})`);
  }
  return r;
}

/** The result sets (rows) of `;`-separated statements against the local D1, in one wrangler run (each run costs seconds). */
async function query(sql, { allowFail = false } = {}) {
  const r = await wrangler(["d1", "execute", "DB", "--local", ...persistArgs, "--json", "--command", sql], { allowFail });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout).map((set) => set.results);
  } catch {
    fail(`unexpected output from wrangler d1 execute: ${r.stdout.slice(0, 200)}`);
  }
}

function sqlString(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
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

/**
 * Step 2. `wrangler d1 migrations apply` takes seconds even with nothing to do, so the names it applied are noted
 * next to the local state, and it runs only when migrations/ holds others (or the local D1 is new).
 */
const MIGRATIONS_DIR = join(ROOT, "migrations");
const migrationsNote = join(stateDir, "npm-start-migrations.json");

function migrationFiles() {
  return readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).sort();
}

function migrationsUpToDate() {
  if (!existsSync(join(stateDir, "v3", "d1")) || !existsSync(migrationsNote)) return false;
  try {
    return JSON.stringify(JSON.parse(readFileSync(migrationsNote, "utf8")).applied) === JSON.stringify(migrationFiles());
  } catch {
    return false;
  }
}

async function applyMigrations() {
  if (migrationsUpToDate()) {
    console.log("Local D1 migrations: up to date.");
    return;
  }
  await wrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs]);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(migrationsNote, `${JSON.stringify({ applied: migrationFiles() })}\n`);
  console.log("Local D1 migrations applied.");
}

const STATE_SQL = `select count(*) as orgs from organizations;
select
  p.id as projectId, o.id as orgId, o.slug as orgSlug, k.public_key as publicKey,
  (select u.id from memberships m join users u on u.id = m.user_id where m.organization_id = o.id and m.role = 'admin' order by u.id limit 1) as adminUserId,
  (select u.name from memberships m join users u on u.id = m.user_id where m.organization_id = o.id and m.role = 'admin' order by u.id limit 1) as adminUserName
from projects p
join organizations o on o.id = p.organization_id
join project_keys k on k.project_id = p.id and k.revoked_at is null
order by p.id, k.id desc limit 1`;

/**
 * Step 3 (with `seed`): the demo rows when no organization exists, and in the same wrangler run the state: the
 * first project with a live key (what the printed examples use) and how many organizations exist. Each seed
 * statement only acts on the organization it just created (matched by slug and this run's timestamp), so on an
 * existing database they change nothing.
 */
async function readState({ seed = false, allowFail = false } = {}) {
  const now = Date.now();
  const publicKey = randomBytes(16).toString("hex");
  const org = sqlString(DEMO.orgSlug);
  const justCreated = `SELECT 1 FROM organizations WHERE slug = ${org} AND created_at = ${now}`;
  const seedSql = `
INSERT INTO organizations (name, slug, auto_link_by_email, created_at)
  SELECT ${sqlString(DEMO.orgName)}, ${org}, 0, ${now} WHERE NOT EXISTS (SELECT 1 FROM organizations);
INSERT INTO users (email, name, notify_on_assign, created_at)
  SELECT ${sqlString(DEMO.adminEmail)}, ${sqlString(DEMO.adminName)}, 1, ${now} WHERE EXISTS (${justCreated})
  ON CONFLICT(email) DO NOTHING;
INSERT INTO memberships (organization_id, user_id, role, created_at)
  SELECT o.id, u.id, 'admin', ${now} FROM organizations o, users u
  WHERE o.slug = ${org} AND o.created_at = ${now} AND u.email = ${sqlString(DEMO.adminEmail)};
INSERT INTO projects (organization_id, slug, name, short_id_prefix, created_at)
  SELECT id, ${sqlString(DEMO.projectSlug)}, ${sqlString(DEMO.projectName)}, ${sqlString(DEMO.shortIdPrefix)}, ${now} FROM organizations
  WHERE slug = ${org} AND created_at = ${now};
INSERT INTO project_keys (project_id, public_key, label, created_at)
  SELECT p.id, ${sqlString(publicKey)}, 'default', ${now} FROM projects p JOIN organizations o ON o.id = p.organization_id
  WHERE o.slug = ${org} AND o.created_at = ${now} AND p.slug = ${sqlString(DEMO.projectSlug)};
SELECT count(*) AS seeded FROM organizations WHERE slug = ${org} AND created_at = ${now};
`;
  const sets = await query(`${seed ? seedSql : ""}${STATE_SQL}`, { allowFail });
  if (sets === null) return null;
  const [[{ orgs }], rows] = sets.slice(-2);
  if (seed) {
    const [{ seeded }] = sets.at(-3);
    console.log(
      seeded
        ? `Seeded a demo organization '${DEMO.orgSlug}', admin user ${DEMO.adminEmail} and project '${DEMO.projectSlug}' (with an ingest key).`
        : "Organizations exist already: not seeding.",
    );
  }
  return { orgs, ...(rows[0] ?? {}) };
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

/**
 * Step 4: the stand-in's bot registration (an app id and password made up once and kept in <state>/playground),
 * and the stand-in itself on 127.0.0.1:<playground port>.
 */
async function startStandIn() {
  const { startMicrosoftStandIn } = await import("./dev-standin/server.mjs");
  mkdirSync(playgroundDir, { recursive: true });
  const botFile = join(playgroundDir, "bot.json");
  let bot;
  if (existsSync(botFile)) bot = JSON.parse(readFileSync(botFile, "utf8"));
  else {
    bot = { appId: randomUUID(), appPassword: randomBytes(24).toString("base64url") };
    writeFileSync(botFile, JSON.stringify(bot), { mode: 0o600 });
  }
  // The worker reads the password from an env file (not the command line, which `ps` shows).
  const workerVars = join(playgroundDir, "worker.vars");
  writeFileSync(workerVars, `# Written by npm start for the playground: the stand-in's bot password.\nMICROSOFT_APP_PASSWORD=${bot.appPassword}\n`, { mode: 0o600 });
  const standIn = await startMicrosoftStandIn({ ...bot, port: opts.playgroundPort, stateDir: playgroundDir, workerUrl: baseUrl, playground: true });
  return { standIn, bot, workerVars };
}

/** Step 5. */
function printUsage(vars, state, playground) {
  const out = [];
  const rule = "──────────────────────────────────────────────────────────────────────────────";
  out.push("", rule);
  out.push(`Local worker: ${baseUrl}   (admin API: ${baseUrl}/api/admin, docs: docs/api.md)`);
  if (playground) {
    const s = playground.standIn;
    out.push(
      "",
      `Teams playground: ${s.playgroundUrl}   ← open it in a browser (no Microsoft account: a local stand-in)`,
      `  Bot Framework keys  ${s.metadataUrl}`,
      `  token endpoint      ${s.tokenUrl}`,
      `  Bot Connector       ${s.serviceUrl}`,
      `  sign-in authority   ${s.signInMetadataUrl}`,
      `  The worker is pointed at it exactly as it would be at Microsoft (bot app id ${playground.bot.appId}).`,
    );
  }
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
  if (playground) {
    out.push(
      "",
      "The first five minutes (the playground's \"Getting started\" has the same steps, with your ids filled in):",
      `  1. Open ${playground.standIn.playgroundUrl}, go to Platform › General, press "Add Issue Alerts to Platform".`,
      `  2. Press "Complete setup" on the welcome card; enter the organization "${state?.orgSlug ?? "demo"}" and the ADMIN_TOKEN above.`,
      `  3. Create an alert rule in the web app: open ${baseUrl}/organizations/${state?.orgSlug ?? "demo"}/alerts/rules/, sign in as Demo Admin,`,
      '     press "New rule for …", choose General under "Platform: channels" in "Post to" (the team\'s live channels and people),',
      '     "Create the rule", then "Send a test card" and watch it arrive in Platform › General.',
      "  4. Send an event (the curl command above, or a Sentry SDK with the DSN) and watch the issue card arrive.",
      '  5. Link your Teams account: type "link" in your chat with Issue Alerts and open the link.',
      "  6. Press Resolve on the card: the issue is resolved and the card updates in place.",
      `The playground's state (messages, installs) persists in ${playgroundDir} with the local D1.`,
    );
  } else if (!vars.MICROSOFT_APP_ID || !vars.MICROSOFT_APP_PASSWORD) {
    out.push(
      "",
      "Teams is not configured: to talk to Teams, set MICROSOFT_APP_ID and",
      `MICROSOFT_APP_PASSWORD in ${devVarsPath} (the commented lines there say where they come from), then restart.`,
      "Without them, `npm start` (without --no-playground) gives you the local Teams playground instead.",
    );
  }
  out.push(rule, "");
  console.log(out.join("\n"));
}

/** Resolves when the worker answers /health (or never, if wrangler exits first: the exit handler ends us). */
async function announceReady(startedAt, playground) {
  for (;;) {
    try {
      // A generous timeout: an aborted request makes workerd print a "Broken pipe" error into the terminal.
      if ((await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(30_000) })).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`\n✔ Ready in ${seconds} s: ${playground ? `the playground is at ${playground.standIn.playgroundUrl}` : `the worker is at ${baseUrl}`}  (Ctrl-C stops everything)\n`);
}

/** Step 6: wrangler dev in the foreground; Ctrl-C / SIGTERM go to it, and we exit with its status. */
function runDev(playground) {
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(opts.port), ...persistArgs];
  if (opts.devVars || playground) args.push("--env-file", devVarsPath);
  // Links and DSNs follow the port actually served.
  if (opts.port !== DEFAULT_PORT) args.push("--var", `PUBLIC_BASE_URL:${baseUrl}`);
  if (playground) {
    // Later env files win: the stand-in's password over a real one in .dev.vars (which step 1 made sure exists).
    args.push("--env-file", playground.workerVars);
    const s = playground.standIn;
    for (const [name, value] of Object.entries({
      MICROSOFT_APP_ID: playground.bot.appId,
      MICROSOFT_APP_TENANT_ID: "",
      BOT_OPENID_METADATA_URL: s.metadataUrl,
      BOT_TOKEN_URL: s.tokenUrl,
      SIGN_IN_METADATA_URL: s.signInMetadataUrl,
    })) {
      args.push("--var", `${name}:${value}`);
    }
  }
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: childEnv, stdio: "inherit" });
  // If set-up fails after this point (fail() exits), wrangler dev must not be left running.
  process.on("exit", () => {
    if (child.exitCode === null) child.kill("SIGINT");
  });
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      if (child.exitCode === null) child.kill(sig);
    });
  }
  child.on("error", (err) => fail(`could not start wrangler dev (${err.message})`));
  child.on("exit", async (code, signal) => {
    if (playground) await playground.standIn.close();
    process.exit(code ?? (signal ? 0 : 1));
  });
}

/** Step 0: a port in use would otherwise show up as workerd's "Address already in use", after the whole banner. */
async function checkPorts() {
  if (!opts.dev) return; // nothing will listen
  const wanted = [[opts.port, "the worker (wrangler dev)", "--port"]];
  if (opts.playground) wanted.push([opts.playgroundPort, "the Teams playground (the Microsoft stand-in)", "--playground-port"]);
  for (const [port, what, flag] of wanted) {
    if (await isPortFree(port)) continue;
    const other = port + 10;
    fail(
      `port ${port}, for ${what}, is in use (another \`npm start\` or \`wrangler dev\`?). Stop that, or use another port: ` +
        `npm start -- ${flag} ${other}`,
    );
  }
}

if (opts.printEnv) {
  const state = await readState({ allowFail: true });
  if (state === null) fail("the local database is not set up yet: run `npm start` first");
  console.log(envLines(readDevVars(devVarsPath), state).join("\n"));
  process.exit(0);
}

const startedAt = Date.now();
await checkPorts();
ensureDevVars();
// wrangler dev boots (seconds) while the migrations, then the seed + state read, run (seconds each): the local D1 is
// a SQLite file these processes may all open (the worker touches it only when a request needs it), and "Ready"
// waits for all of them. bench/startup.mjs measures the result.
const migrated = applyMigrations();
const playground = opts.dev && opts.playground ? await startStandIn() : null;
if (opts.dev) runDev(playground);
await migrated;
const state = await readState({ seed: true });
if (playground && state?.projectId) {
  const s = playground.standIn;
  s.setGuide({
    worker: baseUrl,
    adminToken: readDevVars(devVarsPath).ADMIN_TOKEN ?? "",
    organization: { id: state.orgId, slug: state.orgSlug },
    project: { id: state.projectId },
    ingestKey: state.publicKey,
    dsn: `http://${state.publicKey}@127.0.0.1:${opts.port}/${state.projectId}`,
    adminUserId: state.adminUserId,
    adminUserName: state.adminUserName,
    standIn: { botMetadataUrl: s.metadataUrl, tokenUrl: s.tokenUrl, serviceUrl: s.serviceUrl, signInMetadataUrl: s.signInMetadataUrl },
  });
}
printUsage(readDevVars(devVarsPath), state, playground);
if (opts.dev) void announceReady(startedAt, playground);
