/**
 * Web sessions: a random 256-bit id in an HttpOnly, SameSite=Lax cookie (`Secure` and the `__Host-` prefix on
 * https); the server keeps only its SHA-256 with the user, an expiry and a CSRF token for the session's forms.
 * Sign-out deletes the row, so a copied cookie is dead too.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../../db/client";
import { deleteSession, findSession, insertSession, type SessionView } from "../../db/web-sessions";
import { timingSafeEqual } from "../../http/bearer";

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export type Viewer = SessionView;

type CookieKind = "session" | "sign_in" | "pending";

/** The cookie's name: `__Host-` prefixed on https (host-only, Secure, Path=/ enforced by the browser). */
export function cookieName(kind: CookieKind, secure: boolean): string {
  return `${secure ? "__Host-" : ""}tia_${kind}`;
}

export function setSiteCookie(c: Context, kind: CookieKind, value: string, secure: boolean, maxAgeSeconds: number): void {
  setCookie(c, cookieName(kind, secure), value, { path: "/", httpOnly: true, sameSite: "Lax", secure, maxAge: maxAgeSeconds });
}

export function readSiteCookie(c: Context, kind: CookieKind, secure: boolean): string | undefined {
  return getCookie(c, cookieName(kind, secure));
}

export function clearSiteCookie(c: Context, kind: CookieKind, secure: boolean): void {
  deleteCookie(c, cookieName(kind, secure), { path: "/", secure, httpOnly: true, sameSite: "Lax" });
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Starts a session for the user, signed in as that Microsoft identity, and sets its cookie. */
export async function beginSession(
  c: Context,
  db: Db,
  userId: number,
  identity: { tenantId: string; objectId: string },
  secure: boolean,
  now = Date.now(),
): Promise<void> {
  const id = randomHex(32);
  await insertSession(db, {
    idHash: await sha256Hex(id),
    userId,
    csrfToken: randomHex(32),
    tenantId: identity.tenantId,
    objectId: identity.objectId,
    userAgent: (c.req.header("user-agent") ?? "").slice(0, 300),
    now,
    expiresAt: now + SESSION_TTL_MS,
  });
  setSiteCookie(c, "session", id, secure, SESSION_TTL_MS / 1000);
}

/** The signed-in person, or null (no cookie, unknown or expired session). */
export async function currentViewer(c: Context, db: Db, secure: boolean, now = Date.now()): Promise<Viewer | null> {
  const id = readSiteCookie(c, "session", secure);
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return null;
  return findSession(db, await sha256Hex(id), now);
}

/** Ends the session (row and cookie). */
export async function endSession(c: Context, db: Db, secure: boolean): Promise<void> {
  const id = readSiteCookie(c, "session", secure);
  if (id && /^[0-9a-f]{64}$/.test(id)) await deleteSession(db, await sha256Hex(id));
  clearSiteCookie(c, "session", secure);
}

/**
 * A state-changing form is accepted only with the session's CSRF token and, when the browser names the origin, our
 * own. Pages are sent with `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` even on our own
 * posts, so "null" says nothing either way: the token (bound to the session, never in a URL) is what decides.
 */
export function formAllowed(c: Context, viewer: Viewer, submitted: unknown, siteOrigin: string): boolean {
  const origin = c.req.header("origin");
  if (origin && origin !== "null" && origin !== siteOrigin) return false;
  return typeof submitted === "string" && submitted.length === viewer.csrfToken.length && timingSafeEqual(submitted, viewer.csrfToken);
}
