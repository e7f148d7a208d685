/**
 * The bot's own access token for the Connector: OAuth client-credentials exchange at the token endpoint
 * (docs/bot-transport.md, "Outbound: the bot's own token"), cached in isolate memory and in KV (`CACHE`).
 *
 * - KV entry lives expires_in − 300 s (at least 60 s, KV's minimum); the value carries its own expiry too.
 * - Concurrent callers share one in-flight exchange: a burst of 1,000 sends costs one token request.
 * - 4xx answers (invalid_client, unauthorized_client, ...) are configuration errors: BotCredentialsRejectedError,
 *   not retried. 429, 5xx, network errors and timeouts: bounded retries with backoff, then
 *   BotTokenUnavailableError.
 * - The token and the password are never logged.
 */
import type { Env } from "../env";
import { fetchWithTimeout } from "./fetch-with-timeout";
import { BotCredentialsRejectedError, BotTokenUnavailableError } from "../errors";
import { botConfig, type BotConfig } from "./bot-config";
import { backoffDelay, parseRetryAfter, realSleep, type Sleep } from "./retry";

export const BOT_TOKEN_SCOPE = "https://api.botframework.com/.default";
/** Renew this long before Microsoft's expiry (botbuilder and Sentry both use 5 minutes). */
export const TOKEN_RENEW_MARGIN_SECONDS = 300;
const KV_MIN_TTL_SECONDS = 60;
const KV_PREFIX = "botfw:token:v1:";

export type TokenDeps = {
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
  /** Shared cache across isolates; defaults to env.CACHE, null to skip it. */
  kv?: KVNamespace | null;
  /** Per-attempt timeout of the token request. */
  timeoutMs?: number;
  /** Attempts in total for retryable failures. */
  maxAttempts?: number;
};

export type GetTokenOptions = {
  /** A token the Connector just refused (401): never hand it out again, exchange a new one. */
  reject?: string;
};

type CachedToken = { token: string; expiresAt: number };
type Slot = { current: CachedToken | null; inflight: Promise<CachedToken> | null };

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 5_000;

const slots = new Map<string, Slot>();

function slotFor(config: BotConfig): Slot {
  const key = `${config.tokenUrl}|${config.appId}`;
  let slot = slots.get(key);
  if (!slot) {
    slot = { current: null, inflight: null };
    slots.set(key, slot);
  }
  return slot;
}

/** Forgets the tokens held in this isolate (tests start from a cold isolate; KV is not touched). */
export function clearBotTokenCache(): void {
  slots.clear();
}

/** A bearer token for the Connector, from memory, KV or a fresh exchange (in that order). */
export async function getBotToken(env: Env, deps: TokenDeps = {}, options: GetTokenOptions = {}): Promise<string> {
  const config = botConfig(env);
  const now = deps.now ?? Date.now;
  const slot = slotFor(config);
  const usable = (t: CachedToken | null): t is CachedToken => !!t && t.token !== options.reject && now() < t.expiresAt;
  if (usable(slot.current)) return slot.current.token;
  // Join a running exchange; its result is fresh, unless it raced a rejection and produced that very token.
  if (slot.inflight) {
    const shared = await slot.inflight;
    if (shared.token !== options.reject) return shared.token;
  }
  if (!slot.inflight) {
    const kv = deps.kv === undefined ? env.CACHE : deps.kv;
    slot.inflight = obtain(config, kv, deps, options.reject).then(
      (t) => {
        slot.current = t;
        slot.inflight = null;
        return t;
      },
      (err) => {
        slot.inflight = null;
        throw err;
      },
    );
  }
  return (await slot.inflight).token;
}

async function obtain(config: BotConfig, kv: KVNamespace | null, deps: TokenDeps, reject: string | undefined): Promise<CachedToken> {
  const now = deps.now ?? Date.now;
  const kvKey = `${KV_PREFIX}${config.appId}:${config.tokenUrl}`;
  if (kv) {
    try {
      const stored = await kv.get<CachedToken>(kvKey, "json");
      if (stored && typeof stored.token === "string" && stored.token !== reject && typeof stored.expiresAt === "number" && now() < stored.expiresAt) {
        return stored;
      }
    } catch (err) {
      console.warn("bot token: KV read failed", String(err));
    }
  }
  const { token, expiresIn } = await exchange(config, deps);
  const lifetime = expiresIn - TOKEN_RENEW_MARGIN_SECONDS >= KV_MIN_TTL_SECONDS ? expiresIn - TOKEN_RENEW_MARGIN_SECONDS : Math.floor(expiresIn / 2);
  const cached: CachedToken = { token, expiresAt: now() + lifetime * 1000 };
  if (kv && lifetime >= 1) {
    await kv
      .put(kvKey, JSON.stringify(cached), { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, lifetime) })
      .catch((err) => console.warn("bot token: KV write failed", String(err)));
  }
  return cached;
}

/** OAuth error codes we name back to the operator; anything else is reported without upstream text. */
const KNOWN_OAUTH_ERRORS = new Set([
  "invalid_client",
  "unauthorized_client",
  "invalid_grant",
  "invalid_scope",
  "invalid_request",
  "unsupported_grant_type",
]);

async function exchange(config: BotConfig, deps: TokenDeps): Promise<{ token: string; expiresIn: number }> {
  const fetchFn = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: config.appId,
    client_secret: config.appPassword,
    scope: BOT_TOKEN_SCOPE,
  }).toString();

  let lastProblem = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let res: Response;
    try {
      res = await fetchWithTimeout(
        fetchFn,
        config.tokenUrl,
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: form },
        timeoutMs,
      );
    } catch (err) {
      lastProblem = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? "timeout" : "network error";
      if (attempt < maxAttempts) await sleep(backoffDelay(attempt - 1, RETRY_BASE_MS, RETRY_CAP_MS, deps.random));
      continue;
    }

    if (res.ok) {
      const body = (await res.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
      const token = body?.access_token;
      const expiresIn = Number(body?.expires_in);
      if (typeof token === "string" && token.length > 0 && Number.isFinite(expiresIn) && expiresIn > 0) {
        return { token, expiresIn };
      }
      lastProblem = "malformed token response";
    } else if (res.status === 429 || res.status >= 500) {
      lastProblem = `HTTP ${res.status}`;
      const retryAfter = res.status === 429 ? parseRetryAfter(res.headers.get("retry-after"), now()) : null;
      await res.body?.cancel();
      if (attempt < maxAttempts) {
        await sleep(retryAfter !== null ? Math.min(retryAfter, RETRY_CAP_MS) : backoffDelay(attempt - 1, RETRY_BASE_MS, RETRY_CAP_MS, deps.random));
      }
      continue;
    } else {
      // 4xx: the request itself is wrong — almost always the app id, password or tenant. Retrying cannot help.
      const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
      const oauthError = typeof body?.error === "string" && KNOWN_OAUTH_ERRORS.has(body.error) ? body.error : null;
      console.error("bot token: token endpoint refused the credentials", res.status, oauthError ?? "unknown error");
      throw new BotCredentialsRejectedError(
        `Microsoft refused the bot's credentials${oauthError ? ` (${oauthError})` : ""} (HTTP ${res.status}). ` +
          "Check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and, for a single-tenant bot, MICROSOFT_APP_TENANT_ID.",
      );
    }
    if (attempt < maxAttempts) await sleep(backoffDelay(attempt - 1, RETRY_BASE_MS, RETRY_CAP_MS, deps.random));
  }
  console.error("bot token: exchange failed after retries", lastProblem);
  throw new BotTokenUnavailableError(`The bot's access token could not be obtained from Microsoft (${lastProblem}); try again later.`);
}
