/** Multi-step flows shared by the end-to-end tests: install + setup, personal tokens, linking, ingest, queue waits. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { generatePersonalToken } from "../../src/auth/personal-tokens";
import { getDb } from "../../src/db/client";
import { apiTokens, identities, integrations, signInIdentities } from "../../src/db/schema";
import { ingestOutcome } from "./ingest-settle";
import type { MicrosoftStandIn } from "./microsoft-stand-in";
import type { SeededOrg } from "./seed";
import { Browser, csrfIn, startSignInAuthority } from "./web-browser";
import { actionTitled, cardOf, dispatch, sendActivity, TEAM_ID, teamInstall, TENANT, type TeamsUser } from "./teams";

export const db = () => getDb(env.DB);
export const ADMIN_HEADERS = { authorization: "Bearer test-admin-token", "content-type": "application/json" };

export async function personalToken(userId: number): Promise<string> {
  const { token, tokenHash } = await generatePersonalToken();
  await db().insert(apiTokens).values({ userId, tokenHash, name: "test", createdAt: Date.now() });
  return token;
}

export function csrfOf(html: string): string {
  const m = /name="csrf" value="([0-9a-f]{64})"/.exec(html);
  if (!m) throw new Error(`no csrf in page: ${html.slice(0, 300)}`);
  return m[1];
}

export async function postForm(url: string, fields: Record<string, string>) {
  return dispatch(new Request(url, { method: "POST", body: new URLSearchParams(fields), headers: { "content-type": "application/x-www-form-urlencoded" } }));
}

/**
 * A browser signed in to the web app as this user, from the current test tenant. Their Microsoft identity is seeded
 * as if they had signed in before (a first sign-in by email needs the tenant connected already).
 */
export async function signedInAs(ms: MicrosoftStandIn, user: { id: number; email: string }, tenantId = TENANT): Promise<Browser> {
  const authority = await startSignInAuthority(ms);
  const objectId = `oid-user-${user.id}-${tenantId}`;
  await db().insert(signInIdentities).values({ tenantId, objectId, userId: user.id, createdAt: Date.now(), lastSignInAt: Date.now() }).onConflictDoNothing();
  const b = new Browser();
  const res = await b.signIn(authority, { tenantId, objectId, email: user.email });
  expect(res.status, await res.clone().text()).toBe(302);
  return b;
}

/** Installs the bot into the current test team and completes setup for the org as its admin, signed in; returns the integration id. */
export async function installAndSetUp(ms: MicrosoftStandIn, s: SeededOrg, installer: TeamsUser): Promise<number> {
  expect((await sendActivity(ms, teamInstall(ms, installer))).status).toBe(200);
  const welcome = ms.connector.sent(TEAM_ID).at(-1)!;
  const setupUrl = actionTitled(cardOf(welcome), "Complete setup").url as string;
  const b = await signedInAs(ms, s.admin);
  const page = await b.fetch(setupUrl);
  expect(page.status).toBe(200);
  const res = await b.post(setupUrl, { csrf: csrfIn(await page.text()), organization: s.org.slug });
  expect(res.status, await res.clone().text()).toBe(200);
  const [row] = await db().select().from(integrations).where(eq(integrations.externalId, TEAM_ID));
  return row.id;
}

export async function ingest(s: SeededOrg, body: Record<string, unknown> = {}) {
  const res = await dispatch(
    new Request(`https://alerts.test/api/projects/${s.project.id}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.ingestKey}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "Payment provider timeout", release: "1.0.0", ...body }),
    }),
  );
  expect(res.status, await res.clone().text()).toBe(200);
  // The answer carries the event id; what the event did is known once the EVENTS consumer has counted it.
  const { id } = (await res.json()) as { id: string };
  return ingestOutcome(id);
}

export async function link(user: TeamsUser, integrationId: number, userId: number) {
  await db().insert(identities).values({ integrationId, tenantId: TENANT, teamsUserId: user.id, aadObjectId: user.aadObjectId, userId, linkedAt: Date.now() });
}

export function admin(path: string, init: { method?: string; body?: unknown } = {}) {
  return dispatch(
    new Request(`https://alerts.test/api/admin${path}`, {
      method: init.method ?? "GET",
      headers: ADMIN_HEADERS,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );
}

/** Waits until no delivery is queued or retrying (the real DELIVERIES queue runs the consumer). */
export async function settleDeliveries(timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const row = await env.DB.prepare("select count(*) as n from deliveries where status in ('queued', 'retrying')").first<{ n: number }>();
    if (!row?.n) return;
    if (Date.now() - start > timeoutMs) throw new Error(`${row.n} deliveries still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
