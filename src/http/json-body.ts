import type { Context } from "hono";
import { MalformedBodyError, PayloadTooLargeError } from "../errors";

/**
 * Reads a request body as text within a byte limit (Content-Length is checked first, then the real size,
 * since the header can lie or be absent) and parses it as a JSON object.
 */
export async function readJsonObject(c: Context, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readBodyText(c.req.raw, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedBodyError("The body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new MalformedBodyError("The body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/** The body as bytes, refusing anything over `maxBytes` without buffering more than that. */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  if (declared !== null && /^\d+$/.test(declared)) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }
  return readStreamCapped(req.body, maxBytes, DRAIN_MAX_BYTES);
}

/**
 * How much of an oversized request body is read and thrown away before answering 413. An unread body left on a
 * keep-alive connection stalls the connection's next request under `wrangler dev` (its proxy waits for the upload
 * to be taken: 5–30 s measured; plain workerd resets the connection instead), so the rest of a body a little over
 * the cap is drained — costing no memory, only the reads — and anything larger is cut off (docs/reliability.md).
 */
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

/**
 * All bytes of a stream, at most `maxBytes` (PayloadTooLargeError past that, the rest drained up to `drainMax`
 * more bytes, then the stream cancelled). Errors of the stream itself propagate to the caller.
 */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, maxBytes: number, drainMax = 0): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await drain(reader, drainMax).catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.byteLength;
  }
  return out;
}

/** Reads and discards up to `max` bytes, then cancels whatever is left. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, max: number): Promise<void> {
  let drained = 0;
  while (drained <= max) {
    const { done, value } = await reader.read();
    if (done) return;
    drained += value.byteLength;
  }
  await reader.cancel();
}

export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const bytes = await readBodyBytes(req, maxBytes);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MalformedBodyError("The body is not valid UTF-8.");
  }
}

// One decoder for the isolate: a fatal decoder keeps no state between non-streaming decode() calls.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function tooLarge(maxBytes: number) {
  return new PayloadTooLargeError(`The body is larger than ${Math.floor(maxBytes / 1024)} KB.`);
}
