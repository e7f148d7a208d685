import { describe, expect, it } from "vitest";
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../../../src/errors";
import { contentCodingOf, decodeBody, DecodeBudget, decodeFirstLine, decodeLegacyStoreBody, hasZlibHeader } from "../../../src/sentry/body";

async function compress(data: Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const text = new TextEncoder().encode('{"message":"hello"}\n'.repeat(100));
const MB = 1024 * 1024;

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

const decode = (bytes: Uint8Array, header: string | null, max: number) => decodeBody(bytes, contentCodingOf(header), new DecodeBudget(max));

describe("contentCodingOf", () => {
  it("reads one coding, in any case; none is identity", () => {
    expect(contentCodingOf(null)).toBe("identity");
    expect(contentCodingOf("")).toBe("identity");
    expect(contentCodingOf("Identity")).toBe("identity");
    expect(contentCodingOf(" GZIP ")).toBe("gzip");
    expect(contentCodingOf("x-gzip")).toBe("gzip");
    expect(contentCodingOf("deflate")).toBe("deflate");
  });

  it("refuses stacked codings (a list, or the header repeated) and unknown ones with 415", async () => {
    expect(await rejection(() => contentCodingOf("deflate, gzip"))).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(await rejection(() => contentCodingOf(Array(100).fill("gzip").join(", ")))).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(await rejection(() => contentCodingOf("identity, identity"))).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(await rejection(() => contentCodingOf("br"))).toBeInstanceOf(UnsupportedMediaTypeError);
  });
});

describe("decodeBody", () => {
  it("passes identity bodies through", async () => {
    expect(await decode(text, null, MB)).toBe(text);
    expect(await decode(text, "identity", MB)).toBe(text);
  });

  it("inflates gzip, zlib deflate and raw deflate", async () => {
    expect(await decode(await compress(text, "gzip"), "gzip", MB)).toEqual(text);
    const zlib = await compress(text, "deflate");
    expect(hasZlibHeader(zlib)).toBe(true);
    expect(await decode(zlib, "deflate", MB)).toEqual(text);
    const raw = await compress(text, "deflate-raw");
    expect(hasZlibHeader(raw)).toBe(false);
    expect(await decode(raw, "Deflate", MB)).toEqual(text);
  });

  it("stops a zip bomb at the limit with 413", async () => {
    const bomb = await compress(new Uint8Array(8 * MB), "gzip");
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const err = await rejection(decode(bomb, "gzip", 2 * MB));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
  });

  it("draws every step of a request from one budget", async () => {
    const budget = new DecodeBudget(text.byteLength * 2 - 1);
    await decodeBody(await compress(text, "gzip"), "gzip", budget);
    expect(budget.remaining).toBe(text.byteLength - 1);
    const zlib = await compress(text, "deflate");
    const b64 = new TextEncoder().encode(btoa(String.fromCharCode(...zlib)));
    expect(await rejection(decodeLegacyStoreBody(b64, budget))).toBeInstanceOf(PayloadTooLargeError);
  });

  it("refuses corrupt streams with 400", async () => {
    const gz = await compress(text, "gzip");
    const corrupt = gz.slice(0, 20);
    corrupt[12] ^= 0xff;
    expect(await rejection(decode(corrupt, "gzip", MB))).toBeInstanceOf(MalformedBodyError);
    expect(await rejection(decode(text, "gzip", MB))).toBeInstanceOf(MalformedBodyError);
  });
});

describe("decodeFirstLine", () => {
  const line = new TextEncoder().encode('{"dsn":"http://k@h/1"}');
  it("gives the first line of identity and compressed bodies", async () => {
    const body = new Uint8Array([...line, 0x0a, ...text]);
    expect(await decodeFirstLine(body, "identity", 1024)).toEqual(line);
    expect(await decodeFirstLine(await compress(body, "gzip"), "gzip", 1024)).toEqual(line);
    expect(await decodeFirstLine(await compress(body, "deflate-raw"), "deflate", 1024)).toEqual(line);
  });

  it("gives null, having decoded little, when no newline comes within the limit", async () => {
    const bomb = await compress(new Uint8Array(24 * MB).fill(0x20), "gzip");
    expect(await decodeFirstLine(bomb, "gzip", 16 * 1024)).toBeNull();
    expect(await decodeFirstLine(new Uint8Array(20_000).fill(0x20), "identity", 16 * 1024)).toBeNull();
  });

  it("refuses a corrupt stream with 400", async () => {
    expect(await rejection(decodeFirstLine(text, "gzip", 1024))).toBeInstanceOf(MalformedBodyError);
  });
});

describe("decodeLegacyStoreBody", () => {
  it("decodes base64 of zlib, as raven clients send", async () => {
    const zlib = await compress(text, "deflate");
    const b64 = btoa(String.fromCharCode(...zlib));
    expect(await decodeLegacyStoreBody(new TextEncoder().encode(b64), new DecodeBudget(MB))).toEqual(text);
    expect(await rejection(decodeLegacyStoreBody(new TextEncoder().encode("%%%"), new DecodeBudget(MB)))).toBeInstanceOf(MalformedBodyError);
  });
});
