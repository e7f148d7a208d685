/**
 * The link page in real headless Chromium: a person opens the signed link from the Teams link prompt, enters their
 * personal API token, sees success, and the bot sends the "linked" card to their 1:1 chat. The worker runs in
 * Miniflare on 127.0.0.1; Microsoft (token endpoint, Connector) is answered at the worker's outbound fetch.
 */
import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BINDINGS, startWorker, type WorkerHarness } from "./support/worker-harness";

const SERVICE_URL = "https://smba.trafficmanager.test/amer/";
const TENANT = "tenant-link-page";
const calls: { method: string; url: string; body: any }[] = [];

async function outbound(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const text = req.method === "GET" ? "" : await req.text();
  calls.push({ method: req.method, url: req.url, body: text ? safeJson(text) : null });
  if (req.url === DEFAULT_BINDINGS.BOT_TOKEN_URL) {
    return Response.json({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: "standin-token" });
  }
  if (req.url.startsWith(SERVICE_URL) && url.pathname.endsWith("/activities")) return Response.json({ id: "activity-1" }, { status: 201 });
  return new Response("not here", { status: 599 });
}

function safeJson(t: string) {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

let worker: WorkerHarness;
let browser: Browser;

beforeAll(async () => {
  worker = await startWorker({ outboundService: outbound });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
});

async function seed() {
  const now = Date.now();
  const db = worker.db;
  const org = await worker.seed.organization({ name: "Acme", slug: `acme-${now}` });
  const user = await db.prepare("insert into users (email, name, created_at) values (?, 'Ada', ?) returning id").bind(`ada-${now}@example.com`, now).first<{ id: number }>();
  await db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'member', ?)").bind(org.organizationId, user!.id, now).run();
  const token = `tia_${randomBytes(32).toString("base64url")}`;
  const hash = createHash("sha256").update(token).digest("hex");
  await db.prepare("insert into api_tokens (user_id, name, token_hash, created_at) values (?, 'browser', ?, ?)").bind(user!.id, hash, now).run();
  const integration = await db
    .prepare(
      `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('msteams', ?, ?, 'Platform', ?, 'team', 'active', ?, ?, ?) returning id`,
    )
    .bind(TENANT, `19:team-${now}@thread.tacv2`, SERVICE_URL, org.organizationId, now, now)
    .first<{ id: number }>();
  return { userId: user!.id, token, integrationId: integration!.id };
}

/** A link as the bot signs it (same secret and claims as src/signing.ts). */
async function linkUrl(data: Record<string, unknown>, purpose: "link" | "unlink" = "link") {
  const jwt = await new SignJWT({ pur: purpose, d: data })
    .setProtectedHeader({ alg: "HS256" })
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime("15m")
    .sign(new TextEncoder().encode(DEFAULT_BINDINGS.LINK_SIGNING_SECRET));
  return `${worker.url}/${purpose}/${jwt}`;
}

describe("link page in Chromium", () => {
  it("opens, authenticates with a personal token, shows success and sends the linked card", async () => {
    const { userId, token, integrationId } = await seed();
    const teamsUserId = "29:browser-user";
    const url = await linkUrl({
      tenantId: TENANT,
      teamsUserId,
      aadObjectId: "aad-1",
      integrationIds: [integrationId],
      conversationId: "a:personal-chat",
      serviceUrl: SERVICE_URL,
    });
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.locator("h1").textContent()).toContain("Link your Teams account");
    // A wrong token first: the page says so and nothing is linked.
    await page.getByLabel("Your personal API token").fill("tia_wrong");
    await page.getByRole("button", { name: "Link account" }).click();
    await expect.poll(async () => page.locator("[role=alert]").textContent()).toContain("not valid");
    await page.getByLabel("Your personal API token").fill(token);
    await page.getByRole("button", { name: "Link account" }).click();
    await expect.poll(async () => page.locator("h1").textContent()).toContain("Account linked");
    await page.screenshot({ path: "test-results/link-page.png" });
    const rows = await worker.query<{ user_id: number; integration_id: number }>("select user_id, integration_id from identities where teams_user_id = ?", teamsUserId);
    expect(rows).toEqual([{ user_id: userId, integration_id: integrationId }]);
    await expect.poll(() => calls.filter((c) => c.method === "POST" && c.url.includes("a%3Apersonal-chat/activities")).length, { timeout: 10_000 }).toBe(1);
    const sent = calls.find((c) => c.url.includes("a%3Apersonal-chat/activities"))!;
    expect(JSON.stringify(sent.body)).toMatch(/linked/i);
    // The same link again: single use, refused before any form is shown.
    const again = await page.goto(url);
    expect(again?.status()).toBe(400);
    expect(await page.locator("h1").textContent()).toBe("Link already used");
    expect(await page.locator("[role=alert]").textContent()).toContain("already used");
    expect(await page.locator("form").count()).toBe(0);
    await page.close();
  });

  it("refusal pages (used link, malformed link) read well and are styled under the strict CSP", async () => {
    const { token, integrationId } = await seed();
    const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    const url = await linkUrl({
      tenantId: TENANT,
      teamsUserId: "29:browser-user-2",
      aadObjectId: null,
      integrationIds: [integrationId],
      conversationId: "a:personal-chat-2",
      serviceUrl: SERVICE_URL,
    });
    await page.goto(url);
    await page.getByLabel("Your personal API token").fill(token);
    await page.getByRole("button", { name: "Link account" }).click();
    await expect.poll(async () => page.locator("h1").textContent()).toContain("Account linked");
    await page.goto(url);
    expect(await page.locator("h1").textContent()).toBe("Link already used");
    // The stylesheet applied (allowed by its hash): the error text has the page's error colour and the body its width.
    expect(await page.locator("[role=alert]").evaluate((el) => getComputedStyle(el).color)).toBe("rgb(164, 38, 44)");
    expect(await page.locator("body").evaluate((el) => getComputedStyle(el).maxWidth)).toBe("576px");
    await page.screenshot({ path: "test-results/link-used.png" });

    await page.goto(`${worker.url}/link/${await signed("link", null)}`);
    expect(await page.locator("h1").textContent()).toBe("Link not valid");
    expect(await page.locator("[role=alert]").textContent()).toContain("invalid or has expired");
    await page.screenshot({ path: "test-results/link-malformed.png" });
    await page.goto(`${worker.url}/setup/${await signed("setup", { integrationId: "1" })}`);
    expect(await page.locator("h1").textContent()).toBe("Setup link not valid");
    await page.screenshot({ path: "test-results/setup-malformed.png" });
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("the one-button unlink page cannot be framed by another site", async () => {
    const { integrationId } = await seed();
    const url = await linkUrl(
      { tenantId: TENANT, teamsUserId: "29:framed", aadObjectId: null, integrationIds: [integrationId], conversationId: "a:c", serviceUrl: SERVICE_URL },
      "unlink",
    );
    const page = await browser.newPage();
    // Opened directly it shows its button (the URL is a working unlink link)...
    await page.goto(url);
    expect(await page.getByRole("button", { name: "Unlink account" }).count()).toBe(1);
    // ...but inside another origin's iframe, Chromium refuses to render it (frame-ancestors 'none', X-Frame-Options).
    await page.setContent(`<iframe id="f" src="${url}" width="600" height="300"></iframe>`);
    await page.locator("#f").waitFor();
    await expect.poll(() => page.frames().length).toBe(2);
    const frame = page.frames()[1];
    await expect.poll(async () => frame.url()).not.toBe("about:blank");
    expect(await frame.locator("button").count()).toBe(0);
    await page.close();
  });
});

/** A token signed like the bot's (secret, purpose, nonce, expiry) around any payload. */
async function signed(purpose: string, d: unknown) {
  return new SignJWT({ pur: purpose, d })
    .setProtectedHeader({ alg: "HS256" })
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime("15m")
    .sign(new TextEncoder().encode(DEFAULT_BINDINGS.LINK_SIGNING_SECRET));
}
