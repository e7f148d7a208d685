/**
 * The sign-in authority's OpenID metadata: endpoints and the issuer (for the `organizations` authority a template,
 * `https://login.microsoftonline.com/{tenantid}/v2.0`, that each id_token's `tid` completes). Held per isolate for
 * an hour; the signing keys are cached separately, like the bot's (openIdKeyStore of the same metadata URL).
 */
import type { AuthorizationServer } from "oauth4webapi";
import { fetchWithTimeout } from "../../bot/fetch-with-timeout";
import { AuthorityUnavailableError } from "./sign-in-errors";

export type Authority = {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Plain http is allowed only for a loopback stand-in (local runs and tests). */
  insecureLoopback: boolean;
};

const MAX_AGE_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
const cache = new Map<string, { at: number; authority: Promise<Authority> }>();

export const TENANT_ID_PLACEHOLDER = "{tenantid}";

/** The `iss` an id_token of tenant `tid` must carry. */
export function expectedIssuer(authority: Authority, tid: string): string {
  return authority.issuer.replace(TENANT_ID_PLACEHOLDER, tid);
}

/** oauth4webapi's view of the authority, with the issuer completed for one tenant. */
export function authorizationServer(authority: Authority, tid?: string): AuthorizationServer {
  return {
    issuer: tid ? expectedIssuer(authority, tid) : authority.issuer,
    authorization_endpoint: authority.authorizationEndpoint,
    token_endpoint: authority.tokenEndpoint,
  };
}

export function loadAuthority(metadataUrl: string, now = Date.now()): Promise<Authority> {
  const hit = cache.get(metadataUrl);
  if (hit && now - hit.at < MAX_AGE_MS) return hit.authority;
  const authority = fetchAuthority(metadataUrl);
  cache.set(metadataUrl, { at: now, authority });
  // A failure is not cached: the next sign-in asks again.
  authority.catch(() => cache.delete(metadataUrl));
  return authority;
}

/** Forgets the metadata held in this isolate (tests start cold). */
export function clearAuthorityCache(): void {
  cache.clear();
}

async function fetchAuthority(metadataUrl: string): Promise<Authority> {
  let body: Record<string, unknown>;
  try {
    const res = await fetchWithTimeout(fetch, metadataUrl, { headers: { accept: "application/json" } }, FETCH_TIMEOUT_MS);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`status ${res.status}`);
    }
    body = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    console.error("sign-in: metadata fetch failed", err instanceof Error ? err.message : "unknown");
    throw new AuthorityUnavailableError("Microsoft sign-in is unavailable right now. Try again in a minute.");
  }
  const { issuer, authorization_endpoint: authz, token_endpoint: token } = body ?? {};
  const loopback = [authz, token].every((u) => typeof u === "string" && isLoopbackHttp(u));
  if (typeof issuer !== "string" || !acceptable(authz) || !acceptable(token)) {
    console.error("sign-in: metadata lacks issuer or https endpoints");
    throw new AuthorityUnavailableError("Microsoft sign-in is unavailable right now. Try again in a minute.");
  }
  return { issuer, authorizationEndpoint: authz, tokenEndpoint: token, insecureLoopback: loopback };
}

/** https, or plain http on the loopback host where a local stand-in runs (a deployed worker never reaches it). */
function acceptable(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).protocol === "https:" || isLoopbackHttp(value);
  } catch {
    return false;
  }
}

function isLoopbackHttp(value: string): boolean {
  const url = new URL(value);
  return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost");
}
