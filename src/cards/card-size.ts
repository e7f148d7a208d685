/**
 * Card size accounting. Teams rejects bot messages above ~100 KB and older guidance says 28 KB; we keep every
 * card under 28 KB serialised, leaving room for the activity envelope.
 */

/** Upper bound for a whole message activity (card + envelope), in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 28 * 1024;

/** What a card may use of that, leaving 1 KB for the activity envelope (type, summary, attachment wrapper). */
export const CARD_BYTE_BUDGET = MAX_MESSAGE_BYTES - 1024;

const encoder = new TextEncoder();

/** Serialised size of any JSON value, in UTF-8 bytes. */
export function jsonByteLength(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}
