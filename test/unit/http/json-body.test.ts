/**
 * Body reading within a byte limit: the declared Content-Length is checked first, and the bytes actually received
 * decide in the end, whichever way they arrive (a declared length is read natively, a chunked body is streamed).
 */
import { describe, expect, it } from "vitest";
import { readBodyBytes, readBodyText } from "../../../src/http/json-body";
import { MalformedBodyError, PayloadTooLargeError } from "../../../src/errors";

const url = "https://alerts.test/x";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
}

describe("readBodyBytes / readBodyText", () => {
  it("reads a body with a declared length, and one streamed without it, to the same bytes", async () => {
    const text = JSON.stringify({ type: "message", text: "héllo ✓ \u{1F600}" });
    const declared = new Request(url, { method: "POST", body: text, headers: { "content-length": String(new TextEncoder().encode(text).byteLength) } });
    expect(await readBodyText(declared, 1024)).toBe(text);
    const streamed = new Request(url, { method: "POST", body: streamOf([text.slice(0, 5), text.slice(5)]) });
    expect(streamed.headers.get("content-length")).toBeNull();
    expect(await readBodyText(streamed, 1024)).toBe(text);
  });

  it("a declared length over the limit is refused before reading", async () => {
    const req = new Request(url, { method: "POST", body: "{}", headers: { "content-length": "5000" } });
    await expect(readBodyBytes(req, 1024)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("more bytes than the limit are refused whether the length was declared (too small) or not", async () => {
    const big = "x".repeat(5000);
    const lying = new Request(url, { method: "POST", body: big, headers: { "content-length": "10" } });
    await expect(readBodyBytes(lying, 1024)).rejects.toBeInstanceOf(PayloadTooLargeError);
    const streamed = new Request(url, { method: "POST", body: streamOf([big.slice(0, 2500), big.slice(2500)]) });
    await expect(readBodyBytes(streamed, 1024)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("exactly the limit is accepted; invalid UTF-8 is a 400, and the next body decodes fine", async () => {
    const exact = "y".repeat(1024);
    expect(await readBodyText(new Request(url, { method: "POST", body: exact, headers: { "content-length": "1024" } }), 1024)).toBe(exact);
    const bad = new Request(url, { method: "POST", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    await expect(readBodyText(bad, 1024)).rejects.toBeInstanceOf(MalformedBodyError);
    expect(await readBodyText(new Request(url, { method: "POST", body: "ok" }), 1024)).toBe("ok");
  });
});
