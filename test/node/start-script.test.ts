/**
 * `npm start` (scripts/start.mjs) from Node: set-up and seeding against a throw-away local state directory, then
 * the real dev server with the docs/api.md examples and the printed curl commands run against it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./support/ports";

const ROOT = resolve(__dirname, "../..");
const SCRIPT = join(ROOT, "scripts/start.mjs");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempState() {
  const dir = mkdtempSync(join(tmpdir(), "start-script-test-"));
  dirs.push(dir);
  return { dir, state: join(dir, "state"), devVars: join(dir, "dev.vars") };
}

function runStart(args: string[]) {
  const r = spawnSync("node", [SCRIPT, ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 90_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Result sets of `;`-separated statements against the local D1 (one wrangler start: they are slow). */
function sql(state: string, command: string): any[][] {
  const r = spawnSync(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", command], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).map((set: { results: any[] }) => set.results);
}

function devVarsOf(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

describe("npm start --no-dev", () => {
  it("creates .dev.vars, migrates and seeds once; a second run changes nothing", async () => {
    const t = tempState();
    const first = runStart(["--no-dev", "--persist-to", t.state, "--dev-vars", t.devVars]);
    expect(first.status, first.out).toBe(0);

    const text = readFileSync(t.devVars, "utf8");
    const vars = devVarsOf(t.devVars);
    expect(vars.ADMIN_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(vars.LINK_SIGNING_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(vars.LINK_SIGNING_SECRET).not.toBe(vars.ADMIN_TOKEN);
    expect(vars.MICROSOFT_APP_ID).toBeUndefined(); // only explained, in comments
    expect(text).toMatch(/^# MICROSOFT_APP_ID=/m);
    expect(text).toMatch(/^# MICROSOFT_APP_PASSWORD=/m);

    const [orgs, members, keys] = sql(
      t.state,
      [
        "select id, slug from organizations",
        "select u.email, m.role from memberships m join users u on u.id = m.user_id",
        "select p.id as projectId, p.short_id_prefix as prefix, k.public_key as key, k.revoked_at as revokedAt from projects p join project_keys k on k.project_id = p.id",
      ].join("; "),
    );
    expect(orgs).toEqual([{ id: 1, slug: "demo" }]);
    expect(members).toEqual([{ email: "admin@example.com", role: "admin" }]);
    expect(keys).toHaveLength(1);
    const { projectId, key } = keys[0];
    expect(keys[0]).toMatchObject({ prefix: "DEMO", revokedAt: null });
    expect(key).toMatch(/^[0-9a-f]{32}$/);

    // What it prints: the admin token, the ingest key, the DSN, curl commands, and the Teams hint.
    expect(first.out).toContain("Seeded a demo organization");
    expect(first.out).toContain(`export ADMIN_TOKEN=${vars.ADMIN_TOKEN}`);
    expect(first.out).toContain(`export INGEST_KEY=${key}`);
    expect(first.out).toContain(`http://${key}@127.0.0.1:8787/${projectId}`);
    expect(first.out).toContain('curl -sS -X POST "$BASE/api/projects/$PROJECT_ID/events"');
    expect(first.out).toContain('curl -sS "$BASE/api/admin/issues?project=$PROJECT_ID"');
    expect(first.out).toMatch(/set MICROSOFT_APP_ID and\s+MICROSOFT_APP_PASSWORD/);
    expect(first.out).not.toContain(vars.LINK_SIGNING_SECRET);

    const second = runStart(["--no-dev", "--persist-to", t.state, "--dev-vars", t.devVars]);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toContain("not seeding");
    expect(second.out).toContain(`export INGEST_KEY=${key}`);
    expect(readFileSync(t.devVars, "utf8")).toBe(text);
    const [counts] = sql(
      t.state,
      "select (select count(*) from organizations) as o, (select count(*) from users) as u, (select count(*) from projects) as p, (select count(*) from project_keys) as k",
    );
    expect(counts).toEqual([{ o: 1, u: 1, p: 1, k: 1 }]);

    const printed = runStart(["--print-env", "--persist-to", t.state, "--dev-vars", t.devVars]);
    expect(printed.status).toBe(0);
    expect(printed.out.trim().split("\n")).toEqual([
      "export BASE=http://127.0.0.1:8787",
      `export ADMIN_TOKEN=${vars.ADMIN_TOKEN}`,
      "export ORG_ID=1",
      `export PROJECT_ID=${projectId}`,
      `export INGEST_KEY=${key}`,
    ]);
  }, 180_000);

  it("keeps an existing .dev.vars, adds only missing secrets, and drops the Teams hint when credentials are set", () => {
    const t = tempState();
    writeFileSync(t.devVars, "# mine\nMICROSOFT_APP_ID=abc\nMICROSOFT_APP_PASSWORD=\"s3cret\"\nLINK_SIGNING_SECRET=keep-me\n");
    const r = runStart(["--no-dev", "--persist-to", t.state, "--dev-vars", t.devVars]);
    expect(r.status, r.out).toBe(0);
    const text = readFileSync(t.devVars, "utf8");
    expect(text.startsWith("# mine\nMICROSOFT_APP_ID=abc\nMICROSOFT_APP_PASSWORD=\"s3cret\"\nLINK_SIGNING_SECRET=keep-me\n")).toBe(
      true,
    );
    expect(devVarsOf(t.devVars).ADMIN_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.out).toContain("Added a random ADMIN_TOKEN");
    expect(r.out).not.toContain("Added a random LINK_SIGNING_SECRET");
    expect(r.out).not.toContain("MICROSOFT_APP_PASSWORD in");
  }, 120_000);

  it("a port in use: says which and how to pick another, before printing or changing anything", async () => {
    const t = tempState();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      for (const flags of [["--port", String(taken)], ["--port", String(await freePort()), "--playground-port", String(taken)]]) {
        const r = spawnSync("node", [SCRIPT, "--persist-to", t.state, "--dev-vars", t.devVars, ...flags], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`port ${taken}`);
        expect(r.stderr).toMatch(/is in use .*npm start -- --(playground-)?port \d+/);
        expect(r.stdout).toBe("");
        expect(existsSync(t.devVars)).toBe(false);
      }
    } finally {
      blocker.close();
    }
  });

  it("--print-env before any set-up says to run npm start first", () => {
    const t = tempState();
    const r = runStart(["--print-env", "--persist-to", t.state, "--dev-vars", t.devVars]);
    expect(r.status).toBe(1);
    expect(r.out).toContain("run `npm start` first");
  });
});

/**
 * Until npm start says "Ready": the worker answers /health and set-up is done (the worker may answer /health
 * earlier, while the migrations and the seed still run beside its boot).
 */
async function waitForReady(base: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${log()}`);
    if (/Ready in [\d.]+ s/.test(log())) {
      expect((await fetch(`${base}/health`)).ok).toBe(true);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`npm start was not ready within 90 s:\n${log()}`);
}

/** The ```sh blocks of docs/api.md, in order. */
function docShellBlocks(): string[] {
  const md = readFileSync(join(ROOT, "docs/api.md"), "utf8");
  return [...md.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Runs a bash script in the repo; curl fails on any HTTP error status. */
function bash(script: string) {
  // curl's answers have no trailing newline: `echo` after each keeps one JSON document per line.
  const prelude = `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n`;
  const r = spawnSync("bash", ["-c", prelude + script], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 90_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm start (dev server)", () => {
  it("serves the seeded demo: the printed curl commands and every docs/api.md example work; Ctrl-C stops it", async () => {
    const t = tempState();
    const [port, playgroundPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    const opts = ["--persist-to", t.state, "--dev-vars", t.devVars, "--port", String(port)];
    const startOpts = [...opts, "--playground-port", String(playgroundPort)];
    let log = "";
    const child = spawn("node", [SCRIPT, ...startOpts], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    try {
      await waitForReady(base, child, () => log);
      const printEnv = `eval "$(node scripts/start.mjs --print-env ${opts.join(" ")})"`;

      // The commands npm start printed, run as printed.
      const printed = log.slice(log.indexOf("Send an event:"), log.indexOf("The first five minutes"));
      const commands = printed
        .split("\n")
        .filter((l) => l.startsWith("  "))
        .join("\n");
      expect(commands).toContain("/events");
      const ingest = bash(`${printEnv}\n${commands}`);
      expect(ingest.status, ingest.stderr + ingest.stdout).toBe(0);
      const [sent] = ingest.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(sent).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      // Ingest answers before it writes: the issue is listed once the EVENTS consumer has counted the event (~1 s).
      const listCommand = commands.split("\n").filter((l) => l.includes("/api/admin/issues")).join("\n");
      let listed: { issues: { shortId: string }[] } = { issues: [] };
      for (let i = 0; i < 60 && !listed.issues.length; i++) {
        if (i) await new Promise((r) => setTimeout(r, 250));
        listed = JSON.parse(bash(`${printEnv}\n${listCommand}`).stdout);
      }
      expect(listed.issues.map((i) => i.shortId)).toEqual(["DEMO-1"]);

      // docs/api.md, block after block in one shell, pointed at this server's state.
      const blocks = docShellBlocks();
      expect(blocks.length).toBeGreaterThan(10);
      const script = blocks.join("\n").replaceAll("node scripts/start.mjs --print-env", `node scripts/start.mjs --print-env ${opts.join(" ")}`);
      const docs = bash(script);
      expect(docs.status, `${docs.stderr}\n${docs.stdout}`).toBe(0);
      expect(docs.stdout).toContain('"slug":"acme-corp"');
      expect(docs.stdout).toMatch(/^204$/m);
      // The rotation example revoked the checkout project's first key.
      expect(docs.stdout).toMatch(/"revokedKeyIds":\[\d+\]/);

      // The worker is pointed at the stand-in exactly as at Microsoft: the doctor's real token exchange goes there.
      const adminToken = devVarsOf(t.devVars).ADMIN_TOKEN;
      const doctor = await (await fetch(`${base}/api/admin/doctor`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
      const exchange = doctor.checks.find((c: { name: string }) => c.name === "token exchange");
      expect(exchange).toMatchObject({ ok: true, detail: expect.stringContaining(`127.0.0.1:${playgroundPort}`) });
      expect(doctor.checks.find((c: { name: string }) => c.name === "MICROSOFT_APP_ID")).toMatchObject({ ok: true });
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    // wrangler (and workerd) went with it: the port is free again.
    const stillServing = await fetch(`${base}/health`).then(
      () => true,
      () => false,
    );
    expect(stillServing).toBe(false);
    const playgroundServing = await fetch(`http://127.0.0.1:${playgroundPort}/`).then(
      () => true,
      () => false,
    );
    expect(playgroundServing).toBe(false);
    expect(existsSync(t.devVars)).toBe(true);
  }, 180_000);
});
