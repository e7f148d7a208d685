import { describe, expect, it } from "vitest";
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../../../src/errors";
import { decodeContentEncoding, decodeLegacyStoreBody, hasZlibHeader } from "../../../src/sentry/body";

async function compress(data: Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const text = new TextEncoder().encode('{"message":"hello"}\n'.repeat(100));
const MB = 1024 * 1024;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("decodeContentEncoding", () => {
  it("passes identity bodies through", async () => {
    expect(await decodeContentEncoding(text, null, MB)).toBe(text);
    expect(await decodeContentEncoding(text, "identity", MB)).toBe(text);
  });

  it("inflates gzip, zlib deflate and raw deflate", async () => {
    expect(await decodeContentEncoding(await compress(text, "gzip"), "gzip", MB)).toEqual(text);
    const zlib = await compress(text, "deflate");
    expect(hasZlibHeader(zlib)).toBe(true);
    expect(await decodeContentEncoding(zlib, "deflate", MB)).toEqual(text);
    const raw = await compress(text, "deflate-raw");
    expect(hasZlibHeader(raw)).toBe(false);
    expect(await decodeContentEncoding(raw, "Deflate", MB)).toEqual(text);
  });

  it("undoes stacked codings in reverse order", async () => {
    const twice = await compress(await compress(text, "deflate"), "gzip");
    expect(await decodeContentEncoding(twice, "deflate, gzip", MB)).toEqual(text);
  });

  it("stops a zip bomb at the limit with 413", async () => {
    const bomb = await compress(new Uint8Array(8 * MB), "gzip");
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const err = await rejection(decodeContentEncoding(bomb, "gzip", 2 * MB));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
  });

  it("refuses corrupt streams (400) and unknown codings (415)", async () => {
    const gz = await compress(text, "gzip");
    const corrupt = gz.slice(0, 20);
    corrupt[12] ^= 0xff;
    expect(await rejection(decodeContentEncoding(corrupt, "gzip", MB))).toBeInstanceOf(MalformedBodyError);
    expect(await rejection(decodeContentEncoding(text, "gzip", MB))).toBeInstanceOf(MalformedBodyError);
    expect(await rejection(decodeContentEncoding(text, "br", MB))).toBeInstanceOf(UnsupportedMediaTypeError);
  });
});

describe("decodeLegacyStoreBody", () => {
  it("decodes base64 of zlib, as raven clients send", async () => {
    const zlib = await compress(text, "deflate");
    const b64 = btoa(String.fromCharCode(...zlib));
    expect(await decodeLegacyStoreBody(new TextEncoder().encode(b64), MB)).toEqual(text);
    expect(await rejection(decodeLegacyStoreBody(new TextEncoder().encode("%%%"), MB))).toBeInstanceOf(MalformedBodyError);
  });
});
