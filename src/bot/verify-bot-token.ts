/**
 * Verifies the JWT the Bot Connector puts on every request to /api/messages, with botbuilder's channel
 * rules (botframework-connector's ChannelValidation + JwtTokenExtractor), as summarised in
 * docs/bot-transport.md ("Inbound: verifying a request from the Bot Connector"):
 *
 *  1. `Authorization: Bearer <jwt>`, scheme exactly "Bearer".
 *  2. Issuer pre-check on the unverified payload (`iss` = https://api.botframework.com), so tokens from
 *     other issuers never cost a key lookup.
 *  3. Header `alg` must be RS256/RS384/RS512 (never none, never HS*: only RSA public keys are ever imported,
 *     and jose is given the same allow-list).
 *  4. Key by header `kid` from the OpenID metadata's JWKS (unknown kid → one refresh per cool-down).
 *  5. Signature, then exp/nbf with 300 s clock tolerance (exp is required).
 *  6. Endorsements: when the key lists endorsements, the activity's channelId must be one of them.
 *  7. `aud` equals MICROSOFT_APP_ID (a single string, as botbuilder reads it).
 *  8. The `serviceurl` claim equals the activity's serviceUrl (lowercased, one trailing '/' stripped, as
 *     microsoft/teams.ts compares them).
 *
 * Nothing from the payload is trusted before step 5 passes; the activity's channelId/serviceUrl are only
 * compared with signed claims. Every failure is an UnauthorizedError (401) with a specific code.
 * The steps that need only the token (verifyBotTokenAlone) and the two that bind it to the activity
 * (checkActivityBinding) are separate so the receiver can authenticate before it reads the body.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWTPayload } from "jose";
import { UnauthorizedError } from "../errors";
import { bearerToken } from "../http/bearer";
import { openIdKeyStore, SigningKeysUnavailableError, type BotJwk, type OpenIdKeyDeps } from "./openid-keys";
import { cachedVerification, forgetVerification, rememberVerification } from "./verified-token-cache";

export const BOT_FRAMEWORK_ISSUER = "https://api.botframework.com";
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512"] as const;
export const CLOCK_TOLERANCE_SECONDS = 300;

/** What a verified token tells us. */
export type VerifiedBotToken = {
  appId: string;
  /** The signed serviceurl claim, as sent. */
  serviceUrl: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  kid: string;
  /** The signing key's endorsements (channel ids), or null when the key is unrestricted. */
  endorsements: readonly string[] | null;
};

export type VerifyBotTokenOptions = {
  appId: string;
  openIdMetadataUrl: string;
};

/** The two activity fields the token is bound to (read from the still-untrusted body). */
export type ActivityBinding = { channelId?: unknown; serviceUrl?: unknown };

type Alg = (typeof ALLOWED_ALGORITHMS)[number];

/** Lowercase and strip one trailing '/', as microsoft/teams.ts does before comparing service URLs. */
export function normalizeServiceUrl(url: string): string {
  const lower = url.toLowerCase();
  return lower.endsWith("/") ? lower.slice(0, -1) : lower;
}

function fail(code: string, message: string): never {
  throw new UnauthorizedError(message, code);
}

/** The full check: the token (steps 1–5, 7) and its binding to the activity (steps 6, 8). */
export async function verifyBotToken(
  authorization: string | null | undefined,
  activity: ActivityBinding,
  options: VerifyBotTokenOptions,
  deps: OpenIdKeyDeps = {},
): Promise<VerifiedBotToken> {
  const token = await verifyBotTokenAlone(authorization, options, deps);
  checkActivityBinding(token, activity);
  return token;
}

/**
 * Steps 1–5 and 7: everything that needs only the token. The receiver runs this before it even reads the
 * body, so an unauthenticated caller always gets 401, whatever it sent.
 */
export async function verifyBotTokenAlone(
  authorization: string | null | undefined,
  options: VerifyBotTokenOptions,
  deps: OpenIdKeyDeps = {},
): Promise<VerifiedBotToken> {
  try {
    return await verifyOrThrow(authorization, options, deps);
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof SigningKeysUnavailableError) {
      console.error("bot auth: signing keys unavailable", err.message);
      fail("signing_keys_unavailable", "The Bot Framework signing keys could not be loaded; the token cannot be verified.");
    }
    // Anything unexpected (odd base64, a key WebCrypto refuses, ...) is still an authentication failure.
    console.warn("bot auth: unexpected verification failure", err instanceof Error ? err.name : typeof err);
    fail("invalid_token", "The token could not be verified.");
  }
}

/** Steps 6 and 8: the verified token must cover this activity's channel and serviceUrl. */
export function checkActivityBinding(token: VerifiedBotToken, activity: ActivityBinding): void {
  // 6. Endorsements: a key restricted to some channels may only sign for those.
  if (token.endorsements) {
    const channelId = activity.channelId;
    if (typeof channelId !== "string" || channelId.length === 0 || !token.endorsements.includes(channelId)) {
      fail("key_not_endorsed", "The token's signing key is not endorsed for this activity's channel.");
    }
  }
  // 8. The serviceurl claim bound to the activity.
  if (typeof activity.serviceUrl !== "string" || normalizeServiceUrl(token.serviceUrl) !== normalizeServiceUrl(activity.serviceUrl)) {
    fail("service_url_mismatch", "The activity's serviceUrl does not match the token.");
  }
}

async function verifyOrThrow(
  authorization: string | null | undefined,
  options: VerifyBotTokenOptions,
  deps: OpenIdKeyDeps,
): Promise<VerifiedBotToken> {
  // 1. Bearer parsing.
  if (!authorization) fail("missing_token", "The Authorization header is missing.");
  const token = bearerToken(authorization);
  if (!token) fail("invalid_authorization_scheme", "The Authorization header must be `Bearer <token>`.");

  // The Connector reuses one token for many activities: a token verified before in this isolate skips the
  // signature check while its time claims pass now and its key is still the published one (see
  // verified-token-cache.ts for what is re-checked and why that is enough).
  const nowSeconds = Math.floor((deps.now ?? Date.now)() / 1000);
  const hit = cachedVerification(token, nowSeconds, CLOCK_TOLERANCE_SECONDS);
  if (hit) {
    if (
      hit.appId === options.appId &&
      hit.metadataUrl === options.openIdMetadataUrl &&
      (await openIdKeyStore(options.openIdMetadataUrl).getKey(hit.verified.kid, deps)) === hit.jwk
    ) {
      return hit.verified;
    }
    forgetVerification(token);
  }

  // 2. Unverified peek: shape, issuer pre-check and algorithm, before any key lookup.
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    fail("malformed_token", "The bearer token is not a well-formed JWT.");
  }
  if (unverified.iss !== BOT_FRAMEWORK_ISSUER) fail("invalid_issuer", "The token was not issued by the Bot Framework.");

  // 3. Algorithm allow-list.
  const alg = header.alg;
  if (typeof alg !== "string" || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    fail("unsupported_algorithm", "The token's algorithm is not accepted (RS256, RS384 or RS512 only).");
  }

  // 4. Key by kid.
  const kid = header.kid;
  if (typeof kid !== "string" || kid.length === 0) fail("unknown_key", "The token names no signing key.");
  const jwk = await openIdKeyStore(options.openIdMetadataUrl).getKey(kid, deps);
  if (!jwk) fail("unknown_key", "The token's signing key is not one of the Bot Framework's keys.");
  if (jwk.alg !== undefined && jwk.alg !== alg) fail("unsupported_algorithm", "The token's algorithm does not match its key.");
  const key = await importVerifyKey(jwk, alg as Alg);

  // 5. Signature and time claims. iss is checked again here, now on the verified payload.
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [...ALLOWED_ALGORITHMS],
      issuer: BOT_FRAMEWORK_ISSUER,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp"],
      currentDate: deps.now ? new Date(deps.now()) : undefined,
    }));
  } catch (err) {
    throw mapJoseError(err);
  }

  // 7. Audience: this bot's app id, as a single string (botbuilder reads it as one value).
  if (typeof payload.aud !== "string" || payload.aud !== options.appId) {
    fail("invalid_audience", "The token was not issued for this bot.");
  }

  // The serviceurl claim must be there; its match with the activity is checked in checkActivityBinding.
  const serviceUrl = payload.serviceurl;
  if (typeof serviceUrl !== "string" || serviceUrl.length === 0) fail("missing_service_url", "The token has no serviceurl claim.");

  const verified: VerifiedBotToken = Object.freeze({
    appId: payload.aud,
    serviceUrl,
    expiresAt: payload.exp as number,
    kid,
    // A copy, frozen: the verified token is shared by every request that reuses it.
    endorsements: jwk.endorsements ? Object.freeze([...jwk.endorsements]) : null,
  });
  rememberVerification(token, {
    verified,
    jwk,
    appId: options.appId,
    metadataUrl: options.openIdMetadataUrl,
    exp: payload.exp as number,
    nbf: typeof payload.nbf === "number" ? payload.nbf : undefined,
  });
  return verified;
}

// Imported CryptoKeys per published key and algorithm: importing costs more than verifying.
const imported = new WeakMap<BotJwk, Map<Alg, CryptoKey>>();

async function importVerifyKey(jwk: BotJwk, alg: Alg): Promise<CryptoKey> {
  let byAlg = imported.get(jwk);
  if (!byAlg) {
    byAlg = new Map();
    imported.set(jwk, byAlg);
  }
  let key = byAlg.get(alg);
  if (!key) {
    // Only the RSA public members go in: whatever else the JWKS carries cannot change the key type.
    key = (await importJWK({ kty: "RSA", n: jwk.n, e: jwk.e }, alg)) as CryptoKey;
    byAlg.set(alg, key);
  }
  return key;
}

function mapJoseError(err: unknown): UnauthorizedError {
  if (err instanceof joseErrors.JWTExpired) return new UnauthorizedError("The token has expired.", "token_expired");
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return new UnauthorizedError("The token is not valid yet.", "token_not_yet_valid");
    if (err.claim === "iss") return new UnauthorizedError("The token was not issued by the Bot Framework.", "invalid_issuer");
    if (err.claim === "exp") return new UnauthorizedError("The token has no valid expiry.", "invalid_token");
    return new UnauthorizedError("The token's claims are invalid.", "invalid_token");
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new UnauthorizedError("The token's signature is invalid.", "invalid_signature");
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new UnauthorizedError("The token's algorithm is not accepted (RS256, RS384 or RS512 only).", "unsupported_algorithm");
  }
  return new UnauthorizedError("The token could not be verified.", "invalid_token");
}
