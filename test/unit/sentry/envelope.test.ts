import { describe, expect, it } from "vitest";
import { MalformedBodyError } from "../../../src/errors";
import { parseEnvelope } from "../../../src/sentry/envelope";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);

function expectMalformed(input: string | Uint8Array, reason: RegExp) {
  const b = typeof input === "string" ? bytes(input) : input;
  let caught: unknown;
  try {
    parseEnvelope(b);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MalformedBodyError);
  expect((caught as Error).message).toMatch(reason);
}

describe("parseEnvelope", () => {
  it("reads the header and items with and without length", () => {
    const event = JSON.stringify({ event_id: "a".repeat(32), message: "hi" });
    const env = parseEnvelope(
      bytes(
        `{"event_id":"${"a".repeat(32)}","sent_at":"2026-11-25T10:00:00Z"}\n` +
          `{"type":"event","length":${enc.encode(event).length}}\n${event}\n` +
          `{"type":"session"}\n{"sid":"x","status":"ok"}\n`,
      ),
    );
    expect(env.headers).toEqual({ event_id: "a".repeat(32), sent_at: "2026-11-25T10:00:00Z" });
    expect(env.items.map((i) => i.type)).toEqual(["event", "session"]);
    expect(JSON.parse(dec.decode(env.items[0].payload))).toEqual({ event_id: "a".repeat(32), message: "hi" });
    expect(JSON.parse(dec.decode(env.items[1].payload))).toEqual({ sid: "x", status: "ok" });
  });

  it("respects length in bytes: payloads may contain newlines and multi-byte characters", () => {
    const payload = 'line one\nline two ✓ ünïcode\n\n{"not":"a header"}';
    const n = enc.encode(payload).length;
    expect(n).toBeGreaterThan(payload.length); // multi-byte: a char count would cut it short
    const env = parseEnvelope(bytes(`{}\n{"type":"attachment","length":${n},"filename":"a.txt"}\n${payload}\n{"type":"event","length":2}\n{}`));
    expect(env.items).toHaveLength(2);
    expect(dec.decode(env.items[0].payload)).toBe(payload);
    expect(env.items[0].headers.filename).toBe("a.txt");
    expect(dec.decode(env.items[1].payload)).toBe("{}");
  });

  it("accepts a header-only envelope, CRLF line ends, a zero-length item and a payload at end of input", () => {
    expect(parseEnvelope(bytes("{}")).items).toEqual([]);
    expect(parseEnvelope(bytes("{}\n")).items).toEqual([]);
    const env = parseEnvelope(bytes('{"dsn":"https://k@h/1"}\r\n{"type":"client_report","length":0}\r\n\r\n{"type":"event"}\r\n{"a":1}'));
    expect(env.items.map((i) => [i.type, dec.decode(i.payload)])).toEqual([
      ["client_report", ""],
      ["event", '{"a":1}'],
    ]);
  });

  it("rejects malformed envelopes with a reason", () => {
    expectMalformed("", /empty/);
    expectMalformed("not json\n", /Envelope header is not valid JSON/);
    expectMalformed("[1,2]\n", /Envelope header is not a JSON object/);
    expectMalformed('{}\n{"length":2}\n{}', /Item 1 header has no "type"/);
    expectMalformed('{}\n{"type":"event"}\n{}\nnope\n', /Item 2 header is not valid JSON/);
    expectMalformed('{}\n{"type":"event","length":50}\n{}', /shorter than its "length"/);
    expectMalformed('{}\n{"type":"event","length":1}\n{}', /longer than its "length"/);
    expectMalformed('{}\n{"type":"event","length":-1}\n{}', /non-negative integer/);
    expectMalformed('{}\n{"type":"event","length":"2"}\n{}', /non-negative integer/);
    expectMalformed(new Uint8Array([0x7b, 0xff, 0x7d]), /not valid JSON/); // invalid UTF-8
  });

  it("bounds the number of items", () => {
    const many = "{}\n" + '{"type":"session"}\n{}\n'.repeat(101);
    expectMalformed(many, /more than 100 items/);
  });
});
