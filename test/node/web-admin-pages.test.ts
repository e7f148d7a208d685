/**
 * The configuration pages in real headless Chromium, signed in through the stand-in authority (served over HTTP on
 * 127.0.0.1, as in web-app.test.ts): an admin creates a project, reads its DSN off the page, the real @sentry/node
 * sends an error to that DSN, and the issue shows in the issue list. Then the People page (an invitation), the Me
 * page, and the public about / privacy / terms pages. Every page is screenshotted at 360 px and 1280 px into
 * test-results/web/ and must not scroll sideways at 360 px.
 */
import { mkdirSync } from "node:fs";
import * as Sentry from "@sentry/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignInAuthority } from "../support/sign-in-authority";
import { startWebApp, type WebAppEnv } from "./support/web-app-env";
import type { WorkerHarness } from "./support/worker-harness";

const TENANT = "0c1d2e3f-0000-4000-8000-00000000bbbb";
const SHOTS = "test-results/web";

let authority: SignInAuthority;
let app: WebAppEnv | undefined;
let worker: WorkerHarness;
let browser: Browser;

async function outbound(req: Request): Promise<Response> {
  return (await authority.handle(req.clone())) ?? new Response("stand-in: no route", { status: 599 });
}


beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startWebApp(outbound);
  ({ authority, worker, browser } = app);
}, 60_000);

afterAll(async () => {
  await Sentry.close(2000);
  await app?.close();
});

/** An organization "Acme" with an admin, connected to TENANT (so the admin signs in by email). */
async function seedOrg() {
  const now = Date.now();
  const db = worker.db;
  const { organizationId } = await worker.seed.organization();
  await db.prepare("update organizations set name = 'Acme' where id = ?").bind(organizationId).run();
  const slug = (await worker.query<{ slug: string }>("select slug from organizations where id = ?", organizationId))[0].slug;
  const email = `ada-${now}@example.com`;
  const user = await db.prepare("insert into users (email, name, created_at) values (?, 'Ada Lovelace', ?) returning id").bind(email, now).first<{ id: number }>();
  await db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'admin', ?)").bind(organizationId, user!.id, now).run();
  const bob = await db.prepare("insert into users (email, name, created_at) values (?, 'Bob Builder', ?) returning id").bind(`bob-${now}@example.com`, now).first<{ id: number }>();
  await db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'member', ?)").bind(organizationId, bob!.id, now).run();
  const team = await db.prepare("insert into org_teams (organization_id, slug, name, created_at) values (?, 'backend', 'Backend', ?) returning id").bind(organizationId, now).first<{ id: number }>();
  await db.prepare("insert into org_team_members (team_id, user_id) values (?, ?)").bind(team!.id, bob!.id).run();
  const integration = await db
    .prepare(
      `insert into integrations (provider, tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('msteams', ?, ?, 'Platform', 'https://smba.trafficmanager.test/amer/', 'team', 'active', ?, ?, ?) returning id`,
    )
    .bind(TENANT, `19:team-${now}@thread.tacv2`, organizationId, now, now)
    .first<{ id: number }>();
  await db
    .prepare("insert into identities (integration_id, tenant_id, teams_user_id, aad_object_id, user_id, linked_at) values (?, ?, ?, ?, ?, ?)")
    .bind(integration!.id, TENANT, `29:ada-${now}`, `oid-ada-${now}`, user!.id, now)
    .run();
  return { organizationId, slug, email, objectId: `oid-ada-${now}` };
}

async function shoot(page: Page, name: string) {
  for (const [label, width] of [["mobile", 360], ["desktop", 1280]] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png`, fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at ${width} px`).toBeLessThanOrEqual(width);
  }
}

describe("configuration pages in Chromium", () => {
  it("create a project → read its DSN off the page → @sentry/node sends an error there → the issue is in the issue list", async () => {
    const org = await seedOrg();
    const context = await browser.newContext();
    const page = await context.newPage();
    authority.nextUser = { tenantId: TENANT, objectId: org.objectId, email: org.email, name: "Ada Lovelace" };
    const projects = `${worker.url}/organizations/${org.slug}/projects/`;
    await page.goto(projects);
    await expect.poll(() => page.url()).toBe(projects);
    expect(await page.locator("h1").textContent()).toBe("Projects · Acme");

    // A slug the admin API refuses: the error is next to the field, nothing is created.
    await page.getByLabel("Slug").fill("Checkout Web!");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.locator("#project-slug-error").textContent()).toContain("must be lower-case letters, digits and inner dashes");
    expect(await page.getByLabel("Slug").getAttribute("aria-invalid")).toBe("true");
    await shoot(page, "projects-error");
    expect(await worker.query("select id from projects where organization_id = ?", org.organizationId)).toEqual([]);

    await page.getByLabel("Slug").fill("checkout-web");
    await page.getByLabel("Name (optional)").fill("Checkout web");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Checkout web");
    expect(await page.locator("[role=status]").textContent()).toContain("Project created.");
    const dsn = (await page.locator("#dsn").textContent())!.trim();
    const [row] = await worker.query<{ id: number; key: string }>(
      "select p.id, k.public_key as key from projects p join project_keys k on k.project_id = p.id where p.organization_id = ? and p.slug = 'checkout-web'",
      org.organizationId,
    );
    expect(dsn).toBe(`${worker.url.replace("://", `://${row.key}@`)}/${row.id}`);
    // The snippets carry the same DSN.
    expect(await page.locator("pre[data-snippet=node]").textContent()).toContain(`Sentry.init({ dsn: "${dsn}"`);
    expect(await page.locator("pre[data-snippet=python]").textContent()).toContain(`sentry_sdk.init(dsn="${dsn}")`);
    await page.getByLabel("New release").fill("checkout@1.0.0");
    await page.getByRole("button", { name: "Add release" }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toContain("Release added.");
    await shoot(page, "project");

    // The real SDK, configured with nothing but the DSN read off the page.
    Sentry.init({ dsn, release: "checkout@1.0.0", environment: "production", defaultIntegrations: false, integrations: [] });
    try {
      throw new TypeError("Cart total is NaN after applying the coupon");
    } catch (err) {
      Sentry.captureException(err);
    }
    expect(await Sentry.flush(5000)).toBe(true);
    await expect
      .poll(async () => (await worker.query<{ n: number }>("select count(*) as n from event_ids where project_id = ?", row.id))[0].n, { timeout: 20_000 })
      .toBe(1);

    await page.goto(`${worker.url}/organizations/${org.slug}/issues/`);
    const item = page.locator("ul.issues li", { hasText: "Cart total is NaN after applying the coupon" });
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.textContent()).toContain("TypeError");
    authority.nextUser = null;
    await context.close();
  });

  it("people (an invitation), me, and the public about / privacy / terms pages render and are screenshotted", async () => {
    const org = await seedOrg();
    const context = await browser.newContext();
    const page = await context.newPage();
    authority.nextUser = { tenantId: TENANT, objectId: org.objectId, email: org.email, name: "Ada Lovelace" };
    const people = `${worker.url}/organizations/${org.slug}/people/`;
    await page.goto(people);
    await expect.poll(() => page.url()).toBe(people);
    await page.getByLabel("Email (their Microsoft work account)").fill("grace@example.com");
    await page.getByLabel("Role", { exact: true }).selectOption("admin");
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toContain("Invitation saved.");
    expect(await page.locator("table", { hasText: "grace@example.com" }).textContent()).toContain("Pending until");
    await shoot(page, "people");

    await page.getByRole("link", { name: "Me" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Ada Lovelace");
    await page.getByLabel("Issues I resolved that regress").uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("[role=status]").textContent()).toContain("Notification settings saved.");
    expect(await page.getByLabel("Issues I resolved that regress").isChecked()).toBe(false);
    await shoot(page, "me");

    for (const [path, heading] of [
      ["/about", "Issue Alerts for Microsoft Teams"],
      ["/privacy", "Privacy"],
      ["/terms", "Terms of use"],
    ] as const) {
      await page.goto(`${worker.url}${path}`);
      expect(await page.locator("h1").textContent()).toBe(heading);
      await shoot(page, path.slice(1));
    }
    await page.goto(worker.url);
    await shoot(page, "landing-signed-in");
    authority.nextUser = null;
    await context.close();
  });
});
