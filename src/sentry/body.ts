/**
 * Reading an SDK's request body: at most 1 MB on the wire, then decoded per Content-Encoding (gzip, deflate —
 * zlib-wrapped as HTTP says, or raw as some clients send it) into at most 20 MB. The limit is enforced while
 * inflating, so a zip bomb costs us 20 MB of work at most and answers 413.
 */
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";
import { readBodyBytes, readStreamCapped } from "../http/json-body";

export const MAX_COMPRESSED_BYTES = 1024 * 1024;
export const MAX_DECOMPRESSED_BYTES = 20 * 1024 * 1024;

export type BodyLimits = { maxCompressed: number; maxDecompressed: number };
const DEFAULT_LIMITS: BodyLimits = { maxCompressed: MAX_COMPRESSED_BYTES, maxDecompressed: MAX_DECOMPRESSED_BYTES };

/** The request body, decompressed, within the limits. */
export async function readSentryBody(req: Request, limits: BodyLimits = DEFAULT_LIMITS): Promise<Uint8Array> {
  const raw = await readBodyBytes(req, limits.maxCompressed);
  return decodeContentEncoding(raw, req.headers.get("content-encoding"), limits.maxDecompressed);
}

/**
 * Undoes a Content-Encoding list (applied in order, so undone in reverse). Unknown codings are 415; a
 * corrupt stream is 400; more than `maxBytes` of output is 413.
 */
export async function decodeContentEncoding(
  bytes: Uint8Array,
  header: string | null,
  maxBytes: number,
): Promise<Uint8Array> {
  const codings = (header ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== "identity");
  let out = bytes;
  for (const coding of codings.reverse()) {
    if (coding === "gzip" || coding === "x-gzip") out = await inflate(out, "gzip", maxBytes);
    else if (coding === "deflate") out = await inflate(out, hasZlibHeader(out) ? "deflate" : "deflate-raw", maxBytes);
    else throw new UnsupportedMediaTypeError("Content-Encoding must be gzip, deflate or identity.");
  }
  if (out.byteLength > maxBytes) throw tooLarge(maxBytes);
  return out;
}

/** RFC 1950: CM = 8 (deflate) and the two header bytes, read big-endian, are a multiple of 31. */
export function hasZlibHeader(b: Uint8Array): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

export async function inflate(
  input: Uint8Array,
  format: "gzip" | "deflate" | "deflate-raw",
  maxBytes: number,
): Promise<Uint8Array> {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  // Not awaited: the write settles only as the output is read (back-pressure). Errors surface on the reader.
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  try {
    return await readStreamCapped(stream.readable, maxBytes);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw tooLarge(maxBytes);
    throw new MalformedBodyError(`The ${format === "gzip" ? "gzip" : "deflate"} body could not be decompressed.`);
  }
}

/** Legacy `store` clients (raven) send base64 of a zlib stream; accept that like Sentry does. */
export async function decodeLegacyStoreBody(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  let binary: string;
  try {
    binary = atob(new TextDecoder().decode(bytes).trim());
  } catch {
    throw new MalformedBodyError("The body is neither JSON nor base64-encoded zlib.");
  }
  const packed = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return inflate(packed, hasZlibHeader(packed) ? "deflate" : "deflate-raw", maxBytes);
}

function tooLarge(maxBytes: number) {
  return new PayloadTooLargeError(`The decompressed body is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB.`);
}
