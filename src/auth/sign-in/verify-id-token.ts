/**
 * Verifies the id_token the authority returns from the code exchange, every check of OpenID Connect Core §3.1.3.7
 * as Microsoft's multi-tenant issuer needs it. One error code per step:
 *
 *  1. Compact JWS with a JSON header and payload                                  → malformed
 *  2. Header `alg` is RS256 (never none, never HS*: only RSA public keys are used) → bad_alg
 *  3. Key by header `kid` from the metadata's `jwks_uri` (cached; an unknown kid
 *     triggers one refresh per cool-down, like the bot's keys)                    → unknown_key
 *  4. Signature                                                                    → bad_signature
 *  5. `exp` (required, 5 min skew)                                                 → expired
 *     `nbf` / `iat` not in the future beyond the skew                              → not_yet_valid
 *  6. `aud` is our client id (MICROSOFT_APP_ID), and `azp` too when present        → wrong_audience
 *  7. `tid` and `oid` present                                                      → missing_claims
 *  8. `iss` equals the metadata's issuer with `{tenantid}` replaced by the `tid`   → wrong_issuer
 *  9. `nonce` equals the one this browser's sign-in started with                   → wrong_nonce
 *
 * Nothing from the payload is believed before step 4 passes.
 */
import { decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWTPayload } from "jose";
import { openIdKeyStore, SigningKeysUnavailableError } from "../../bot/openid-keys";
import { expectedIssuer, type Authority } from "./authority";
import { AuthorityUnavailableError, IdTokenRejectedError, type IdTokenFailure } from "./sign-in-errors";

export const ID_TOKEN_CLOCK_SKEW_SECONDS = 300;

/** Who signed in. */
export type VerifiedIdentity = {
  tenantId: string;
  objectId: string;
  /** `email`, else `preferred_username` when it looks like an address; lower-cased. Not verified by Microsoft. */
  email: string | null;
  name: string;
};

export type IdTokenExpectations = {
  clientId: string;
  nonce: string;
  metadataUrl: string;
  authority: Pick<Authority, "issuer">;
  now?: number;
  kv?: KVNamespace | null;
};

function fail(reason: IdTokenFailure): never {
  throw new IdTokenRejectedError(reason);
}

export async function verifyIdToken(idToken: unknown, expect: IdTokenExpectations): Promise<VerifiedIdentity> {
  // 1. Shape.
  if (typeof idToken !== "string" || idToken.length > 16_384 || idToken.split(".").length !== 3) fail("malformed");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(idToken);
  } catch {
    fail("malformed");
  }
  // 2. Algorithm.
  if (header.alg !== "RS256") fail("bad_alg");
  // 3. Key.
  if (typeof header.kid !== "string" || !header.kid) fail("unknown_key");
  let jwk;
  try {
    jwk = await openIdKeyStore(expect.metadataUrl).getKey(header.kid, { kv: expect.kv ?? null, now: expect.now ? () => expect.now! : undefined });
  } catch (err) {
    if (err instanceof SigningKeysUnavailableError) {
      console.error("sign-in: signing keys unavailable", err.message);
      throw new AuthorityUnavailableError("Microsoft sign-in is unavailable right now. Try again in a minute.");
    }
    throw err;
  }
  if (!jwk) fail("unknown_key");
  const key = await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, "RS256");
  // 4–5. Signature and time claims.
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, key, {
      algorithms: ["RS256"],
      clockTolerance: ID_TOKEN_CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "iat"],
      currentDate: expect.now ? new Date(expect.now) : undefined,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) fail("expired");
    if (err instanceof joseErrors.JWTClaimValidationFailed && (err.claim === "nbf" || err.claim === "iat")) fail("not_yet_valid");
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) fail("bad_signature");
    fail("malformed");
  }
  const nowSeconds = Math.floor((expect.now ?? Date.now()) / 1000);
  if (typeof claims.iat !== "number" || claims.iat > nowSeconds + ID_TOKEN_CLOCK_SKEW_SECONDS) fail("not_yet_valid");
  // 6. Audience (a single value, or a list that holds only us).
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (aud.length !== 1 || aud[0] !== expect.clientId) fail("wrong_audience");
  if (claims.azp !== undefined && claims.azp !== expect.clientId) fail("wrong_audience");
  // 7. Tenant and object id.
  const tid = claims.tid;
  const oid = claims.oid;
  if (typeof tid !== "string" || !tid || typeof oid !== "string" || !oid) fail("missing_claims");
  // 8. Issuer for that tenant.
  if (claims.iss !== expectedIssuer(expect.authority as Authority, tid)) fail("wrong_issuer");
  // 9. Nonce.
  if (typeof claims.nonce !== "string" || claims.nonce !== expect.nonce) fail("wrong_nonce");

  return { tenantId: tid, objectId: oid, email: emailOf(claims), name: typeof claims.name === "string" ? claims.name.slice(0, 200) : "" };
}

function emailOf(claims: JWTPayload): string | null {
  for (const value of [claims.email, claims.preferred_username]) {
    if (typeof value === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 320) return value.toLowerCase();
  }
  return null;
}
