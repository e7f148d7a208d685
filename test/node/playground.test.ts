/**
 * The Teams playground of `npm start`, in real headless Chromium against the real worker (wrangler dev) and the
 * local Microsoft stand-in, as a new user would go through it: the first five minutes from the playground's own
 * "Getting started" (its commands run as shown, and its web step: a rule made with the picker, a test card),
 * asserting on what the page shows — the cards' rendered text and the issue's status after the click — and then that
 * the state survives a restart.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./support/ports";

const ROOT = resolve(__dirname, "../..");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
// A loaded 2-core machine starts wrangler slowly: generous bounds, no timing claims (bench/startup.mjs measures).
const START_TIMEOUT_MS = 240_000;
const UI_TIMEOUT_MS = 60_000;

type Started = { child: ChildProcess; log: () => string; exited: Promise<number | null> };

function startNpmStart(args: string[]): Promise<Started> {
  let log = "";
  const child = spawn("node", [join(ROOT, "scripts/start.mjs"), ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready within ${START_TIMEOUT_MS} ms:\n${log}`)), START_TIMEOUT_MS);
    const check = setInterval(() => {
      if (/Ready in [\d.]+ s/.test(log)) {
        clearInterval(check);
        clearTimeout(timer);
        resolveStarted({ child, log: () => log, exited });
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`npm start exited early:\n${log}`));
      }
    }, 200);
  });
}

async function stop(s: Started) {
  s.child.kill("SIGINT");
  return s.exited;
}

/** Runs a command shown on the page with bash, as a reader would paste it; returns its JSON answer. */
function runShown(command: string) {
  return JSON.parse(execFileSync("bash", ["-c", `set -euo pipefail\n${command.replace(/^curl /, "curl --fail-with-body ")}`], { env, encoding: "utf8" }));
}

describe("the Teams playground (npm start, headless Chromium)", () => {
  let dir: string;
  let args: string[];
  let started: Started;
  let browser: Browser;
  let page: Page;
  let playground: string;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "playground-test-"));
    const [port, playgroundPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    playground = `http://127.0.0.1:${playgroundPort}/`;
    args = ["--persist-to", join(dir, "state"), "--dev-vars", join(dir, "dev.vars"), "--port", String(port), "--playground-port", String(playgroundPort)];
    started = await startNpmStart(args);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    if (started && started.child.exitCode === null) await stop(started);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const channel = (team: string, name: string) => page.locator(`.team[data-team="${team}"] .nav-item`, { hasText: name });
  const post = (text: string) => page.locator("#messages article.post").filter({ hasText: text });
  const shown = async (name: string) => (await page.locator(`[data-command="${name}"]`).textContent())!;

  it("prints the stand-in's addresses and the first five minutes", () => {
    const log = started.log();
    expect(log).toContain(`Teams playground: ${playground}`);
    for (const line of ["Bot Framework keys", "token endpoint", "Bot Connector", "sign-in authority"]) expect(log).toContain(line);
    expect(log).toContain(`${playground.replace(/\/$/, "")}/organizations/v2.0/.well-known/openid-configuration`);
    expect(log).toContain("The first five minutes");
    expect(log).not.toMatch(/Address already in use|ERROR/);
  });

  it("walks the first five minutes: install → setup → rule → event → card → link → Resolve → the card updates in place", async () => {
    await page.goto(playground);
    await expect(page.locator("#guide h1").textContent()).resolves.toContain("Getting started");
    await expect(page.locator('[data-step="rule"]').textContent()).resolves.toContain("complete step 2 first");

    // 1. Add the app to a team: the bot's welcome card arrives in General, rendered.
    await channel("Platform", "General").click();
    await expect(page.locator("#messages .empty").textContent()).resolves.toContain("Nothing here yet");
    await page.getByRole("button", { name: "Add Issue Alerts to Platform" }).click();
    await post("Welcome to Issue Alerts").waitFor();
    // The page learns of the install once the worker took both activities (the welcome card may come first).
    await expect.poll(() => page.locator('.team[data-team="Platform"] .badge').textContent(), { timeout: UI_TIMEOUT_MS }).toBe("app added");

    // 2. Complete setup on the page the card's button opens.
    const [setup] = await Promise.all([page.waitForEvent("popup"), post("Welcome to Issue Alerts").getByRole("link", { name: "Complete setup" }).click()]);
    await setup.getByLabel("Organization slug").fill("demo");
    // A fresh deployment's first team: the admin-token form (later teams need a signed-in organization admin).
    await setup.getByLabel("Admin token").fill(await guideAdminToken());
    await setup.getByRole("button", { name: "Connect" }).click();
    await setup.getByText(/is now connected to/).waitFor();
    await setup.close();
    await post("Installation for Demo is successful").waitFor();

    // 3. An alert rule in the web app (the guide's link): the picker lists Platform's live channels and people (the
    //    stand-in's Connector), and "Send a test card" posts the marked sample into Platform › Alerts.
    await page.locator(".guide-link").click();
    await page.waitForFunction(() => !document.querySelector('[data-command="rule"]')!.textContent!.includes("complete step 2"));
    const [web] = await Promise.all([page.waitForEvent("popup"), page.locator('[data-step="rule"]').getByRole("link", { name: "Alert rules" }).click()]);
    await web.locator('button[data-user="admin@example.com"]').click();
    await web.getByRole("link", { name: /^New rule for / }).click();
    expect(await web.locator("#target option").allTextContents()).toEqual(expect.arrayContaining(["General", "Alerts", "Ada Lovelace", "Grace Hopper"]));
    await web.getByLabel("Name").fill("New issues to Alerts");
    await web.getByLabel("Post to").selectOption({ label: "Alerts" });
    await web.getByRole("button", { name: "Create the rule" }).click();
    await web.getByRole("button", { name: "Send a test card" }).click();
    await web.getByText("Delivered: Teams accepted the test card for channel Alerts in Platform.").waitFor();
    // Signed out again, so step 5 signs in from the link page as a new visitor would.
    await web.getByRole("button", { name: "Sign out" }).click();
    await web.waitForURL(/\/$/);
    await web.close();
    await channel("Platform", "Alerts").click();
    await post("Test card — this is what an alert from this rule looks like").waitFor();

    // 3. (again) + 4. The rule and the event, with the commands the guide shows (filled in with this installation's id).
    await page.locator(".guide-link").click();
    await page.waitForFunction(() => !document.querySelector('[data-command="rule"]')!.textContent!.includes("complete step 2"));
    await expect(page.locator('[data-step="setup"]').getAttribute("class")).resolves.toBe("done");
    expect(runShown(await shown("rule"))).toMatchObject({ name: "New issues to General", action: { target: "General" } });
    // Ingest answers with the event's id once it is queued; the card below shows it was counted into DEMO-1.
    expect(runShown(await shown("event"))).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await channel("Platform", "General").click();
    const issue = post("DEMO-1");
    await issue.waitFor();
    await expect(issue.textContent()).resolves.toMatch(/Unresolved · New.*TypeError: cart\.total is undefined/s);

    // 5. Not linked yet: Resolve gets the link prompt in the personal chat, and the card stays as it was.
    await resolveOn(issue);
    await issue.locator(".card-status", { hasText: "answered 200" }).waitFor();
    await page.locator("#chats .nav-item").click();
    await post("Link your account").first().waitFor();
    await page.locator("#text").fill("link");
    await page.locator("#text").press("Enter");
    await page.locator("#messages .msg.mine", { hasText: "link" }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll("#messages .ac-adaptiveCard").length >= 2);
    const [link] = await Promise.all([page.waitForEvent("popup"), page.getByRole("link", { name: "Link your account" }).last().click()]);
    // Sign in with Microsoft at the stand-in's account picker, as the same person (their tenant and object id).
    await link.getByRole("link", { name: "Sign in with Microsoft" }).click();
    await link.locator('button[data-user="admin@example.com"]').click();
    await link.getByRole("button", { name: "Link account" }).click();
    await link.getByText(/is now linked to admin@example\.com/).waitFor();
    await link.close();
    await post("Your Microsoft Teams account is linked.").waitFor();

    // 6. Resolve: the card is re-rendered in place (same message, "Edited") with the resolved status.
    await channel("Platform", "General").click();
    await resolveOn(issue);
    await issue.getByRole("button", { name: "Unresolve", exact: true }).waitFor();
    await expect(issue.textContent()).resolves.toMatch(/Edited.*Resolved.*TypeError: cart\.total is undefined.*Resolved by admin@example\.com/s);
    await expect(issue.getByRole("button", { name: "Resolve", exact: true }).count()).resolves.toBe(0);
    await expect(page.locator("#messages article.post").count()).resolves.toBe(3); // updated, not posted anew
    const row = await (await fetch(`${base}/api/admin/issues/1`, { headers: { authorization: `Bearer ${await guideAdminToken()}` } })).json();
    expect(row.issue.status).toBe("resolved");
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it("an @mention in a channel: the help card lands in the post's thread", async () => {
    await channel("Platform", "Alerts").click();
    await page.locator("#text").fill("help");
    await page.locator("#text").press("Enter");
    const thread = post("@Issue Alerts help");
    await thread.locator(".replies .ac-adaptiveCard").waitFor();
    await expect(thread.locator(".replies").textContent()).resolves.toContain("Issue Alerts");
  }, 120_000);

  it("another person sees their own chat; removing the app marks the team and disables the installation", async () => {
    await page.locator("#user").selectOption({ label: "Ada Lovelace (ada@example.com)" });
    await page.waitForFunction(() => (window as any).playground?.state()?.me.name === "Ada Lovelace");
    await page.locator("#chats .nav-item").click();
    await expect(page.locator("#messages .empty").textContent()).resolves.toContain("Your chat with Issue Alerts");
    await channel("Platform", "General").click();
    await page.getByRole("button", { name: "Remove Issue Alerts from Platform" }).click();
    await expect.poll(() => page.locator('.team[data-team="Platform"] .badge').textContent(), { timeout: UI_TIMEOUT_MS }).toBe("no app");
    const { integrations } = await (await fetch(`${base}/api/admin/integrations`, { headers: { authorization: `Bearer ${await guideAdminToken()}` } })).json();
    expect(integrations.map((i: { status: string }) => i.status)).toEqual(["disabled"]);
  }, 120_000);

  it("after a restart (Ctrl-C, npm start again) the conversations and the resolved card are still there", async () => {
    expect(await stop(started)).toBe(0);
    started = await startNpmStart(args);
    expect(started.log()).toContain("not seeding");
    await page.goto(playground);
    await page.locator("#user").selectOption({ label: "Demo Admin (admin@example.com)" });
    await page.waitForFunction(() => (window as any).playground?.state()?.me.name === "Demo Admin");
    await channel("Platform", "General").click();
    await post("DEMO-1").getByRole("button", { name: "Unresolve", exact: true }).waitFor();
    await expect(page.locator("#messages article.post").count()).resolves.toBe(3);
  }, START_TIMEOUT_MS + 60_000);

  /** Resolve → (the panel opens: Immediately is preselected) → its Resolve submit. The panel may be open already. */
  async function resolveOn(card: ReturnType<typeof post>) {
    const buttons = card.getByRole("button", { name: "Resolve", exact: true });
    if ((await buttons.count()) === 1) await buttons.first().click();
    await expect.poll(() => buttons.count()).toBe(2);
    await buttons.last().click();
  }

  async function guideAdminToken() {
    const state = await (await fetch(`${playground}playground/api/state`)).json();
    return state.guide.adminToken as string;
  }
});
