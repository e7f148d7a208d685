/**
 * The Bot Connector's signing keys: OpenID metadata → `jwks_uri` → JWKS, kept as raw JWKs because
 * botbuilder's channel rules need each key's `endorsements` (jose's createRemoteJWKSet drops them).
 * See docs/bot-transport.md, "Inbound: verifying a request from the Bot Connector".
 *
 * Caching: the key set lives in isolate memory and in KV (`CACHE`) for 24 h, so a fresh isolate normally
 * costs one KV read, not two Microsoft requests. A `kid` we do not know triggers one refresh at most per
 * cool-down per isolate (botbuilder: once per hour), so a flood of made-up kids cannot make us hammer the
 * key endpoint; concurrent lookups share one in-flight refresh.
 */

import { fetchWithTimeout } from "./fetch-with-timeout";
import { clearVerifiedTokenCache } from "./verified-token-cache";

/** One key of the set, as Microsoft publishes it (extra members such as x5c are dropped). */
export type BotJwk = {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
  alg?: string;
  use?: string;
  /** Channels this key may sign for (e.g. ["msteams", ...]); absent means no restriction. */
  endorsements?: string[];
};

type KeySet = { fetchedAt: number; keys: BotJwk[] };

export type OpenIdKeyDeps = {
  fetch?: typeof fetch;
  now?: () => number;
  /** Shared cache across isolates; null to skip it. */
  kv?: KVNamespace | null;
};

/** Keys are re-fetched after this long even if every kid is known (botbuilder does the same). */
export const KEY_SET_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** At most one refresh per this period for an unknown kid. */
export const UNKNOWN_KID_COOLDOWN_MS = 5 * 60 * 1000;
/** After a failed fetch, the wait before Microsoft is asked again (a stale set is served meanwhile). */
export const FAILED_FETCH_RETRY_MS = 30 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
const KV_PREFIX = "botfw:openid-keys:v1:";

/** The signing keys could not be fetched (network, status or shape); details are in the message only. */
export class SigningKeysUnavailableError extends Error {}

class OpenIdKeyStore {
  private set: KeySet | null = null;
  /** When the set may next be replaced from the network (24 h after a fetch, a cool-down after a failure). */
  private refreshDueAt = 0;
  private lastMissRefreshAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<KeySet> | null = null;

  constructor(readonly metadataUrl: string) {}

  /** The key for `kid`, or null when it is unknown even after the allowed refresh. */
  async getKey(kid: string, deps: OpenIdKeyDeps = {}): Promise<BotJwk | null> {
    const now = (deps.now ?? Date.now)();
    let set = this.set;
    if (!set) {
      // No set and a fetch failed moments ago: fail fast instead of asking Microsoft on every request.
      if (now < this.refreshDueAt && !this.inflight) {
        throw new SigningKeysUnavailableError("signing keys unavailable (last fetch failed recently)");
      }
      set = await this.load(deps, true);
    } else if (now >= this.refreshDueAt) {
      set = await this.load(deps, false);
    }
    const key = findKey(set, kid);
    if (key) return key;

    // Unknown kid. If a refresh is already running (started by another request), its result may have it.
    if (this.inflight) return findKey(await this.inflight, kid);
    if (now - this.lastMissRefreshAt < UNKNOWN_KID_COOLDOWN_MS) return null;
    this.lastMissRefreshAt = now;
    return findKey(await this.load(deps, false), kid);
  }

  /** Loads the set once for all concurrent callers: from KV when allowed and fresh, else from Microsoft. */
  private load(deps: OpenIdKeyDeps, allowKv: boolean): Promise<KeySet> {
    if (!this.inflight) {
      this.inflight = this.loadUncached(deps, allowKv).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async loadUncached(deps: OpenIdKeyDeps, allowKv: boolean): Promise<KeySet> {
    const now = deps.now ?? Date.now;
    const kv = deps.kv ?? null;
    if (allowKv && kv) {
      const stored = await readKv(kv, this.metadataUrl);
      if (stored && now() - stored.fetchedAt < KEY_SET_MAX_AGE_MS && stored.keys.length > 0) {
        this.set = stored;
        this.refreshDueAt = stored.fetchedAt + KEY_SET_MAX_AGE_MS;
        return stored;
      }
    }
    try {
      const keys = await fetchKeySet(this.metadataUrl, deps.fetch ?? fetch);
      const set: KeySet = { fetchedAt: now(), keys };
      this.set = set;
      this.refreshDueAt = set.fetchedAt + KEY_SET_MAX_AGE_MS;
      if (kv) {
        await kv
          .put(KV_PREFIX + this.metadataUrl, JSON.stringify(set), { expirationTtl: KEY_SET_MAX_AGE_MS / 1000 })
          .catch((err) => console.warn("openid keys: KV write failed", String(err)));
      }
      return set;
    } catch (err) {
      // Keep serving a stale set rather than failing every request while Microsoft is unreachable, and
      // wait a cool-down before trying again.
      this.refreshDueAt = now() + FAILED_FETCH_RETRY_MS;
      if (this.set) {
        console.warn("openid keys: refresh failed, keeping the previous key set", String(err));
        return this.set;
      }
      throw err;
    }
  }
}

function findKey(set: KeySet, kid: string): BotJwk | null {
  return set.keys.find((k) => k.kid === kid) ?? null;
}

async function readKv(kv: KVNamespace, metadataUrl: string): Promise<KeySet | null> {
  try {
    const raw = await kv.get<KeySet>(KV_PREFIX + metadataUrl, "json");
    if (!raw || typeof raw.fetchedAt !== "number" || !Array.isArray(raw.keys)) return null;
    return { fetchedAt: raw.fetchedAt, keys: raw.keys.map(toBotJwk).filter((k): k is BotJwk => k !== null) };
  } catch (err) {
    console.warn("openid keys: KV read failed", String(err));
    return null;
  }
}

async function fetchJson(url: string, fetchFn: typeof fetch): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchWithTimeout(fetchFn, url, { headers: { accept: "application/json" } }, FETCH_TIMEOUT_MS);
  } catch (err) {
    throw new SigningKeysUnavailableError(`GET ${url} failed: ${String(err)}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new SigningKeysUnavailableError(`GET ${url} answered ${res.status}`);
  }
  try {
    return await res.json();
  } catch {
    throw new SigningKeysUnavailableError(`GET ${url} did not answer JSON`);
  }
}

/**
 * The key set's address must be https; plain http only on the loopback host, where a local stand-in for
 * Microsoft runs (`npm run demo`) — the same rule connectorBaseUrl applies to serviceUrls. A deployed worker
 * never reaches a loopback address, so this opens nothing there.
 */
function acceptableJwksUri(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost");
  } catch {
    return false;
  }
}

/** Metadata document → jwks_uri → the RSA keys in it. Exported for the doctor (GET /api/admin/doctor). */
export async function fetchKeySet(metadataUrl: string, fetchFn: typeof fetch): Promise<BotJwk[]> {
  const metadata = await fetchJson(metadataUrl, fetchFn);
  const jwksUri = (metadata as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (!acceptableJwksUri(jwksUri)) {
    throw new SigningKeysUnavailableError("OpenID metadata has no https jwks_uri");
  }
  const jwks = await fetchJson(jwksUri, fetchFn);
  const rawKeys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(rawKeys)) throw new SigningKeysUnavailableError("JWKS has no keys array");
  const keys = rawKeys.map(toBotJwk).filter((k): k is BotJwk => k !== null);
  if (keys.length === 0) throw new SigningKeysUnavailableError("JWKS has no usable RSA signing keys");
  return keys;
}

/** Only RSA public keys meant for signatures are kept: nothing else can verify an RS* token. */
function toBotJwk(raw: unknown): BotJwk | null {
  if (!raw || typeof raw !== "object") return null;
  const k = raw as Record<string, unknown>;
  if (k.kty !== "RSA" || typeof k.kid !== "string" || typeof k.n !== "string" || typeof k.e !== "string") return null;
  if (k.use !== undefined && k.use !== "sig") return null;
  // A private key has no business in a published key set; refuse it rather than import it.
  if ("d" in k) return null;
  const jwk: BotJwk = { kty: "RSA", kid: k.kid, n: k.n, e: k.e };
  if (typeof k.alg === "string") jwk.alg = k.alg;
  if (typeof k.use === "string") jwk.use = k.use;
  if (Array.isArray(k.endorsements)) jwk.endorsements = k.endorsements.filter((x): x is string => typeof x === "string");
  return jwk;
}

const stores = new Map<string, OpenIdKeyStore>();

/** The isolate's key store for a metadata URL (one per URL, so a test or a government cloud gets its own). */
export function openIdKeyStore(metadataUrl: string): OpenIdKeyStore {
  let store = stores.get(metadataUrl);
  if (!store) {
    store = new OpenIdKeyStore(metadataUrl);
    stores.set(metadataUrl, store);
  }
  return store;
}

/** Forgets every key set held in this isolate, and the tokens verified with them (tests start from a cold isolate; KV is not touched). */
export function clearOpenIdKeyCache(): void {
  stores.clear();
  clearVerifiedTokenCache();
}

export type { OpenIdKeyStore };
