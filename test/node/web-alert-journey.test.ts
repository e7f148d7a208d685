/**
 * The alert pages in real headless Chromium against the real worker (Miniflare, local D1, the real queues), Microsoft
 * answered at the network boundary (token endpoint, sign-in authority, and a Connector that answers the team's
 * conversations list and paged roster as Teams does). The journey: sign in → create a project on the Projects page
 * and copy its DSN → a rule created with the picker → "Send a test card" arrives at the Connector → an event sent with
 * @sentry/node to that DSN → its card arrives → a delivery Teams refuses ends dead → Retry on the Deliveries page → delivered. Every page is
 * screenshotted (360 px and desktop) into test-results/web/.
 */
import { mkdirSync } from "node:fs";
import * as Sentry from "@sentry/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignInAuthority } from "../support/sign-in-authority";
import { startWebApp, type WebAppEnv } from "./support/web-app-env";
import { jsonOrText } from "./support/authority-server";
import { DEFAULT_BINDINGS, type WorkerHarness } from "./support/worker-harness";

const SERVICE_URL = "https://smba.trafficmanager.test/amer/";
const TENANT = "0c1d2e3f-0000-4000-8000-00000000bbbb";
const TEAM = "19:team-journey@thread.tacv2";
const CHANNEL = "19:alerts-journey@thread.tacv2";
const SHOTS = "test-results/web";
const TEST_HEADLINE = "Test card — this is what an alert from this rule looks like";

type Call = { method: string; url: string; status: number; body: any };
const calls: Call[] = [];
/** How many of the next card posts the Connector refuses for good (413 MessageSizeTooBig: the delivery ends dead). */
let refusePosts = 0;
let authority: SignInAuthority;
let app: WebAppEnv | undefined;
let worker: WorkerHarness;
let browser: Browser;
let activityCounter = 0;

async function connector(req: Request, path: string, body: any): Promise<Response> {
  // The team's channels: General is the unnamed one whose id is the team id (as Teams answers).
  if (req.method === "GET" && path === `v3/teams/${encodeURIComponent(TEAM)}/conversations`) {
    return Response.json({ conversations: [{ id: TEAM, name: null }, { id: CHANNEL, name: "Alerts" }] });
  }
  if (req.method === "GET" && path.startsWith(`v3/conversations/${encodeURIComponent(TEAM)}/pagedmembers`)) {
    return Response.json({ members: [{ id: "29:grace", name: "Grace Hopper", aadObjectId: "aad-grace", tenantId: TENANT }] });
  }
  if (req.method === "POST" && path.endsWith("/activities")) {
    if (refusePosts > 0 && !JSON.stringify(body).includes(TEST_HEADLINE)) {
      refusePosts--;
      return Response.json({ error: { code: "MessageSizeTooBig", message: "Message size too big" } }, { status: 413 });
    }
    return Response.json({ id: `activity-${++activityCounter}` }, { status: 201 });
  }
  if (req.method === "PUT") return Response.json({ id: path.split("/").pop() });
  return Response.json({ error: { code: "BadSyntax", message: "stand-in: no such call" } }, { status: 400 });
}

async function outbound(req: Request): Promise<Response> {
  const fromAuthority = await authority.handle(req.clone());
  if (fromAuthority) return fromAuthority;
  const text = req.method === "GET" ? "" : await req.text();
  const body = text ? jsonOrText(text) : null;
  let answer: Response;
  if (req.url === DEFAULT_BINDINGS.BOT_TOKEN_URL) {
    answer = Response.json({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: "standin-token" });
  } else if (req.url.startsWith(SERVICE_URL)) {
    answer = await connector(req, req.url.slice(SERVICE_URL.length), body);
  } else {
    answer = new Response("stand-in: no route", { status: 599 });
  }
  calls.push({ method: req.method, url: req.url, status: answer.status, body });
  return answer;
}




async function adminApi<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${worker.url}/api/admin${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEFAULT_BINDINGS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as T;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startWebApp(outbound, { fixedPublicUrl: true });
  ({ authority, worker, browser } = app);
}, 60_000);

afterAll(async () => {
  await Sentry.close(2000);
  await app?.close();
});

async function shoot(page: Page, name: string) {
  for (const [label, width] of [["mobile", 360], ["desktop", 1280]] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png`, fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  }
}

const postsTo = (conversation: string) => calls.filter((c) => c.method === "POST" && c.url.includes(`/v3/conversations/${encodeURIComponent(conversation)}/activities`));

describe("alert rules, installations and deliveries in Chromium", () => {
  it("create a project, copy its DSN → rule with the picker → test card → @sentry/node event's card → dead delivery retried from the Deliveries page", async () => {
    // The organization and its admin (a fresh deployment's first steps); the project is made on the Projects page below.
    const org = await adminApi<{ id: number; slug: string }>("/organizations", { name: "Acme", slug: "acme" });
    const email = "ada@acme.example";
    const user = await adminApi<{ id: number }>("/users", { email, name: "Ada Lovelace" });
    await adminApi(`/organizations/${org.id}/members`, { userId: user.id, role: "admin" });
    // A team connected to the organization (what "Complete setup" in Teams leaves behind).
    const now = Date.now();
    await worker.db
      .prepare(
        `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
         values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?)`,
      )
      .bind(TENANT, TEAM, SERVICE_URL, org.id, now, now)
      .run();

    const context = await browser.newContext();
    const page = await context.newPage();
    authority.nextUser = { tenantId: TENANT, objectId: "oid-ada", email, name: "Ada Lovelace" };
    // Create the project on the Projects page and copy its DSN off the project's page.
    const projectsUrl = `${worker.url}/organizations/acme/projects/`;
    await page.goto(projectsUrl);
    await expect.poll(() => page.url(), { timeout: 20_000 }).toBe(projectsUrl);
    await page.getByLabel("Slug").fill("checkout");
    await page.getByLabel("Name (optional)").fill("Checkout");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Checkout");
    const dsn = (await page.locator("#dsn").textContent())!.trim();
    const [project] = await worker.query<{ id: number }>("select id from projects where organization_id = ? and slug = 'checkout'", org.id);
    expect(dsn).toMatch(new RegExp(`^http://[0-9a-f]{32}@127\\.0\\.0\\.1:\\d+/${project.id}$`));

    await page.getByRole("link", { name: "Alert rules" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Alert rules");

    // The form: a submit without conditions or target shows each error next to its field.
    await page.getByRole("link", { name: "New rule for Checkout" }).click();
    await shoot(page, "rule-form");
    await page.getByLabel("Name").fill("Checkout errors");
    await page.getByLabel("A new issue is created").uncheck();
    await page.getByLabel("A resolved issue happens again (regression)").uncheck();
    await page.getByRole("button", { name: "Create the rule" }).click();
    await expect.poll(() => page.locator("#conditions-error").textContent()).toBe("Choose at least one condition.");
    expect(await page.locator("#target-error").textContent()).toBe("Choose where the alerts go.");
    expect(await page.getByLabel("Name").inputValue()).toBe("Checkout errors");
    await shoot(page, "rule-form-errors");

    // The picker lists the team's live channels and people.
    const options = await page.locator("#target option").allTextContents();
    expect(options).toEqual(expect.arrayContaining(["General", "Alerts", "Grace Hopper"]));
    await page.getByLabel("A new issue is created").check();
    await page.getByLabel("Level at least").selectOption("error");
    await page.getByLabel("Post to").selectOption({ label: "Alerts" });
    await page.getByRole("button", { name: "Create the rule" }).click();
    await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Rule created.");
    expect(await worker.query("select name, target_name, conversation_id, created_via from alert_rules where project_id = ?", project.id)).toEqual([
      { name: "Checkout errors", target_name: "Alerts", conversation_id: CHANNEL, created_via: "web" },
    ]);

    // Send a test card: it arrives at the Connector, clearly marked.
    await page.getByRole("button", { name: "Send a test card" }).click();
    await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Delivered: Teams accepted the test card for channel Alerts in Platform.");
    expect(postsTo(CHANNEL).filter((c) => c.status === 201 && JSON.stringify(c.body).includes(TEST_HEADLINE))).toHaveLength(1);
    await shoot(page, "rule-details");

    // A real SDK sends an event: the rule posts its card.
    Sentry.init({ dsn, release: "checkout@1.0.0", environment: "production", defaultIntegrations: false, integrations: [] });
    Sentry.captureException(new TypeError("Cannot read properties of undefined (reading 'total')"));
    expect(await Sentry.flush(5000)).toBe(true);
    await expect
      .poll(() => postsTo(CHANNEL).filter((c) => c.status === 201 && JSON.stringify(c.body).includes("reading 'total'")).length, { timeout: 30_000 })
      .toBe(1);

    // The next card is refused for good: its delivery ends dead.
    refusePosts = 1;
    Sentry.captureException(new RangeError("Invalid currency code: XXX"));
    expect(await Sentry.flush(5000)).toBe(true);
    await expect
      .poll(async () => (await worker.query<{ n: number }>("select count(*) as n from deliveries where status = 'dead'"))[0].n, { timeout: 30_000 })
      .toBe(1);

    await page.getByRole("link", { name: "Deliveries" }).click();
    await page.getByLabel("Status").selectOption("dead");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("ul.issues li").count()).toBe(1);
    expect(await page.locator("ul.issues li").textContent()).toContain("Last error: MessageSizeTooBig");
    await shoot(page, "deliveries");
    await page.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("is queued again");
    await expect
      .poll(async () => (await worker.query<{ status: string }>("select status from deliveries where last_error is null and status = 'delivered' and issue_id = (select max(id) from issues)")).length, {
        timeout: 30_000,
      })
      .toBe(1);
    expect(postsTo(CHANNEL).filter((c) => c.status === 201 && JSON.stringify(c.body).includes("Invalid currency code"))).toHaveLength(1);

    // The rule list (with a rule Teams made us turn off, as a failed delivery leaves it) and the installations page.
    await worker.db
      .prepare(
        `insert into alert_rules (project_id, name, conditions, filters, integration_id, target_name, target_type, conversation_id, frequency_minutes, status, status_reason, created_at)
         select ?, 'Regressions to Grace', '{"regression":true}', '{}', id, 'Grace Hopper', 'user', 'a:personal-grace', 30, 'disabled', 'Teams refused delivery: ConversationBlockedByUser', ? from integrations where external_id = ?`,
      )
      .bind(project.id, Date.now(), TEAM)
      .run();
    await page.getByRole("link", { name: "Alert rules" }).click();
    expect(await page.locator("ul.issues li").first().textContent()).toContain("Checkout errors");
    expect(await page.locator("ul.issues li").nth(1).textContent()).toContain("Teams refused a card for good (ConversationBlockedByUser), so the rule was turned off.");
    await shoot(page, "rules");
    await page.getByRole("link", { name: "Teams installations" }).click();
    await expect.poll(() => page.locator("ul.checks").first().textContent()).toContain("Active, connected to organization");
    await shoot(page, "installations");
    // The confirmations before anything destructive.
    await page.getByRole("link", { name: "Disconnect…" }).click();
    expect(await page.locator("h1").textContent()).toBe("Disconnect Platform?");
    await shoot(page, "installation-disconnect");
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("link", { name: "Alert rules" }).click();
    await page.getByRole("link", { name: "Checkout errors" }).click();
    await page.getByRole("link", { name: "Edit" }).click();
    expect(await page.locator("#target option").first().textContent()).toBe("Keep: channel Alerts in Platform");
    await shoot(page, "rule-edit");
    await page.goBack();
    await page.getByRole("link", { name: "Delete…" }).click();
    expect(await page.locator("h1").textContent()).toBe("Delete the alert rule Checkout errors?");
    await shoot(page, "rule-delete");
    await page.getByRole("link", { name: "Cancel" }).click();
    expect(await worker.query("select status from integrations where external_id = ?", TEAM)).toEqual([{ status: "active" }]);
    expect(await worker.query("select status from alert_rules where name = 'Checkout errors'")).toEqual([{ status: "active" }]);
    authority.nextUser = null;
    await context.close();
  }, 240_000);
});
