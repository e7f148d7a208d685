/** Backoff arithmetic shared by the token client and the Connector client. */

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential backoff with "full jitter" (a uniformly random wait up to base·2^retry, capped), so a burst of
 * senders that failed together does not come back together. `retry` counts from 0.
 */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  // Keep at least a quarter of the ceiling: a zero wait would just repeat the failing request.
  return Math.round(ceiling / 4 + random() * ((ceiling * 3) / 4));
}

/**
 * Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null when absent or
 * unreadable. Negative results (a date in the past) become 0.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date always names a weekday/month; without letters Date.parse would read "-5" as a year.
  if (!/[A-Za-z]/.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
