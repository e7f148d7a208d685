/**
 * Signed, expiring links (setup, link, unlink) as compact JWTs with HS256 (HMAC-SHA256 under
 * LINK_SIGNING_SECRET), made and checked by jose. The `pur` claim names the purpose so a link token can't be
 * replayed as a setup token; `jti` is a nonce for single use (recorded in `used_nonces` by the consumer); `d` is the
 * purpose's payload, which the caller's total parser (src/signed-link-data.ts) must accept: a link whose payload is
 * off in any way is "malformed", like one that does not verify.
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { NotConfiguredError } from "./errors";

export type SignedPurpose = "setup" | "link" | "unlink";
export type SignedPayload<T> = { purpose: SignedPurpose; nonce: string; expiresAt: number; data: T };
export type VerifyResult<T> =
  | { ok: true; payload: SignedPayload<T> }
  | { ok: false; reason: "malformed" | "bad_signature" | "expired" | "wrong_purpose" };

const keys = new Map<string, Uint8Array>();

function keyFor(secret: string | undefined): Uint8Array {
  if (!secret) {
    throw new NotConfiguredError(
      "LINK_SIGNING_SECRET is not set. Locally: add it to .dev.vars (npm start does this); deployed: `wrangler secret put LINK_SIGNING_SECRET`.",
    );
  }
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = new TextEncoder().encode(secret)));
  return key;
}

export async function signToken<T>(secret: string | undefined, purpose: SignedPurpose, data: T, ttlMs: number, now: number): Promise<string> {
  return new SignJWT({ pur: purpose, d: data as unknown as Record<string, unknown> })
    .setProtectedHeader({ alg: "HS256" })
    .setJti(crypto.randomUUID())
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor((now + ttlMs) / 1000))
    .sign(keyFor(secret));
}

/** Reads a purpose's payload: the typed value, or null when it is not exactly what the signer writes. */
export type PayloadParser<T> = (data: unknown) => T | null;

export async function verifyToken<T>(
  secret: string | undefined,
  purpose: SignedPurpose,
  token: string,
  now: number,
  parse: PayloadParser<T>,
): Promise<VerifyResult<T>> {
  const key = keyFor(secret);
  if (token.length > 4096) return { ok: false, reason: "malformed" };
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], currentDate: new Date(now) });
    if (payload.pur !== purpose) return { ok: false, reason: "wrong_purpose" };
    if (typeof payload.jti !== "string" || !payload.jti || typeof payload.exp !== "number") return { ok: false, reason: "malformed" };
    const data = Object.prototype.hasOwnProperty.call(payload, "d") ? parse(payload.d) : null;
    if (data === null) return { ok: false, reason: "malformed" };
    return { ok: true, payload: { purpose, nonce: payload.jti, expiresAt: payload.exp * 1000, data } };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "bad_signature" };
    return { ok: false, reason: "malformed" };
  }
}
