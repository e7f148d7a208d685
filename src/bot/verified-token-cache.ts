/**
 * Bot Framework tokens already verified in this isolate.
 *
 * The Bot Connector signs one token and sends it on every activity until it nears expiry (an hour, see
 * docs/bot-transport.md), so checking the RSA signature again on each request repeats the same
 * work with the same answer. What can change between two requests with the same token is checked again every
 * time it is reused:
 *  - the time claims, at the request's own time, with the same 300 s tolerance and the same comparisons jose
 *    makes (`exp <= now - tolerance` is expired, `nbf > now + tolerance` not valid yet);
 *  - the signing key: the entry holds the key object it was verified with, and is used only while the key store
 *    still serves that very object for the kid — a refreshed or rotated key set (daily, or on an unknown kid)
 *    sends the token through the full check again;
 *  - the expected audience and metadata URL (configuration), which must equal those it was verified for.
 * Binding the token to the activity (endorsed channel, serviceUrl) is per request and not cached at all.
 *
 * Only verified tokens go in (failures are never cached: they must keep their specific 401 reason). The map is
 * bounded; when full, the oldest entry goes.
 */
import type { BotJwk } from "./openid-keys";
import type { VerifiedBotToken } from "./verify-bot-token";

export type CachedVerification = {
  verified: VerifiedBotToken;
  /** The key object the signature was checked with. */
  jwk: BotJwk;
  appId: string;
  metadataUrl: string;
  /** Seconds since the epoch. */
  exp: number;
  nbf: number | undefined;
};

export const MAX_CACHED_TOKENS = 1000;

const entries = new Map<string, CachedVerification>();

/** The cached verification of `token` if its time claims still pass at `nowSeconds`; drops it otherwise. */
export function cachedVerification(token: string, nowSeconds: number, toleranceSeconds: number): CachedVerification | null {
  const hit = entries.get(token);
  if (!hit) return null;
  if (hit.exp <= nowSeconds - toleranceSeconds || (hit.nbf !== undefined && hit.nbf > nowSeconds + toleranceSeconds)) {
    entries.delete(token);
    return null;
  }
  return hit;
}

export function rememberVerification(token: string, entry: CachedVerification): void {
  if (entries.size >= MAX_CACHED_TOKENS && !entries.has(token)) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  entries.set(token, entry);
}

export function forgetVerification(token: string): void {
  entries.delete(token);
}

/** How many tokens are held (tests, diagnostics). */
export function cachedTokenCount(): number {
  return entries.size;
}

/** Forgets every cached verification (tests start from a cold isolate). */
export function clearVerifiedTokenCache(): void {
  entries.clear();
}
