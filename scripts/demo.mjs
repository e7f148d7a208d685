#!/usr/bin/env node
/**
 * `npm run demo`: the whole product in about half a minute, with no Microsoft or Cloudflare account.
 *
 * It starts a local stand-in for Microsoft (scripts/dev-standin: OpenID keys, token endpoint, Bot Connector, all
 * on 127.0.0.1), starts the real worker with `wrangler dev` (fresh local D1 / KV / queue in a temp directory,
 * the migrations applied) pointed at that stand-in, and plays what a team would do:
 *
 *    1. the bot is installed into a team → it posts a welcome card with a "Complete setup" link
 *    2. an admin completes setup on that page → the team is connected to the organization
 *    3. an alert rule "new issues → General" is created through the admin API
 *    4. an app reports an error to the ingest API → the queue posts the issue card to General
 *    5. a Teams user links their account (the `link` command, then the /link page: sign in with Microsoft at the stand-in)
 *    6. they click Resolve on the card → the issue is resolved and the card is updated in place (PUT)
 *    7. GET /api/admin/doctor reports every check green
 *
 * Every step and card is printed; the cards are also written to dist/demo-cards.html (rendered with the
 * adaptivecards renderer, like `npm run cards:preview`) and the outcome to dist/demo-result.json. Exit 0 when
 * every step passed; otherwise exit 1 naming the step and why. Everything it starts is stopped at the end.
 *
 * Options:
 *   --out-dir DIR     where demo-cards.html and demo-result.json go (default dist/)
 *   --timeout SEC     give up after this long (default 90)
 *   --verbose         show wrangler's output
 *   --break WHAT      for tests of the failure path: `credentials` gives the worker a wrong app password
 *
 * The stand-in is a dev tool: the worker trusts it only because this script passes
 * `--var BOT_OPENID_METADATA_URL:... --var BOT_TOKEN_URL:...` to wrangler dev; no code in src/ mentions it.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { copyRendererScripts, previewPage } from "./cards-preview.mjs";
import { cardSubmit, personalChatId, personalMessage, teamInstall } from "./dev-standin/activities.mjs";
import { startMicrosoftStandIn } from "./dev-standin/server.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "wrangler.cmd" : "wrangler");
const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

// The Teams side of the story.
const TENANT_ID = "72f988bf-0000-4000-8000-00000000demo".replace("demo", "0001");
const TEAM = { id: "19:demo-platform-team@thread.tacv2", name: "Platform" };
const ALERTS_CHANNEL = { id: "19:demo-alerts-channel@thread.tacv2", name: "Alerts" };
const ADA = { id: "29:demo-ada-lovelace", aadObjectId: "6f1c0d2e-0000-4000-8000-00000000ada1", name: "Ada Lovelace", email: "ada@example.com" };

// ── options ─────────────────────────────────────────────────────────────────────────────────────────────

function parseArgs(argv) {
  const opts = { outDir: join(ROOT, "dist"), timeoutSeconds: 90, verbose: false, break: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--out-dir") opts.outDir = resolve(value());
    else if (a === "--timeout") {
      opts.timeoutSeconds = Number(value());
      if (!(opts.timeoutSeconds > 0)) usage("--timeout must be a positive number of seconds");
    } else if (a === "--verbose") opts.verbose = true;
    else if (a === "--break") {
      opts.break = value();
      if (opts.break !== "credentials") usage("--break takes: credentials");
    } else if (a === "--help" || a === "-h") usage(null);
    else usage(`unknown option ${a}`);
  }
  return opts;
}

function usage(problem) {
  const text = "Usage: npm run demo [-- --out-dir DIR] [-- --timeout SEC] [-- --verbose] [-- --break credentials]";
  if (problem) {
    console.error(`demo: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const opts = parseArgs(process.argv.slice(2));
const startedAt = Date.now();

// ── output ──────────────────────────────────────────────────────────────────────────────────────────────

const steps = [];
const cards = [];
let currentStep = null;

function say(line = "") {
  process.stdout.write(`${line}\n`);
}

/** Runs one numbered step; its return value (facts) lands in demo-result.json. */
async function step(title, fn) {
  const n = steps.length + 1;
  currentStep = { n, title };
  say(`\n▶ ${n}. ${title}`);
  const t0 = Date.now();
  try {
    const facts = (await fn()) ?? {};
    steps.push({ n, title, ok: true, ms: Date.now() - t0, ...facts });
    say(`  ✔ done in ${Date.now() - t0} ms`);
    return facts;
  } catch (err) {
    steps.push({ n, title, ok: false, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

/** Keeps a card for the HTML page and prints it compactly: its texts, facts and buttons. */
function showCard(name, card) {
  cards.push({ name, card, bytes: Buffer.byteLength(JSON.stringify(card)) });
  say(`  ┌─ card: ${name}`);
  for (const line of cardLines(card)) say(`  │ ${line}`);
  say("  └─");
}

function cardLines(card) {
  const lines = [];
  const clip = (s) => {
    // As a reader sees it: Teams' date functions evaluated (in UTC here), markdown links reduced to their text.
    const one = String(s)
      .replace(/\{\{DATE\(([^,)]+)(?:,\s*\w+)?\)\}\}/g, (_, iso) => new Date(iso).toISOString().slice(0, 10))
      .replace(/\{\{TIME\(([^)]+)\)\}\}/g, (_, iso) => `${new Date(iso).toISOString().slice(11, 16)} UTC`)
      .replace(/\[([^\]]*)\]\((?:https?:[^)\s]*)\)/g, "$1")
      .replace(/\s+/g, " ")
      .trim();
    return one.length > 110 ? `${one.slice(0, 109)}…` : one;
  };
  const visit = (el) => {
    if (!el || typeof el !== "object") return;
    switch (el.type) {
      case "TextBlock":
        if (el.text) lines.push(clip(el.text));
        return;
      case "RichTextBlock":
        lines.push(clip((el.inlines ?? []).map((i) => (typeof i === "string" ? i : i.text ?? "")).join("")));
        return;
      case "FactSet":
        for (const f of el.facts ?? []) lines.push(clip(`${f.title} ${f.value}`));
        return;
      case "ActionSet":
        lines.push(buttons(el.actions));
        return;
      default:
        for (const key of ["body", "items", "columns"]) for (const child of el[key] ?? []) visit(child);
    }
  };
  const buttons = (actions) => (actions ?? []).map((a) => `[${a.title}]`).join(" ");
  for (const el of card.body ?? []) visit(el);
  if (card.actions?.length) lines.push(buttons(card.actions));
  return lines.filter(Boolean);
}

function cardOf(activity) {
  const attachment = activity?.attachments?.find((a) => a.contentType === ADAPTIVE_CARD);
  if (!attachment) throw new Error(`expected an Adaptive Card message, got ${JSON.stringify(activity).slice(0, 200)}`);
  return attachment.content;
}

/** Every action of a card, including those inside ShowCards and ActionSets. */
function allActions(card) {
  const out = [];
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    if (typeof node.type === "string" && node.type.startsWith("Action.")) out.push(node);
    for (const v of Object.values(node)) visit(v);
  };
  visit(card);
  return out;
}

function actionTitled(card, title, type) {
  const found = allActions(card).find((a) => a.title === title && (!type || a.type === type));
  if (!found) throw new Error(`the card has no ${type ?? "action"} "${title}" (it has: ${allActions(card).map((a) => a.title).join(", ")})`);
  return found;
}

/** What Teams sends when the Submit inside a ShowCard is pressed: the submit's data plus the inputs' current values. */
function showCardSubmission(card, title) {
  const show = actionTitled(card, title, "Action.ShowCard");
  const submit = allActions(show.card).find((a) => a.type === "Action.Submit");
  if (!submit) throw new Error(`the "${title}" panel has no Submit button`);
  const inputs = {};
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    if (typeof node.type === "string" && node.type.startsWith("Input.") && node.id) inputs[node.id] = node.value ?? "";
    for (const [k, v] of Object.entries(node)) if (k !== "actions") visit(v);
  };
  visit(show.card.body);
  return { data: submit.data, inputs };
}

// ── processes and cleanup ───────────────────────────────────────────────────────────────────────────────

let standIn = null;
let worker = null; // { child, exited: Promise, log: string[] }
let tempDir = null;
let cleaningUp = null;

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

function childEnv() {
  // Offline: no request.cf fetch, no metrics (docs: toolchain notes). No Microsoft settings leak in from the shell.
  const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_INCLUDE_PROCESS_ENV: "false" };
  for (const name of ["MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "BOT_TOKEN_URL", "BOT_OPENID_METADATA_URL"]) delete env[name];
  return env;
}

function startWorker({ port, persistTo, envFile, vars }) {
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(vars.inspectorPort), "--persist-to", persistTo, "--env-file", envFile];
  args.push("--show-interactive-dev-session=false", "--log-level", opts.verbose ? "log" : "warn");
  for (const [name, value] of Object.entries(vars.bindings)) args.push("--var", `${name}:${value}`);
  // Its own process group, so the whole tree (wrangler and workerd) can be stopped by the group's id.
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], detached: process.platform !== "win32" });
  const log = [];
  const keep = (chunk) => {
    const text = chunk.toString();
    if (opts.verbose) process.stdout.write(text.replace(/^/gm, "  [wrangler] "));
    log.push(text);
    if (log.length > 400) log.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolveExit) => child.once("exit", (code, signal) => resolveExit({ code, signal })));
  child.once("error", (err) => log.push(`could not start wrangler: ${err.message}`));
  return { child, exited, log };
}

function signalIssue(child, signal) {
  try {
    if (process.platform === "win32") child.kill(signal);
    else process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** Stops wrangler dev (SIGINT to its process group, SIGKILL after 5 s), the stand-in, and removes the temp dir. */
function cleanup() {
  cleaningUp ??= (async () => {
    if (worker) {
      if (signalIssue(worker.child, "SIGINT")) {
        const timeout = new Promise((r) => setTimeout(r, 5000, "timeout"));
        if ((await Promise.race([worker.exited, timeout])) === "timeout") signalIssue(worker.child, "SIGKILL");
        // workerd may outlive wrangler by a moment: make sure nothing of the group is left.
        await new Promise((r) => setTimeout(r, 200));
        signalIssue(worker.child, "SIGKILL");
      }
    }
    if (standIn) await standIn.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

function writeResult(ok, extra = {}) {
  mkdirSync(opts.outDir, { recursive: true });
  const result = {
    ok,
    durationMs: Date.now() - startedAt,
    steps,
    cards: cards.map((c) => ({ name: c.name, bytes: c.bytes })),
    ...extra,
  };
  writeFileSync(join(opts.outDir, "demo-result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function writeCardsPage() {
  await copyRendererScripts(opts.outDir);
  const path = join(opts.outDir, "demo-cards.html");
  writeFileSync(path, previewPage(cards.map((c) => ({ name: c.name, bytes: c.bytes, card: c.card }))));
  return path;
}

async function fail(message) {
  say("");
  console.error(`✘ demo failed${currentStep ? ` at step ${currentStep.n} (${currentStep.title})` : ""}: ${message}`);
  if (worker && !opts.verbose) {
    const tail = worker.log.join("").replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n").filter((l) => l.trim()).slice(-25).join("\n");
    if (tail) console.error(`\nLast lines from wrangler dev:\n${tail.replace(/^/gm, "  ")}`);
  }
  const result = writeResult(false, { failedStep: currentStep, error: message, workerPid: worker?.child.pid ?? null });
  if (cards.length) await writeCardsPage();
  await cleanup();
  say(`DEMO_RESULT ${JSON.stringify({ ok: false, failedStep: currentStep, error: message, durationMs: result.durationMs })}`);
  process.exit(1);
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    void cleanup().then(() => process.exit(130));
  });
}
const deadline = setTimeout(() => void fail(`gave up after ${opts.timeoutSeconds} s (--timeout)`), opts.timeoutSeconds * 1000);

// ── HTTP helpers ────────────────────────────────────────────────────────────────────────────────────────

let base = "";
let adminToken = "";

async function http(method, path, { body, headers = {}, form } = {}) {
  const init = { method, headers: { ...headers } };
  if (form) {
    init.body = new URLSearchParams(form).toString();
    init.headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  const res = await fetch(path.startsWith("http") ? path : `${base}${path}`, { ...init, redirect: "manual", signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** A minimal browser: a cookie jar over fetch, redirects not followed (each hop is checked by the caller). */
function cookieBrowser() {
  const jar = new Map();
  return async (method, url, form) => {
    const headers = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") };
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url.startsWith("http") ? url : `${base}${url}`, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(20_000) });
    if (new URL(res.url || url, base).origin === base) {
      for (const line of res.headers.getSetCookie()) {
        const pair = line.split(";")[0];
        const i = pair.indexOf("=");
        const value = pair.slice(i + 1);
        if (!value || /max-age=0/i.test(line)) jar.delete(pair.slice(0, i));
        else jar.set(pair.slice(0, i), value);
      }
    }
    return { status: res.status, location: res.headers.get("location"), text: await res.text() };
  };
}

/** The sign-in stand-in's picker form for one person: its action and fields. */
function pickerForm(html, aadObjectId) {
  for (const m of html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)) {
    const fields = Object.fromEntries([...m[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((f) => [f[1], unescapeHtml(f[2])]));
    if (fields.user === aadObjectId) return { action: unescapeHtml(m[1]), fields };
  }
  return null;
}

function unescapeHtml(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

async function admin(method, path, body, expected = method === "POST" ? 201 : 200) {
  const res = await http(method, `/api/admin${path}`, { body, headers: { authorization: `Bearer ${adminToken}` } });
  if (res.status !== expected) throw new Error(`${method} /api/admin${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res.json();
}

async function sendActivity(activity) {
  const res = await http("POST", "/api/messages", { body: activity, headers: { authorization: await standIn.authorizationFor(activity) } });
  if (res.status < 200 || res.status >= 300) throw new Error(`POST /api/messages (${activity.type}) answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res;
}

function csrfOf(html) {
  const m = /name="csrf" value="([0-9a-f]{64})"/.exec(html);
  if (!m) throw new Error(`the page has no form token: ${html.replace(/\s+/g, " ").slice(0, 200)}`);
  return m[1];
}

/** The next message the bot posts to `conversationId` (after the mark `since`). */
async function nextPost(conversationId, since, what) {
  const call = await standIn.connector.waitForCall(
    (c) => c.method === "POST" && c.segments[1] === "conversations" && c.segments[2] === conversationId && c.segments[3] === "activities" && c.status < 300,
    { since, timeoutMs: 20_000, what },
  );
  return { activityId: call.answer.id, activity: call.body };
}

async function until(what, probe, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ── the demo ────────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  say("Teams issue alerts: local demo (no Microsoft or Cloudflare account needed)");
  const appId = randomUUID();
  const appPassword = randomBytes(24).toString("base64url");
  adminToken = randomBytes(24).toString("base64url");
  const world = { tenantId: TENANT_ID, botId: `28:${appId}`, serviceUrl: "" };
  let project;
  let adminUser;

  await step("Start the Microsoft stand-in (OpenID keys, token endpoint, Bot Connector on 127.0.0.1)", async () => {
    standIn = await startMicrosoftStandIn({ appId, appPassword });
    world.serviceUrl = standIn.serviceUrl;
    standIn.connector.teams.set(TEAM.id, { details: { id: TEAM.id, name: TEAM.name }, channels: [{ id: TEAM.id, name: null }, ALERTS_CHANNEL] });
    standIn.connector.members.set(TEAM.id, [{ id: ADA.id, name: ADA.name, email: ADA.email, userPrincipalName: ADA.email, aadObjectId: ADA.aadObjectId, tenantId: TENANT_ID }]);
    say(`  OpenID metadata ${standIn.metadataUrl}`);
    say(`  token endpoint  ${standIn.tokenUrl}`);
    say(`  Bot Connector   ${standIn.serviceUrl}`);
    return { standIn: standIn.origin };
  });

  await step("Start the worker (wrangler dev, fresh local D1 / KV / queue, migrations applied)", async () => {
    tempDir = mkdtempSync(join(tmpdir(), "teams-alerts-demo-"));
    const persistTo = join(tempDir, "state");
    const envFile = join(tempDir, "demo.vars");
    const secrets = {
      ADMIN_TOKEN: adminToken,
      LINK_SIGNING_SECRET: randomBytes(32).toString("base64url"),
      MICROSOFT_APP_PASSWORD: opts.break === "credentials" ? `wrong-${appPassword}` : appPassword,
    };
    writeFileSync(envFile, Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
    const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
      cwd: ROOT,
      env: childEnv(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    if (migrate.status !== 0) throw new Error(`wrangler d1 migrations apply failed (exit ${migrate.status}): ${(migrate.stderr || migrate.stdout || String(migrate.error)).slice(-500)}`);
    const [port, inspectorPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    // The stand-in's sign-in authority accepts redirect URIs on the worker's origin only.
    standIn.connectWorker(base);
    worker = startWorker({
      port,
      persistTo,
      envFile,
      vars: {
        inspectorPort,
        bindings: {
          PUBLIC_BASE_URL: base,
          MICROSOFT_APP_ID: appId,
          BOT_OPENID_METADATA_URL: standIn.metadataUrl,
          BOT_TOKEN_URL: standIn.tokenUrl,
          SIGN_IN_METADATA_URL: standIn.signInMetadataUrl,
        },
      },
    });
    const gone = worker.exited.then(({ code, signal }) => {
      throw new Error(`wrangler dev exited early (${signal ?? `exit ${code}`})`);
    });
    gone.catch(() => {});
    await Promise.race([
      gone,
      until(
        `the worker to answer on ${base}/health`,
        async () => {
          try {
            return (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok;
          } catch {
            return false;
          }
        },
        45_000,
      ),
    ]);
    say(`  worker ${base} (pid ${worker.child.pid}), state in ${persistTo}`);
    return { worker: base, workerPid: worker.child.pid };
  });

  await step("Seed an organization, its admin and a project (admin API)", async () => {
    const org = await admin("POST", "/organizations", { name: "Demo Inc", slug: "demo" });
    adminUser = await admin("POST", "/users", { email: ADA.email, name: ADA.name });
    await admin("POST", `/organizations/${org.id}/members`, { userId: adminUser.id, role: "admin" });
    project = await admin("POST", `/organizations/${org.id}/projects`, { slug: "checkout", name: "Checkout", shortIdPrefix: "CHECKOUT" });
    say(`  organization ${org.slug} (${org.id}), admin ${adminUser.email}, project ${project.slug} (${project.id})`);
    say(`  DSN for Sentry SDKs: ${project.dsn}`);
    return { organizationId: org.id, projectId: project.id };
  });

  let setupUrl;
  await step(`Install the bot into the team "${TEAM.name}"`, async () => {
    const since = standIn.connector.mark();
    await sendActivity(teamInstall(world, ADA, TEAM));
    const welcome = await nextPost(TEAM.id, since, "the welcome card in General");
    const card = cardOf(welcome.activity);
    showCard("Welcome (posted in General)", card);
    setupUrl = actionTitled(card, "Complete setup").url;
    if (!setupUrl?.startsWith(`${base}/setup/`)) throw new Error(`unexpected setup link ${setupUrl}`);
    return { welcomeCard: true, setupLink: true };
  });

  let integrationId;
  await step("Complete setup on the page the welcome card links to", async () => {
    const page = await http("GET", setupUrl);
    if (page.status !== 200) throw new Error(`GET the setup page answered ${page.status}`);
    const since = standIn.connector.mark();
    const posted = await http("POST", setupUrl, { form: { mode: "admin_token", csrf: csrfOf(page.text), organization: "demo", token: adminToken } });
    if (posted.status !== 200 || !posted.text.includes("now connected")) throw new Error(`the setup form answered ${posted.status}: ${posted.text.replace(/\s+/g, " ").slice(0, 200)}`);
    say(`  setup page: "The team ${TEAM.name} is now connected to Demo Inc."`);
    const confirmation = await nextPost(TEAM.id, since, "the setup confirmation card");
    showCard("Setup confirmation (General)", cardOf(confirmation.activity));
    const doctor = await admin("GET", "/doctor");
    const install = doctor.checks.find((c) => c.integration?.teamId === TEAM.id)?.integration;
    if (install?.status !== "active") throw new Error(`the doctor does not list the team's installation as active: ${JSON.stringify(install)}`);
    integrationId = install.id;
    say(`  installation ${integrationId} is active (GET /api/admin/doctor lists it)`);
    return { integrationId };
  });

  await step('Create an alert rule: new issues in "checkout" → General', async () => {
    const rule = await admin("POST", `/projects/${project.id}/rules`, {
      name: "New issues to General",
      conditions: { newIssue: true },
      action: { integrationId, target: "General" },
    });
    if (rule.action.conversationId !== TEAM.id) throw new Error(`the rule targets ${rule.action.conversationId}, not General (${TEAM.id})`);
    say(`  rule ${rule.id} "${rule.name}" → ${rule.action.targetType} General`);
    return { ruleId: rule.id };
  });

  let issue;
  let issueCard;
  await step("An app reports an error → the queue posts the issue card to General", async () => {
    const since = standIn.connector.mark();
    const res = await http("POST", `/api/projects/${project.id}/events`, {
      headers: { authorization: `Bearer ${project.key.publicKey}` },
      body: {
        level: "error",
        release: "checkout@1.4.2",
        environment: "production",
        tags: { region: "eu-west" },
        user: { email: "customer@example.com" },
        exception: {
          values: [
            {
              type: "TypeError",
              value: "Cannot read properties of undefined (reading 'total')",
              stacktrace: { frames: [{ filename: "src/cart/checkout.ts", function: "computeTotal", lineno: 42, in_app: true }] },
            },
          ],
        },
      },
    });
    if (res.status !== 200) throw new Error(`POST /api/projects/${project.id}/events answered ${res.status}: ${res.text.slice(0, 200)}`);
    // Ingest answers once the event is queued; the EVENTS consumer counts it into its issue within a second.
    const { id: eventId } = res.json();
    const counted = await until("the event to be counted into an issue", async () => {
      const r = await http("GET", `/api/admin/events/${eventId}`, { headers: { authorization: `Bearer ${adminToken}` } });
      return r.status === 200 ? r.json() : null;
    });
    const { issue: row } = await admin("GET", `/issues/${counted.issueId}`);
    issue = { issueId: counted.issueId, shortId: row.shortId };
    say(`  accepted: event ${eventId}; counted into issue ${issue.shortId} (id ${issue.issueId})`);
    issueCard = await nextPost(TEAM.id, since, "the issue card in General (posted by the DELIVERIES queue consumer)");
    showCard(`Issue ${issue.shortId} (General)`, cardOf(issueCard.activity));
    const delivery = await until("the delivery to be recorded as delivered", async () => {
      const { deliveries } = await admin("GET", `/deliveries?issue=${issue.issueId}`);
      return deliveries.find((d) => d.kind === "post" && d.status === "delivered");
    });
    say(`  delivery ${delivery.id}: ${delivery.status} after ${delivery.attempts} attempt(s); Teams message id ${issueCard.activityId}`);
    return { issueId: issue.issueId, shortId: issue.shortId, cardActivityId: issueCard.activityId, deliveryStatus: delivery.status };
  });

  await step(`${ADA.name} links their Teams account (the "link" command, then the /link page)`, async () => {
    const chat = personalChatId(ADA);
    let since = standIn.connector.mark();
    await sendActivity(personalMessage(world, ADA, "link"));
    const prompt = await nextPost(chat, since, "the link card in the 1:1 chat");
    const promptCard = cardOf(prompt.activity);
    showCard("Link your account (1:1 chat)", promptCard);
    const linkUrl = actionTitled(promptCard, "Link your account").url;
    const browser = cookieBrowser();
    const page = await browser("GET", linkUrl);
    if (page.status !== 200 || !page.text.includes("Sign in with Microsoft")) throw new Error(`GET the link page answered ${page.status}`);
    // Sign in with Microsoft (the stand-in's account picker), as Ada: her (tenant, oid) is the Teams user's.
    const start = await browser("GET", `/auth/sign-in?returnTo=${encodeURIComponent(new URL(linkUrl).pathname)}`);
    if (start.status !== 302 || !start.location) throw new Error(`GET /auth/sign-in answered ${start.status}`);
    const picker = await browser("GET", start.location);
    const form = pickerForm(picker.text, ADA.aadObjectId);
    if (!form) throw new Error(`the sign-in stand-in offered no account for ${ADA.name} (${picker.status})`);
    const picked = await browser("POST", new URL(form.action, start.location).href, form.fields);
    if (picked.status !== 302 || !picked.location) throw new Error(`picking ${ADA.name} answered ${picked.status}`);
    const back = await browser("GET", picked.location);
    if (back.status !== 302) throw new Error(`the sign-in callback answered ${back.status}: ${back.text.replace(/\s+/g, " ").slice(0, 200)}`);
    say(`  signed in with Microsoft as ${ADA.email}`);
    const confirm = await browser("GET", linkUrl);
    if (confirm.status !== 200) throw new Error(`GET the link page (signed in) answered ${confirm.status}`);
    since = standIn.connector.mark();
    const posted = await browser("POST", linkUrl, { csrf: csrfOf(confirm.text) });
    if (posted.status !== 200) throw new Error(`the link form answered ${posted.status}: ${posted.text.replace(/\s+/g, " ").slice(0, 200)}`);
    const done = await nextPost(chat, since, "the 'linked' confirmation in the 1:1 chat");
    showCard("Account linked (1:1 chat)", cardOf(done.activity));
    return { linked: true };
  });

  await step(`${ADA.name} clicks Resolve on the card → the issue is resolved and the card updated in place`, async () => {
    const since = standIn.connector.mark();
    const { data, inputs } = showCardSubmission(cardOf(issueCard.activity), "Resolve");
    say(`  submit: ${JSON.stringify(inputs)} on message ${issueCard.activityId}`);
    await sendActivity(cardSubmit(world, ADA, { team: TEAM, channelId: TEAM.id, replyToId: issueCard.activityId, data, inputs }));
    const put = await standIn.connector.waitForCall(
      (c) => c.method === "PUT" && c.segments[2] === TEAM.id && c.segments[4] === issueCard.activityId,
      { since, timeoutMs: 20_000, what: "the updated card (PUT over the clicked one)" },
    );
    const updated = cardOf(put.body);
    showCard(`Issue ${issue.shortId}, resolved (updated in place)`, updated);
    actionTitled(updated, "Unresolve");
    const { issue: row } = await admin("GET", `/issues/${issue.issueId}`);
    if (row.status !== "resolved") throw new Error(`the issue is ${row.status}, expected resolved`);
    const last = row.activity?.at?.(-1);
    say(`  issue ${row.shortId ?? issue.shortId}: ${row.status}`);
    // What Teams (and the playground) would show: the one message, replaced, not a second card.
    const shown = standIn.log.get(issueCard.activityId);
    const issueCards = standIn.log.inConversation(TEAM.id).filter((m) => !m.threadId && m.activity.summary?.includes(`${issue.shortId}:`));
    return { status: row.status, updatedCard: true, updatedInPlace: Boolean(shown?.updatedAt) && issueCards.length === 1, lastActivity: last?.type ?? null };
  });

  await step("Ask the doctor (GET /api/admin/doctor)", async () => {
    const report = await admin("GET", "/doctor");
    for (const c of report.checks) say(`  ${c.ok ? "✔" : "✘"} ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ""}`);
    if (!report.ok) throw new Error(`the doctor reports problems: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join(", ")}`);
    return { doctorOk: report.ok, checks: report.checks.length };
  });

  const connectorCalls = standIn.connector.calls.length;
  const tokenRequests = standIn.token.requests;
  const workerPid = worker.child.pid;
  const htmlPath = await writeCardsPage();
  await cleanup();
  clearTimeout(deadline);
  const result = writeResult(true, { workerPid, connectorCalls, tokenRequests });
  say(`\nAll ${steps.length} steps passed in ${(result.durationMs / 1000).toFixed(1)} s.`);
  say(`Cards: ${relative(process.cwd(), htmlPath)} (open it in a browser) · result: ${relative(process.cwd(), join(opts.outDir, "demo-result.json"))}`);
  say(`DEMO_RESULT ${JSON.stringify({ ok: true, steps: steps.length, durationMs: result.durationMs })}`);
  // Idle keep-alive sockets must not hold the process open.
  process.exit(0);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
