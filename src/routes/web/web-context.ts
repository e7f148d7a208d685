/**
 * What every web route needs, read once per request: the sign-in configuration (cookies' security follows the
 * public base URL), the database, the signed-in viewer. `requireViewer` sends a signed-out visit to sign-in and
 * back; `orgOfViewer` answers 404 for an organization the viewer is not a member of (its existence is not revealed).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { currentViewer, type Viewer } from "../../auth/sign-in/session";
import { publicBaseUrl } from "../../env";
import { getDb, type Db } from "../../db/client";
import { findMembership, findOrganizationBySlug, type MembershipRole, type OrganizationRow } from "../../db/organizations";
import { NotFoundError } from "../../errors";

export type WebEnv = AppEnv & { Variables: { viewer: Viewer } };

/** Cookies are Secure/__Host- when the public base URL is https. */
export function isSecureSite<E extends AppEnv>(c: Context<E>): boolean {
  return publicBaseUrl(c.env, c.req.url).startsWith("https://");
}

export function siteOrigin<E extends AppEnv>(c: Context<E>): string {
  return new URL(publicBaseUrl(c.env, c.req.url)).origin;
}

export function webDb<E extends AppEnv>(c: Context<E>): Db {
  return getDb(c.env.DB);
}

/** The path and query of this request, to come back to after signing in. */
export function returnPathOf(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

export function signInUrl(returnTo: string): string {
  return `/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`;
}

export const requireViewer: MiddlewareHandler<WebEnv> = async (c, next) => {
  const viewer = await currentViewer(c, webDb(c), isSecureSite(c));
  if (!viewer) {
    // A form posted after the session ended goes back to the page it came from, not to the POST target.
    const back = c.req.method === "GET" ? returnPathOf(c) : new URL(c.req.url).pathname;
    return c.redirect(signInUrl(back), c.req.method === "GET" ? 302 : 303);
  }
  c.set("viewer", viewer);
  await next();
};

/** The organization by slug if the viewer is a member, with their role; else 404. */
export async function orgOfViewer(c: Context<WebEnv>, slug: string): Promise<{ org: OrganizationRow; role: MembershipRole }> {
  const db = webDb(c);
  const org = await findOrganizationBySlug(db, slug.toLowerCase());
  const membership = org ? await findMembership(db, org.id, c.get("viewer").userId) : null;
  if (!org || !membership) throw new NotFoundError("No such page.");
  return { org, role: membership.role };
}

/**
 * The message for a `?done=` a page redirected to after a POST: only the page's own keys (an edited link, or a
 * name like "constructor", shows nothing).
 */
export function doneText(c: Context<WebEnv>, texts: Readonly<Record<string, string>>): string | undefined {
  const key = c.req.query("done");
  return key !== undefined && Object.hasOwn(texts, key) ? texts[key] : undefined;
}
