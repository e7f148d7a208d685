/**
 * The Sentry envelope wire format, parsed into our own shape:
 *
 *     {"event_id":"…","dsn":"…","sent_at":"…"}\n      ← envelope header (one JSON object)
 *     {"type":"event","length":123}\n                 ← item header
 *     <payload>\n                                     ← `length` bytes if given (may contain newlines),
 *     …                                                  else up to the next newline
 *
 * Lengths count bytes, so this works on bytes, not on decoded text. Anything that does not follow the format is
 * a MalformedBodyError naming what and where; nothing is ingested from a malformed envelope.
 */
import { MalformedBodyError } from "../errors";

export type EnvelopeItem = {
  type: string;
  headers: Record<string, unknown>;
  payload: Uint8Array;
};

export type Envelope = {
  headers: Record<string, unknown>;
  items: EnvelopeItem[];
};

/** Far above what an SDK sends (one event plus a few attachments / sessions); bounds our work per request. */
export const MAX_ENVELOPE_ITEMS = 100;

const NEWLINE = 0x0a;
const CR = 0x0d;

export function parseEnvelope(bytes: Uint8Array): Envelope {
  if (!bytes.byteLength) throw new MalformedBodyError("Envelope is empty.");
  let pos = 0;

  const headerLine = readLine(bytes, pos);
  const headers = parseJsonObject(headerLine.bytes, "envelope header");
  pos = headerLine.next;

  const items: EnvelopeItem[] = [];
  while (pos < bytes.byteLength) {
    // Blank lines between items (and a trailing newline) carry nothing; SDKs and tunnels sometimes add them.
    if (bytes[pos] === NEWLINE || (bytes[pos] === CR && bytes[pos + 1] === NEWLINE)) {
      pos += bytes[pos] === CR ? 2 : 1;
      continue;
    }
    const n = items.length + 1;
    if (n > MAX_ENVELOPE_ITEMS) throw new MalformedBodyError(`Envelope has more than ${MAX_ENVELOPE_ITEMS} items.`);

    const headerLine = readLine(bytes, pos);
    const itemHeaders = parseJsonObject(headerLine.bytes, `item ${n} header`);
    const type = itemHeaders.type;
    if (typeof type !== "string" || !type) throw new MalformedBodyError(`Item ${n} header has no "type".`);
    pos = headerLine.next;

    let payload: Uint8Array;
    const length = itemHeaders.length;
    if (length !== undefined && length !== null) {
      if (typeof length !== "number" || !Number.isInteger(length) || length < 0) {
        throw new MalformedBodyError(`Item ${n} "length" must be a non-negative integer.`);
      }
      if (pos + length > bytes.byteLength) {
        throw new MalformedBodyError(`Item ${n} payload is shorter than its "length" (${length} bytes).`);
      }
      payload = bytes.subarray(pos, pos + length);
      pos += length;
      // After a sized payload comes a newline or the end; anything else means the length was wrong.
      if (pos < bytes.byteLength) {
        if (bytes[pos] === NEWLINE) pos += 1;
        else if (bytes[pos] === CR && bytes[pos + 1] === NEWLINE) pos += 2;
        else throw new MalformedBodyError(`Item ${n} payload is longer than its "length" (${length} bytes).`);
      }
    } else {
      const line = readLine(bytes, pos);
      payload = line.bytes;
      pos = line.next;
    }
    items.push({ type, headers: itemHeaders, payload });
  }
  return { headers, items };
}

/** The bytes up to (not including) the next newline (a trailing CR is dropped), and where the next line starts. */
function readLine(bytes: Uint8Array, start: number): { bytes: Uint8Array; next: number } {
  const nl = bytes.indexOf(NEWLINE, start);
  const end = nl === -1 ? bytes.byteLength : nl;
  const trimmedEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
  return { bytes: bytes.subarray(start, trimmedEnd), next: nl === -1 ? bytes.byteLength : nl + 1 };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 JSON that must be an object; `what` names the part in the error. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new MalformedBodyError(`${capitalise(what)} is not valid JSON.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MalformedBodyError(`${capitalise(what)} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
