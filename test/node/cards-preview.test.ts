/**
 * Builds the card preview page (npm run cards:preview) and opens it in headless Chromium with the official
 * adaptivecards renderer: every sample card must parse, validate and render without a renderer error. Saves a
 * screenshot to test-results/cards-preview.png as a CI artifact.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");
const htmlPath = join(root, "dist/cards-preview.html");

type Result = { kind: string; name: string; ok: boolean; errors: string[] };

describe("card preview in headless Chromium", () => {
  let browser: Browser;
  let results: Result[];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const offPageRequests: string[] = [];
  let executed: string[] = [];
  let visible: { heading: string; shown: string[]; hidden: number; detailsOpen: boolean }[] = [];
  let figureWidths: number[] = [];
  let clipped: string[] = [];
  let assignBox = "";

  beforeAll(async () => {
    // The npm script, as people run it.
    await promisify(execFile)("npm", ["run", "--silent", "cards:preview"], { cwd: root });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
      if (m.type() === "log" && m.text().startsWith("action ")) executed.push(m.text());
    });
    // The page must be self-contained: anything but file:// is recorded and refused.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://")) return route.continue();
      offPageRequests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(() => Array.isArray((window as unknown as { cardPreviewResults?: unknown }).cardPreviewResults));
    results = await page.evaluate(() => (window as unknown as { cardPreviewResults: Result[] }).cardPreviewResults);

    // What a reviewer sees without opening anything: one card per kind, and the clipped texts at Teams' width.
    visible = await page.evaluate(() =>
      Array.from(document.querySelectorAll("section")).map((section) => ({
        heading: section.querySelector("h2")!.textContent!,
        shown: Array.from(section.querySelectorAll(":scope > .grid > figure figcaption")).map((c) => c.textContent!),
        hidden: section.querySelectorAll("details figure").length,
        detailsOpen: Array.from(section.querySelectorAll("details")).some((d) => d.open),
      })),
    );
    figureWidths = await page.evaluate(() => Array.from(document.querySelectorAll("figure")).map((f) => f.getBoundingClientRect().width));
    clipped = await page.evaluate(() => {
      document.querySelectorAll("details").forEach((d) => (d.open = true));
      return Array.from(document.querySelectorAll(".ac-textBlock, .ac-textBlock *, .ac-factset *"))
        .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible")
        .map((el) => `${el.closest("figure")!.querySelector("figcaption")!.textContent}: ${el.textContent!.slice(0, 60)}`);
    });

    // Open the Assign ShowCard of the issue card as first posted: the box shows the default choice's title.
    const unassigned = page.locator("figure", { hasText: "issue: a new error as first posted (unassigned, 1 rule)" });
    await unassigned.getByRole("button", { name: "Assign" }).first().click();
    assignBox = await unassigned.locator("input.ac-choiceSetInput-filtered").inputValue();
    // Press its Submit: the renderer hands us the payload.
    executed = [];
    await unassigned.getByRole("button", { name: "Assign" }).last().click();
    await page.waitForTimeout(100);

    await mkdir(join(root, "test-results"), { recursive: true });
    await page.screenshot({ path: join(root, "test-results/cards-preview.png"), fullPage: true });
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("renders every sample card without a renderer error", () => {
    expect(results.length).toBeGreaterThanOrEqual(54 + 3 + 14);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("covers the issue state matrix and every conversational card", () => {
    const names = results.map((r) => r.name);
    expect(names.filter((n) => n.startsWith("issue: ")).length).toBeGreaterThanOrEqual(54);
    for (const card of ["welcome", "installation confirmation", "personal installation", "help", "channel help", "subscribed", "subscriptions", "project matches", "usage", "refusal", "notifications", "unrecognized", "link prompt", "linked", "unlink", "unlinked", "already linked", "action result", "regression reply"]) {
      expect(names.some((n) => n.startsWith(`conversation: ${card}`)), card).toBe(true);
    }
  });

  it("issues the variants: one section per card kind showing one card, the other variants closed", () => {
    const headings = visible.map((v) => v.heading);
    expect(headings[0]).toMatch(/^Issue card \(\d+ variants\)$/);
    expect(headings).toContain("Help");
    expect(headings).toContain("Action result (2 variants)");
    expect(new Set(results.map((r) => r.kind)).size).toBe(visible.length);
    for (const section of visible) {
      expect(section.shown, section.heading).toHaveLength(1);
      expect(section.detailsOpen, section.heading).toBe(false);
    }
    expect(visible[0].shown[0]).toMatch(/^issue: a new error as first posted/);
    expect(visible.reduce((n, v) => n + v.shown.length + v.hidden, 0)).toBe(results.length);
  });

  it("every card is laid out at Teams' width and no text is clipped", () => {
    expect(new Set(figureWidths)).toEqual(new Set([480]));
    expect(clipped).toEqual([]);
  });

  it("the Assign box shows the default choice's title (Me), not its value", () => {
    expect(assignBox).toBe("Me");
  });

  it("the Assign submit hands the renderer the wire payload with the chosen input", () => {
    expect(executed).toHaveLength(1);
    const data = JSON.parse(executed[0].replace(/^action Action\.Submit /, ""));
    expect(data).toMatchObject({ payload: { actionType: "3", groupId: 42, integrationId: 7 }, assignInput: "ME" });
  });

  it("fetches nothing off the page", () => {
    expect(offPageRequests).toEqual([]);
  });
});
