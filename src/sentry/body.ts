/**
 * Reading an SDK's request body: at most 1 MB on the wire, then decoded per Content-Encoding into at most 20 MB
 * in total for the whole request (every decoding step draws on the same budget).
 *
 * Bounding the work (issue #15): Sentry's SDKs send one encoding, so a request may name at most one (gzip,
 * deflate — zlib-wrapped as HTTP says, or raw as some clients send it — or identity); a stacked list is 415
 * before a byte is decoded, since each layer would cost another full decode. The limit is enforced while
 * inflating, so a zip bomb costs us 20 MB of output at most and answers 413 — and that only for a caller who
 * authenticated first (routes/sentry.ts): a request whose key is only inside the body gets the first line of
 * the body decoded (at most ENVELOPE_HEADER_MAX_BYTES) to read it.
 */
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";
import { readBodyBytes, readStreamCapped } from "../http/json-body";

export const MAX_COMPRESSED_BYTES = 1024 * 1024;
export const MAX_DECOMPRESSED_BYTES = 20 * 1024 * 1024;
/** The envelope header line (event id, DSN, SDK, trace context, sent_at) is well under 1 KB from every SDK. */
export const ENVELOPE_HEADER_MAX_BYTES = 16 * 1024;

export type ContentCoding = "identity" | "gzip" | "deflate";

/**
 * The request's one content coding. Several codings (a list, or the header repeated, which arrives as a list)
 * and unknown ones are 415.
 */
export function contentCodingOf(header: string | null): ContentCoding {
  const codings = (header ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  if (codings.length > 1) throw new UnsupportedMediaTypeError("Send at most one Content-Encoding (gzip, deflate or identity).");
  const coding = codings[0] ?? "identity";
  if (coding === "identity") return "identity";
  if (coding === "gzip" || coding === "x-gzip") return "gzip";
  if (coding === "deflate") return "deflate";
  throw new UnsupportedMediaTypeError("Content-Encoding must be gzip, deflate or identity.");
}

/**
 * How many decoded bytes a request may still produce: shared by every decoding step of one request (the
 * Content-Encoding, then a legacy store body's own zlib), so no sequence of steps decodes more than the cap.
 */
export class DecodeBudget {
  constructor(public remaining: number = MAX_DECOMPRESSED_BYTES, readonly total: number = remaining) {}
  spend(bytes: number): void {
    this.remaining -= bytes;
    if (this.remaining < 0) throw tooLarge(this.total);
  }
}

/** The request body as it came on the wire (at most 1 MB), not decoded yet. */
export function readRawSentryBody(req: Request, maxCompressed = MAX_COMPRESSED_BYTES): Promise<Uint8Array> {
  return readBodyBytes(req, maxCompressed);
}

/** Undoes the request's content coding within the budget: a corrupt stream is 400, past the budget 413. */
export async function decodeBody(bytes: Uint8Array, coding: ContentCoding, budget: DecodeBudget): Promise<Uint8Array> {
  if (coding === "identity") {
    budget.spend(bytes.byteLength);
    return bytes;
  }
  const out = await inflate(bytes, formatOf(coding, bytes), budget.remaining, budget.total);
  budget.spend(out.byteLength);
  return out;
}

/**
 * The decoded body's first line (without its newline), decoding no more than `maxBytes` of it; null when there
 * is no newline within them (then the caller cannot read an envelope header from it). A corrupt stream is 400.
 */
export async function decodeFirstLine(bytes: Uint8Array, coding: ContentCoding, maxBytes: number): Promise<Uint8Array | null> {
  if (coding === "identity") {
    const nl = bytes.subarray(0, maxBytes + 1).indexOf(0x0a);
    return nl === -1 ? (bytes.byteLength <= maxBytes ? bytes : null) : bytes.subarray(0, nl);
  }
  const format = formatOf(coding, bytes);
  const reader = decompress(bytes, format).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concat(chunks, total);
      const nl = value.indexOf(0x0a);
      if (nl !== -1) {
        if (total + nl > maxBytes) return null;
        chunks.push(value.subarray(0, nl));
        return concat(chunks, total + nl);
      }
      total += value.byteLength;
      if (total > maxBytes) return null;
      chunks.push(value);
    }
  } catch {
    throw corrupt(format);
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** RFC 1950: CM = 8 (deflate) and the two header bytes, read big-endian, are a multiple of 31. */
export function hasZlibHeader(b: Uint8Array): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

type Format = "gzip" | "deflate" | "deflate-raw";

function formatOf(coding: Exclude<ContentCoding, "identity">, bytes: Uint8Array): Format {
  return coding === "gzip" ? "gzip" : hasZlibHeader(bytes) ? "deflate" : "deflate-raw";
}

function decompress(input: Uint8Array, format: Format): ReadableStream<Uint8Array> {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  // Not awaited: the write settles only as the output is read (back-pressure). Errors surface on the reader.
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  return stream.readable;
}

/** Inflates at most `maxBytes`; `capForMessage` is the request's whole cap, named in the 413. */
export async function inflate(input: Uint8Array, format: Format, maxBytes: number, capForMessage = maxBytes): Promise<Uint8Array> {
  try {
    return await readStreamCapped(decompress(input, format), maxBytes);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw tooLarge(capForMessage);
    throw corrupt(format);
  }
}

/** Legacy `store` clients (raven) send base64 of a zlib stream; accept that like Sentry does. */
export async function decodeLegacyStoreBody(bytes: Uint8Array, budget: DecodeBudget): Promise<Uint8Array> {
  let binary: string;
  try {
    binary = atob(new TextDecoder().decode(bytes).trim());
  } catch {
    throw new MalformedBodyError("The body is neither JSON nor base64-encoded zlib.");
  }
  const packed = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  const out = await inflate(packed, hasZlibHeader(packed) ? "deflate" : "deflate-raw", budget.remaining, budget.total);
  budget.spend(out.byteLength);
  return out;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.byteLength;
  }
  return out;
}

function corrupt(format: Format) {
  return new MalformedBodyError(`The ${format === "gzip" ? "gzip" : "deflate"} body could not be decompressed.`);
}

function tooLarge(maxBytes: number) {
  return new PayloadTooLargeError(`The decompressed body is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB.`);
}
