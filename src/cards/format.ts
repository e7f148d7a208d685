/**
 * Deterministic formatting for cards: no locale, no clock. Dates are left to the Teams client through the
 * `{{DATE()}}` / `{{TIME()}}` functions so each reader sees their own time zone and locale.
 */

// Years 0000–9999: the range a strict `YYYY-MM-DDTHH:MM:SSZ` timestamp can express.
const MIN_MS = -62167219200000;
const MAX_MS = 253402300799999;

/** Epoch ms → `YYYY-MM-DDTHH:MM:SSZ` (no fractional seconds: the card date functions reject them); null if invalid. */
export function isoSeconds(ms: number): string | null {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `{{DATE(<iso>, SHORT)}} at {{TIME(<iso>)}}`, localised by the client; null if `ms` is not a valid time. */
export function dateTimeText(ms: number): string | null {
  const iso = isoSeconds(ms);
  return iso === null ? null : `{{DATE(${iso}, SHORT)}} at {{TIME(${iso})}}`;
}

/** 1234567 → "1,234,567". Negative, fractional or non-finite inputs are clamped to a whole number ≥ 0. */
export function formatCount(n: number): string {
  const whole = typeof n === "number" && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
  return String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 event" / "12 events". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 30 → "30 minutes", 120 → "2 hours", 1440 → "24 hours", 4320 → "3 days", 10080 → "1 week". */
export function formatMinutes(minutes: number): string {
  const m = typeof minutes === "number" && Number.isFinite(minutes) ? Math.max(0, Math.round(minutes)) : 0;
  if (m >= 10080 && m % 10080 === 0) return plural(m / 10080, "week", "weeks");
  if (m > 1440 && m % 1440 === 0) return plural(m / 1440, "day", "days");
  if (m >= 60 && m % 60 === 0) return plural(m / 60, "hour", "hours");
  return plural(m, "minute", "minutes");
}
