/**
 * OpenID Connect authorization code flow with PKCE against the Microsoft identity platform, with oauth4webapi:
 *
 *  start:    state + nonce + PKCE verifier (S256) → the authorization URL, and the flow sealed in a cookie.
 *  complete: 1. the flow cookie opens (ours, unexpired)                      → SignInStateError no_flow
 *            2. the authorization response: `state` equals the cookie's, no
 *               `error` from the authority                                    → state_mismatch / SignInDeniedError
 *            3. the state is used once (recorded in used_nonces)              → replayed
 *            4. code exchange at the token endpoint (client_secret_post,
 *               the PKCE verifier)                                            → AuthorityUnavailableError / denied
 *            5. the id_token, every check (verifyIdToken)                     → IdTokenRejectedError
 *            6. oauth4webapi's own response checks with the issuer completed
 *               for the token's tenant (a second net: iss, aud, nonce, times)  → IdTokenRejectedError
 */
import * as oauth from "oauth4webapi";
import type { Db } from "../../db/client";
import { consumeNonce } from "../../db/used-nonces";
import { authorizationServer, loadAuthority, type Authority } from "./authority";
import { openFlow, sealFlow, type SignInFlow } from "./flow-cookie";
import type { SignInConfig } from "./sign-in-config";
import { AuthorityUnavailableError, IdTokenRejectedError, SignInDeniedError, SignInStateError } from "./sign-in-errors";
import { ID_TOKEN_CLOCK_SKEW_SECONDS, verifyIdToken, type VerifiedIdentity } from "./verify-id-token";

const TOKEN_TIMEOUT_MS = 10_000;

function client(config: SignInConfig): oauth.Client {
  return { client_id: config.clientId, id_token_signed_response_alg: "RS256", [oauth.clockTolerance]: ID_TOKEN_CLOCK_SKEW_SECONDS };
}

/** Where to send the browser, and the sealed flow for the cookie. */
export async function startSignIn(config: SignInConfig, returnTo: string): Promise<{ url: string; sealedFlow: string }> {
  const authority = await loadAuthority(config.metadataUrl);
  const flow: SignInFlow = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
    returnTo,
  };
  const url = new URL(authority.authorizationEndpoint);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", config.redirectUri);
  url.searchParams.set("response_mode", "query");
  url.searchParams.set("scope", "openid profile email");
  url.searchParams.set("state", flow.state);
  url.searchParams.set("nonce", flow.nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(flow.codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("prompt", "select_account");
  return { url: url.href, sealedFlow: await sealFlow(config.signingSecret, flow) };
}

export type CompletedSignIn = { identity: VerifiedIdentity; returnTo: string };

export async function completeSignIn(
  db: Db,
  config: SignInConfig,
  callbackUrl: URL,
  flowCookie: string | undefined,
  kv: KVNamespace | null,
): Promise<CompletedSignIn> {
  // 1. Our cookie.
  const flow = await openFlow(config.signingSecret, flowCookie);
  if (!flow) throw new SignInStateError("no_flow");
  const authority = await loadAuthority(config.metadataUrl);
  const as = authorizationServer(authority);
  // 2. The authorization response.
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client(config), callbackUrl.searchParams, flow.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) throw new SignInDeniedError(err.error);
    throw new SignInStateError("state_mismatch");
  }
  // 3. Once only.
  if (!(await consumeNonce(db, `sign-in:${flow.state}`, Date.now()))) throw new SignInStateError("replayed");
  // 4. Code for tokens.
  const response = await exchangeCode(config, authority, as, params, flow.codeVerifier);
  // 5. Every id_token check, ours.
  const body = (await response.clone().json().catch(() => null)) as { id_token?: unknown } | null;
  const identity = await verifyIdToken(body?.id_token, {
    clientId: config.clientId,
    nonce: flow.nonce,
    metadataUrl: config.metadataUrl,
    authority,
    kv,
  });
  // 6. The library's checks of the token response, with the issuer of the token's tenant.
  try {
    await oauth.processAuthorizationCodeResponse(authorizationServer(authority, identity.tenantId), client(config), response, {
      expectedNonce: flow.nonce,
      requireIdToken: true,
    });
  } catch (err) {
    console.error("sign-in: token response refused", err instanceof Error ? err.message : "unknown");
    throw new IdTokenRejectedError("malformed");
  }
  return { identity, returnTo: flow.returnTo };
}

async function exchangeCode(config: SignInConfig, authority: Authority, as: oauth.AuthorizationServer, params: URLSearchParams, verifier: string) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("The request timed out.", "TimeoutError")), TOKEN_TIMEOUT_MS);
  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(as, client(config), oauth.ClientSecretPost(config.clientSecret), params, config.redirectUri, verifier, {
      signal: controller.signal,
      [oauth.allowInsecureRequests]: authority.insecureLoopback,
    });
  } catch (err) {
    console.error("sign-in: token endpoint unreachable", err instanceof Error ? err.name : "unknown");
    throw new AuthorityUnavailableError("Microsoft sign-in is unavailable right now. Try again in a minute.");
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new AuthorityUnavailableError("Microsoft sign-in is unavailable right now. Try again in a minute.");
  }
  if (!response.ok) {
    // invalid_grant (code used or expired, wrong verifier) or invalid_client: the sign-in is refused, the text is not echoed.
    const err = (await response.json().catch(() => null)) as { error?: unknown } | null;
    console.error("sign-in: code exchange refused", response.status, typeof err?.error === "string" ? err.error : "");
    throw new SignInDeniedError(typeof err?.error === "string" ? err.error : "token_error");
  }
  return response;
}
