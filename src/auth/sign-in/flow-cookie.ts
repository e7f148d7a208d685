/**
 * The short-lived cookie that carries one sign-in attempt from /auth/sign-in to the callback: state, nonce, PKCE
 * verifier and where to go afterwards, as a compact JWT (HS256 under a key derived from LINK_SIGNING_SECRET, so it
 * cannot be forged or edited by the browser). It lives 10 minutes and is cleared by the callback; the state is also
 * recorded as used, so the same callback cannot be replayed.
 */
import { jwtVerify, SignJWT } from "jose";

export type SignInFlow = {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A local path (see safeReturnPath) to open after signing in. */
  returnTo: string;
};

export const FLOW_TTL_SECONDS = 600;
const PURPOSE = "sign-in-flow";
const keys = new Map<string, Uint8Array>();

function keyFor(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = new TextEncoder().encode(`${PURPOSE}:${secret}`)));
  return key;
}

export function sealFlow(secret: string, flow: SignInFlow, now = Date.now()): Promise<string> {
  return new SignJWT({ pur: PURPOSE, st: flow.state, no: flow.nonce, cv: flow.codeVerifier, rt: flow.returnTo })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + FLOW_TTL_SECONDS)
    .sign(keyFor(secret));
}

/** The flow, or null when the cookie is missing, forged, edited or expired. */
export async function openFlow(secret: string, cookie: string | undefined, now = Date.now()): Promise<SignInFlow | null> {
  if (!cookie || cookie.length > 4096) return null;
  try {
    const { payload: p } = await jwtVerify(cookie, keyFor(secret), { algorithms: ["HS256"], currentDate: new Date(now) });
    if (p.pur !== PURPOSE || ![p.st, p.no, p.cv, p.rt].every((v) => typeof v === "string")) return null;
    return { state: p.st as string, nonce: p.no as string, codeVerifier: p.cv as string, returnTo: safeReturnPath(p.rt as string) };
  } catch {
    return null;
  }
}

/**
 * Where a sign-in may send the browser afterwards: a path on this site only (`/…`, not `//host` or `/\host`, no
 * scheme), else the issues page. Keeps the sign-in from being an open redirect.
 */
export function safeReturnPath(value: string | undefined | null): string {
  if (!value || value.length > 2000 || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  try {
    const url = new URL(value, "https://x.invalid");
    if (url.origin !== "https://x.invalid") return "/";
    return url.pathname + url.search;
  } catch {
    return "/";
  }
}

/**
 * A verified Microsoft identity that matched nobody, kept 15 minutes in a sealed cookie so the "claim this
 * instance" page can use it (nothing is stored server-side for someone who matched nobody).
 */
export type PendingIdentity = { tenantId: string; objectId: string; email: string | null; name: string };

const PENDING_PURPOSE = "sign-in-pending";
export const PENDING_TTL_SECONDS = 900;

export function sealPendingIdentity(secret: string, identity: PendingIdentity, now = Date.now()): Promise<string> {
  return new SignJWT({ pur: PENDING_PURPOSE, tid: identity.tenantId, oid: identity.objectId, em: identity.email, nm: identity.name })
    .setProtectedHeader({ alg: "HS256" })
    .setJti(crypto.randomUUID())
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + PENDING_TTL_SECONDS)
    .sign(keyFor(secret));
}

/** The identity and the cookie's nonce (binds the claim form's CSRF token), or null. */
export async function openPendingIdentity(
  secret: string,
  cookie: string | undefined,
  now = Date.now(),
): Promise<{ identity: PendingIdentity; nonce: string } | null> {
  if (!cookie || cookie.length > 4096) return null;
  try {
    const { payload: p } = await jwtVerify(cookie, keyFor(secret), { algorithms: ["HS256"], currentDate: new Date(now) });
    if (p.pur !== PENDING_PURPOSE || typeof p.tid !== "string" || typeof p.oid !== "string" || typeof p.jti !== "string") return null;
    return {
      identity: { tenantId: p.tid, objectId: p.oid, email: typeof p.em === "string" ? p.em : null, name: typeof p.nm === "string" ? p.nm : "" },
      nonce: p.jti,
    };
  } catch {
    return null;
  }
}
