/**
 * The web app in real headless Chromium, through the whole redirect dance against a stand-in sign-in authority
 * served over HTTP on 127.0.0.1: a card is posted by a real rule, its title link is opened signed out, the browser
 * goes to the authority and back, the issue page shows, the issue is resolved from it and the posted card is updated
 * at the Connector stand-in. The worker runs in Miniflare; its outbound fetches (metadata, keys, token endpoint, bot
 * token, Connector) are answered at the network boundary. Then a Teams user links their account by signing in with
 * the same Microsoft account (the link page of the bot's "link" command). Screenshots (360 px and desktop) go to
 * test-results/web/.
 */
import { mkdirSync } from "node:fs";
import { SignJWT } from "jose";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignInAuthority } from "../support/sign-in-authority";
import { startWebApp, type WebAppEnv } from "./support/web-app-env";
import { jsonOrText } from "./support/authority-server";
import { DEFAULT_BINDINGS, type WorkerHarness } from "./support/worker-harness";

const SERVICE_URL = "https://smba.trafficmanager.test/amer/";
const TENANT = "0c1d2e3f-0000-4000-8000-00000000aaaa";
const CHANNEL = "19:alerts-web@thread.tacv2";
const SHOTS = "test-results/web";

type Call = { method: string; url: string; body: any };
const calls: Call[] = [];
let authority: SignInAuthority;
let app: WebAppEnv | undefined;
let worker: WorkerHarness;
let browser: Browser;
let activityCounter = 0;

async function outbound(req: Request): Promise<Response> {
  const fromAuthority = await authority.handle(req.clone());
  if (fromAuthority) return fromAuthority;
  const text = req.method === "GET" ? "" : await req.text();
  calls.push({ method: req.method, url: req.url, body: text ? jsonOrText(text) : null });
  if (req.url === DEFAULT_BINDINGS.BOT_TOKEN_URL) {
    return Response.json({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: "standin-token" });
  }
  if (req.url.startsWith(SERVICE_URL)) {
    if (req.method === "POST" && req.url.endsWith("/activities")) return Response.json({ id: `activity-${++activityCounter}` }, { status: 201 });
    if (req.method === "PUT") return Response.json({ id: req.url.split("/").pop() });
    if (req.method === "POST" && req.url.endsWith("/v3/conversations")) return Response.json({ id: "a:personal-standin" }, { status: 201 });
  }
  return new Response("stand-in: no route", { status: 599 });
}




beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startWebApp(outbound, { fixedPublicUrl: true });
  ({ authority, worker, browser } = app);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function seedWorld() {
  const now = Date.now();
  const db = worker.db;
  const project = await worker.seed.project({ shortIdPrefix: "WEB", name: "Checkout" });
  const org = (await worker.query<{ slug: string }>("select slug from organizations where id = ?", project.organizationId))[0];
  await db.prepare("update organizations set name = 'Acme' where id = ?").bind(project.organizationId).run();
  const user = await db
    .prepare("insert into users (email, name, created_at) values (?, 'Ada Lovelace', ?) returning id")
    .bind(`ada-${now}@example.com`, now)
    .first<{ id: number }>();
  await db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'admin', ?)").bind(project.organizationId, user!.id, now).run();
  const integration = await db
    .prepare(
      `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?) returning id`,
    )
    .bind(TENANT, `19:team-${now}@thread.tacv2`, SERVICE_URL, project.organizationId, now, now)
    .first<{ id: number }>();
  await db
    .prepare(
      `insert into alert_rules (project_id, name, conditions, filters, integration_id, target_name, target_type, conversation_id, frequency_minutes, created_at)
       values (?, 'New checkout errors', '{"newIssue":true}', '{}', ?, 'Alerts', 'channel', ?, 30, ?)`,
    )
    .bind(project.projectId, integration!.id, CHANNEL, now)
    .run();
  return { project, orgSlug: org.slug, userId: user!.id, email: `ada-${now}@example.com`, integrationId: integration!.id };
}

async function ingest(projectId: number, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${worker.url}/api/projects/${projectId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  // Ingest answers with the event id once it is queued; the EVENTS consumer counts it into its issue.
  const { id } = (await res.json()) as { id: string };
  let issueId = 0;
  await expect
    .poll(async () => (issueId = (await worker.query<{ issueId: number }>("select issue_id as issueId from event_ids where id = ?", id))[0]?.issueId ?? 0), { timeout: 20_000 })
    .toBeGreaterThan(0);
  return { issueId };
}

async function shoot(page: Page, name: string) {
  for (const [label, width] of [["mobile", 360], ["desktop", 1280]] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png`, fullPage: true });
    // Nothing wider than the viewport: no sideways scrolling at 360 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  }
}

describe("web app in Chromium", () => {
  it("card link → sign in with Microsoft → issue page → resolve → the posted card is updated", async () => {
    const w = await seedWorld();
    const { issueId } = await ingest(w.project.projectId, w.project.publicKey, {
      message: "Card declined by the payment provider",
      release: "2.4.1",
      environment: "production",
      tags: { region: "eu-west", browser: "Firefox" },
      user: { id: "u-17", email: "customer@example.com" },
      exception: [
        {
          type: "PaymentDeclined",
          value: "Card declined: insufficient funds",
          stacktrace: {
            frames: [
              { filename: "node_modules/express/lib/router.js", function: "handle", lineno: 284 },
              { filename: "src/checkout/pay.ts", function: "chargeCard", lineno: 57, in_app: true },
            ],
          },
        },
      ],
    });
    // The rule posts the card (through the queue and the outbox).
    await expect.poll(() => calls.filter((c) => c.method === "POST" && c.url.includes(encodeURIComponent(CHANNEL))).length, { timeout: 20_000 }).toBeGreaterThan(0);
    const post = calls.find((c) => c.method === "POST" && c.url.includes(encodeURIComponent(CHANNEL)))!;
    const cardJson = JSON.stringify(post.body);
    const issueLink = new RegExp(`${worker.url.replace(/[.:/]/g, (m) => `\\${m}`)}/organizations/[^"\\\\]+/issues/${issueId}/`).exec(cardJson)?.[0];
    expect(issueLink, "the card links to the issue page").toBeTruthy();

    const context = await browser.newContext();
    const page = await context.newPage();
    const landing = await page.goto(worker.url);
    expect(landing!.status()).toBe(200);
    await shoot(page, "landing");

    authority.nextUser = { tenantId: TENANT, objectId: "oid-ada", email: w.email, name: "Ada Lovelace" };
    await page.goto(issueLink!);
    // Signed out → /auth/sign-in → the authority → the callback → back to the issue.
    await expect.poll(() => page.url()).toBe(issueLink);
    expect(authority.authorizeRequests.length).toBeGreaterThan(0);
    expect(await page.locator("h1").textContent()).toContain("PaymentDeclined");
    await expect.poll(() => page.getByText("src/checkout/pay.ts:57").count()).toBeGreaterThan(0);
    await shoot(page, "issue");

    await page.getByLabel("Resolve when").selectOption({ label: "Immediately" });
    await page.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Resolved.");
    expect(await page.locator(".badge.resolved").first().textContent()).toBe("Resolved");
    await expect
      .poll(() => calls.filter((c) => c.method === "PUT" && c.url.includes(encodeURIComponent(CHANNEL)) && JSON.stringify(c.body).includes("Resolved")).length, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);

    await page.goto(`${worker.url}/organizations/${w.orgSlug}/issues/`);
    expect(await page.locator("h1").textContent()).toContain("Issues · Acme");
    await shoot(page, "issues");
    await page.getByLabel("Status").selectOption("resolved");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("ul.issues li").count()).toBe(1);

    // The rule link in the card's footer opens the rule page.
    const ruleLink = /http:\/\/127\.0\.0\.1:\d+\/organizations\/[^"\\]+\/alerts\/rules\/[^"\\]+\/\d+\/details\//.exec(cardJson)?.[0];
    expect(ruleLink).toBeTruthy();
    await page.goto(ruleLink!);
    expect(await page.locator("h1").textContent()).toContain("New checkout errors");
    await shoot(page, "rule");

    // Sign out: the next visit goes to sign-in again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.url()).toBe(`${worker.url}/`);
    authority.nextUser = null;
    await context.close();
  });

  it("someone no organization has added sees what to ask their admin, and nothing is created", async () => {
    const before = await worker.query<{ n: number }>("select count(*) as n from users");
    const context = await browser.newContext();
    const page = await context.newPage();
    authority.nextUser = { tenantId: "9d9d9d9d-0000-4000-8000-000000000000", objectId: "stranger", email: "stranger@elsewhere.example", name: "Stranger" };
    await page.goto(`${worker.url}/auth/sign-in`);
    await expect.poll(() => page.locator("h1").textContent()).toBe("No account here yet");
    expect(await page.locator("[role=alert]").textContent()).toContain("Ask an admin of your organization");
    await shoot(page, "no-account");
    expect(await worker.query<{ n: number }>("select count(*) as n from users")).toEqual(before);
    await context.close();
  });

  it("links a Teams account by signing in with the same Microsoft account; another account links nothing", async () => {
    const w = await seedWorld();
    const teamsUserId = `29:teams-user-${Date.now()}`;
    // The bot's "link" command signs this link (same secret and claims as src/signing.ts).
    const jwt = await new SignJWT({
      pur: "link",
      d: { tenantId: TENANT, teamsUserId, aadObjectId: "oid-grace", integrationIds: [w.integrationId], conversationId: "a:personal-grace", serviceUrl: SERVICE_URL },
    })
      .setProtectedHeader({ alg: "HS256" })
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("15m")
      .sign(new TextEncoder().encode(DEFAULT_BINDINGS.LINK_SIGNING_SECRET));
    const linkUrl = `${worker.url}/link/${jwt}`;
    const now = Date.now();
    const grace = await worker.db
      .prepare("insert into users (email, name, created_at) values (?, 'Grace Hopper', ?) returning id")
      .bind(`grace-${now}@example.com`, now)
      .first<{ id: number }>();
    await worker.db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'member', ?)").bind(w.project.organizationId, grace!.id, now).run();

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(linkUrl);
    expect(await page.locator("h1").textContent()).toBe("Link your Teams account");
    await shoot(page, "link-sign-in");

    // First with another Microsoft account (Ada's): refused, nothing linked.
    authority.nextUser = { tenantId: TENANT, objectId: "oid-ada", email: w.email, name: "Ada Lovelace" };
    await page.getByRole("link", { name: "Sign in with Microsoft" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Another Microsoft account");
    expect(await worker.query("select id from identities where teams_user_id = ?", teamsUserId)).toEqual([]);

    // Then as Grace, whose Microsoft account is the Teams user's (tid, oid): first sign-in matches her by email.
    authority.nextUser = { tenantId: TENANT, objectId: "oid-grace", email: `grace-${now}@example.com`, name: "Grace Hopper" };
    await page.getByRole("link", { name: "Sign in with your Teams account" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Link your Teams account");
    await shoot(page, "link-confirm");
    await page.getByRole("button", { name: "Link account" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Account linked");
    const rows = await worker.query<{ user_id: number; integration_id: number }>("select user_id, integration_id from identities where teams_user_id = ?", teamsUserId);
    expect(rows).toEqual([{ user_id: grace!.id, integration_id: w.integrationId }]);
    await expect.poll(() => calls.filter((c) => c.method === "POST" && c.url.includes(encodeURIComponent("a:personal-grace"))).length, { timeout: 10_000 }).toBe(1);
    // The same link again: single use.
    await page.goto(linkUrl);
    expect(await page.locator("h1").textContent()).toBe("Link already used");
    authority.nextUser = null;
    await context.close();
  });
});
