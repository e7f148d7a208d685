/**
 * Making user-supplied text safe to put on a card.
 *
 * Anything that came from an SDK, a user or an admin (issue titles, error values, culprits, release names,
 * member names and emails, rule names, the text of an unrecognized command) goes through one of these before it
 * reaches a card, so that it cannot:
 * - inject markdown (links, bold/italic, lists) into a TextBlock — markdown specials get a backslash;
 * - inject a Teams mention (`<at>…</at>`) or any other tag — a zero-width space follows every `<`;
 * - inject a `{{DATE(…)}}` / `{{TIME(…)}}` function — a zero-width space splits every `{{`;
 * - smuggle HTML entities that a client might decode into the above — a zero-width space follows `&` when it
 *   could start an entity;
 * - spoof text direction or hide content — control, bidi-override and BOM characters are removed;
 * - break the layout or the JSON — whitespace runs collapse to one space, lone surrogates become U+FFFD, and
 *   the text is cut to a length (by code point, never inside a surrogate pair) ending in "…".
 *
 * Zero-width spaces are used rather than backslashes or entities for `{{`, `<` and `&` because they neutralise
 * the pattern in every renderer regardless of whether it processes functions, tags or entities before or after
 * markdown, and they are invisible.
 */

const ZWSP = "\u200B";
const ELLIPSIS = "…";

// C0/C1 controls other than whitespace (whitespace is collapsed below), bidi marks/overrides/isolates, BOM.
const FORBIDDEN = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
const WHITESPACE_RUN = /[\s\u0085]+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Normalises arbitrary input to one clean line of at most `maxChars` code points (including the "…" when
 * cut). Non-strings become "" so a missing field never prints "undefined".
 */
export function cleanLine(value: unknown, maxChars: number): string {
  if (typeof value !== "string") return "";
  const line = value.replace(LONE_SURROGATE, "\uFFFD").replace(FORBIDDEN, "").replace(WHITESPACE_RUN, " ").trim();
  return truncate(line, maxChars);
}

/** Cuts `text` to at most `maxChars` code points, ending in "…" when something was removed. */
export function truncate(text: string, maxChars: number): string {
  const limit = Math.max(1, Math.floor(maxChars));
  // Fast path: UTF-16 length bounds the code point count from above.
  if (text.length <= limit) return text;
  const points = Array.from(text);
  if (points.length <= limit) return text;
  return points.slice(0, limit - 1).join("").trimEnd() + ELLIPSIS;
}

/**
 * Splits `{{` and the start of tags and entities with a zero-width space (see the module comment).
 * Idempotent: neutralising twice gives the same text.
 */
export function neutralize(text: string): string {
  return text
    .replace(/\{(?=\{)/g, `{${ZWSP}`)
    .replace(/<(?!\u200B)/g, `<${ZWSP}`)
    .replace(/&(?=[#A-Za-z])/g, `&${ZWSP}`);
}

// Inline markdown the Teams subset (and CommonMark) acts on anywhere in a line.
const INLINE_SPECIALS = /[\\`*_~[\]]/g;
// Block markers only act at the start of the text (lists and headings need a space after them, quotes don't):
// escape just those, so "1.4.2" or "-1" stay as they are.
const LEADING_BLOCK = /^(?:[-+#](?=\s|$)|>)/;
const LEADING_ORDERED = /^(\d{1,9})([.)])(?=\s|$)/;

/** Backslash-escapes markdown in text that is already one clean line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(INLINE_SPECIALS, (c) => `\\${c}`)
    .replace(LEADING_BLOCK, (c) => `\\${c}`)
    .replace(LEADING_ORDERED, "$1\\$2");
}

/** User text for a place that renders markdown (TextBlock text, Fact values, fallbackText). */
export function markdownText(value: unknown, maxChars: number): string {
  return neutralize(escapeMarkdown(cleanLine(value, maxChars)));
}

/** User text for a place that does not render markdown (choice titles, button titles, activity summary). */
export function plainText(value: unknown, maxChars: number): string {
  return neutralize(cleanLine(value, maxChars));
}

/**
 * Checks that a URL we are about to put on a card is absolute http(s) and returns it normalised.
 * Throws RangeError otherwise: a bad link here is a programming or configuration error, not user input.
 */
export function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError("card link must be an absolute http(s) URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new RangeError("card link must be an absolute http(s) URL");
  }
  return parsed.href;
}

/** A URL usable as a markdown link target: parentheses and spaces would end or break the target. */
export function markdownLinkTarget(url: string): string {
  return safeUrl(url).replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/ /g, "%20");
}

/** `[text](url)` with `text` escaped as user text. */
export function markdownLink(text: unknown, url: string, maxChars: number): string {
  return `[${markdownText(text, maxChars)}](${markdownLinkTarget(url)})`;
}
