/**
 * `npm run demo`, headless as CI runs it: the real worker under wrangler dev against the local Microsoft stand-in.
 * Every step must pass within the time bound and leave its evidence in demo-result.json; the cards page must render
 * in headless Chromium; nothing the demo started may outlive it. A broken configuration must fail at the right step
 * with a message that says why, and clean up just the same.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");
const DEMO_TIMEOUT_MS = 150_000;

type Step = { n: number; title: string; ok: boolean; ms: number; error?: string; [fact: string]: unknown };
type DemoResult = {
  ok: boolean;
  durationMs: number;
  steps: Step[];
  cards: { name: string; bytes: number }[];
  workerPid?: number;
  worker?: string;
  failedStep?: { n: number; title: string };
  error?: string;
};

type Run = { code: number; stdout: string; stderr: string; result: DemoResult; outDir: string };

function runDemo(args: string[]): Promise<Run> {
  const outDir = mkdtempSync(join(tmpdir(), "demo-test-"));
  return new Promise((done) => {
    execFile(
      "npm",
      ["run", "--silent", "demo", "--", "--out-dir", outDir, ...args],
      { cwd: root, timeout: DEMO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        const path = join(outDir, "demo-result.json");
        const result = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DemoResult) : ({ ok: false, steps: [], cards: [], durationMs: -1 } as DemoResult);
        done({ code: typeof code === "number" ? code : -1, stdout, stderr, result, outDir });
      },
    );
  });
}

/**
 * Processes of the group (wrangler dev and its workerd / esbuild children) that are still running. Zombies don't
 * count: they have exited, and in a container whose PID 1 does not reap orphans they linger as <defunct> entries.
 */
function liveGroupMembers(pgid: number): string[] {
  const live: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces or parentheses, so read after the last ')'.
    const close = stat.lastIndexOf(")");
    const [state, , pgrp] = stat.slice(close + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") live.push(`${entry} ${stat.slice(stat.indexOf("(") + 1, close)} ${state}`);
  }
  return live;
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("DEMO_RESULT ")).at(-1);
  expect(line, "the DEMO_RESULT summary line").toBeDefined();
  return JSON.parse(line!.slice("DEMO_RESULT ".length));
}

describe("npm run demo (the whole flow against the local stand-in)", () => {
  let run: Run;
  const fact = (title: RegExp, name: string) => run.result.steps.find((s) => title.test(s.title))?.[name];

  beforeAll(async () => {
    run = await runDemo([]);
  }, DEMO_TIMEOUT_MS + 10_000);
  afterAll(() => rmSync(run.outDir, { recursive: true, force: true }));

  it("exits 0 within the time bound, every step passed", () => {
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-3000)}`).toBe(0);
    expect(run.result.ok).toBe(true);
    expect(run.result.steps.filter((s) => !s.ok)).toEqual([]);
    expect(run.result.durationMs).toBeLessThan(90_000);
    expect(lastJsonLine(run.stdout)).toMatchObject({ ok: true, steps: run.result.steps.length });
  });

  it("plays install → setup → rule → ingest → queue post → link → Resolve → card update → doctor, in that order", () => {
    const titles = run.result.steps.map((s) => s.title);
    const order = [/stand-in/, /Start the worker/, /Seed/, /Install the bot/, /Complete setup/, /alert rule/, /reports an error/, /links their Teams account/, /clicks Resolve/, /doctor/];
    expect(titles).toHaveLength(order.length);
    order.forEach((re, i) => expect(titles[i]).toMatch(re));
  });

  it("each step left its evidence", () => {
    expect(fact(/Install the bot/, "welcomeCard")).toBe(true);
    expect(fact(/Complete setup/, "integrationId")).toEqual(expect.any(Number));
    expect(fact(/alert rule/, "ruleId")).toEqual(expect.any(Number));
    expect(fact(/reports an error/, "shortId")).toMatch(/^CHECKOUT-/);
    expect(fact(/reports an error/, "deliveryStatus")).toBe("delivered");
    expect(fact(/reports an error/, "cardActivityId")).toEqual(expect.any(String));
    expect(fact(/links their Teams account/, "linked")).toBe(true);
    expect(fact(/clicks Resolve/, "status")).toBe("resolved");
    expect(fact(/clicks Resolve/, "updatedCard")).toBe(true);
    expect(fact(/clicks Resolve/, "updatedInPlace")).toBe(true);
    expect(fact(/doctor/, "doctorOk")).toBe(true);
    expect(run.result.cards.map((c) => c.name)).toEqual([
      "Welcome (posted in General)",
      "Setup confirmation (General)",
      expect.stringMatching(/^Issue CHECKOUT-\d+ \(General\)$/),
      "Link your account (1:1 chat)",
      "Account linked (1:1 chat)",
      expect.stringMatching(/^Issue CHECKOUT-\d+, resolved \(updated in place\)$/),
    ]);
  });

  it("prints every step and card for a person to read", () => {
    for (const s of run.result.steps) expect(run.stdout).toContain(`▶ ${s.n}. ${s.title}`);
    expect(run.stdout).toContain("┌─ card: Welcome (posted in General)");
    expect(run.stdout).toContain("[Complete setup]");
    expect(run.stdout).toContain("[Resolve] [Ignore] [Assign]");
    expect(run.stdout).toContain("[Unresolve] [Ignore] [Assign]");
    expect(run.stdout).toContain("✔ token exchange");
  });

  it("stops everything it started: wrangler dev and workerd are gone, the port is closed", async () => {
    const pid = fact(/Start the worker/, "workerPid") as number;
    expect(pid).toEqual(expect.any(Number));
    expect(liveGroupMembers(pid)).toEqual([]);
    const worker = fact(/Start the worker/, "worker") as string;
    await expect(fetch(`${worker}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it("writes demo-cards.html, which renders every card with the adaptivecards renderer (headless Chromium)", async () => {
    const html = join(run.outDir, "demo-cards.html");
    expect(existsSync(join(run.outDir, "adaptivecards.min.js"))).toBe(true);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
    });
    try {
      const page = await browser.newPage();
      const offPage: string[] = [];
      await page.route("**/*", (route) => {
        if (route.request().url().startsWith("file://")) return route.continue();
        offPage.push(route.request().url());
        return route.abort();
      });
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction(() => Array.isArray((window as unknown as { cardPreviewResults?: unknown }).cardPreviewResults));
      const results = await page.evaluate(() => (window as unknown as { cardPreviewResults: { name: string; ok: boolean; errors: string[] }[] }).cardPreviewResults);
      expect(results.map((r) => r.name)).toEqual(run.result.cards.map((c) => c.name));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(offPage).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe("npm run demo with a broken configuration", () => {
  it("fails at the first step that needs Microsoft, says why, exits 1 and still cleans up", async () => {
    const run = await runDemo(["--break", "credentials"]);
    try {
      expect(run.code).toBe(1);
      expect(run.result.ok).toBe(false);
      expect(run.result.failedStep).toMatchObject({ n: 4, title: expect.stringMatching(/Install the bot/) });
      expect(run.stderr).toMatch(/demo failed at step 4 .*refused the bot's credentials/);
      expect(run.stderr).toContain("invalid_client");
      expect(lastJsonLine(run.stdout)).toMatchObject({ ok: false, failedStep: { n: 4 } });
      // Fails on the refusal itself, not by waiting out a timeout (no wall-clock bound: CI machines vary).
      expect(run.stderr).not.toMatch(/timed out|timeout/i);
      expect(liveGroupMembers(run.result.workerPid!)).toEqual([]);
    } finally {
      rmSync(run.outDir, { recursive: true, force: true });
    }
  }, DEMO_TIMEOUT_MS + 10_000);
});
