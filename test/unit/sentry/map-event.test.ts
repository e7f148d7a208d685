import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors";
import { eventId, isErrorEventPayload, LIMITS, mapSentryEvent } from "../../../src/sentry/map-event";

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const opts = { now: NOW, newEventId: () => "f".repeat(32) };

/** A payload shaped like @sentry/node's captureException output. */
const nodeError = {
  event_id: "0123456789abcdef0123456789abcdef",
  timestamp: NOW / 1000 - 5.25,
  platform: "node",
  level: "error",
  release: "api@1.2.3",
  environment: "production",
  exception: {
    values: [
      {
        type: "TypeError",
        value: "Cannot read properties of undefined (reading 'id')",
        mechanism: { type: "onuncaughtexception", handled: false },
        stacktrace: {
          frames: [
            { filename: "node:internal/timers", function: "listOnTimeout", lineno: 581, in_app: false },
            { filename: "/app/src/users.js", abs_path: "/app/src/users.js", module: "users", function: "loadUser", lineno: 42, colno: 7, in_app: true },
          ],
        },
      },
    ],
  },
  tags: { region: "eu", retries: 3, ok: true, nested: { no: 1 }, gone: null },
  user: { id: 17, email: "a@example.com", username: "ann", ip_address: "{{auto}}" },
  contexts: { runtime: { name: "node", version: "v20.20.0" }, os: { name: "Linux" }, bogus: "not an object" },
  fingerprint: ["{{ default }}", "tenant-a", 7],
  transaction: "GET /users/:id",
};

describe("mapSentryEvent", () => {
  it("maps an SDK error event", () => {
    const e = mapSentryEvent(nodeError, { ...opts, clientIp: "203.0.113.9" });
    expect(e).toEqual({
      eventId: "0123456789abcdef0123456789abcdef",
      timestamp: NOW - 5250,
      level: "error",
      exceptions: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'id')",
          stacktrace: {
            frames: [
              { filename: "node:internal/timers", function: "listOnTimeout", lineno: 581, inApp: false },
              { filename: "/app/src/users.js", module: "users", function: "loadUser", lineno: 42, inApp: true },
            ],
          },
        },
      ],
      tags: { region: "eu", retries: "3", ok: "true", handled: "no", mechanism: "onuncaughtexception" },
      fingerprint: ["{{ default }}", "tenant-a", "7"],
      release: "api@1.2.3",
      environment: "production",
      user: { id: "17", email: "a@example.com", username: "ann", ipAddress: "203.0.113.9" },
      contexts: { runtime: { name: "node", version: "v20.20.0" }, os: { name: "Linux" } },
      culprit: "GET /users/:id",
      platform: "sentry",
    });
  });

  it("keeps the exception chain and frame order as sent (outermost last, crash frame last)", () => {
    const e = mapSentryEvent(
      {
        exception: {
          values: [
            { type: "Cause", value: "inner", stacktrace: { frames: [{ function: "a" }, { function: "b" }] } },
            { type: "Wrapper", value: "outer" },
          ],
        },
      },
      opts,
    );
    expect(e.exceptions.map((x) => x.type)).toEqual(["Cause", "Wrapper"]);
    expect(e.exceptions[0].stacktrace?.frames.map((f) => f.function)).toEqual(["a", "b"]);
  });

  it("accepts legacy exception shapes and fills a missing type", () => {
    expect(mapSentryEvent({ exception: [{ type: "E", value: "v" }] }, opts).exceptions).toEqual([{ type: "E", value: "v" }]);
    expect(mapSentryEvent({ exception: { type: "E" } }, opts).exceptions).toEqual([{ type: "E" }]);
    expect(mapSentryEvent({ exception: { values: [{ value: "only a value" }, "junk", {}] } }, opts).exceptions).toEqual([
      { type: "Error", value: "only a value" },
    ]);
  });

  it("reads message from logentry (formatted, or filled params) and from message", () => {
    expect(mapSentryEvent({ message: "plain" }, opts).message).toBe("plain");
    expect(mapSentryEvent({ logentry: { formatted: "done", message: "tmpl %s" } }, opts).message).toBe("done");
    expect(mapSentryEvent({ logentry: { message: "user %s failed %s", params: ["ann", 3] } }, opts).message).toBe(
      "user ann failed 3",
    );
    expect(mapSentryEvent({ logentry: { message: "%(who)s left", params: { who: "bo" } } }, opts).message).toBe("bo left");
    expect(mapSentryEvent({ message: { message: "legacy object" } }, opts).message).toBe("legacy object");
    expect(mapSentryEvent({ logentry: { message: "from logentry" }, message: "from message" }, opts).message).toBe(
      "from logentry",
    );
  });

  it("treats an SDK's synthetic stack on a message (attachStacktrace) as a message event", () => {
    // What @sentry/node v11 sends for captureMessage("…", "warning") with its default attachStacktrace: true.
    const e = mapSentryEvent(
      {
        level: "warning",
        message: "Payment provider timed out after 30s",
        exception: {
          values: [
            {
              value: "Payment provider timed out after 30s",
              stacktrace: { frames: [{ function: "checkout", in_app: true }] },
              mechanism: { type: "generic", handled: true, synthetic: true },
            },
          ],
        },
      },
      opts,
    );
    expect(e.exceptions).toEqual([]);
    expect(e.message).toBe("Payment provider timed out after 30s");
    expect(e.tags).toEqual({});
    // Without a message, the synthetic value is the message.
    const bare = mapSentryEvent({ exception: { values: [{ value: "only here", mechanism: { synthetic: true } }] } }, opts);
    expect(bare).toMatchObject({ exceptions: [], message: "only here" });
    // A synthetic exception that has a type (a non-Error thrown) is still an error.
    const typed = mapSentryEvent(
      { exception: { values: [{ type: "Error", value: "Object captured as exception with keys: a", mechanism: { synthetic: true, handled: true, type: "generic" } }] } },
      opts,
    );
    expect(typed.exceptions).toEqual([{ type: "Error", value: "Object captured as exception with keys: a" }]);
  });

  it("normalises levels", () => {
    const lv = (level: unknown) => mapSentryEvent({ level }, opts).level;
    expect(lv("warning")).toBe("warning");
    expect(lv("warn")).toBe("warning");
    expect(lv("WARNING")).toBe("warning");
    expect(lv("critical")).toBe("fatal");
    expect(lv("log")).toBe("info");
    expect(lv("fatal")).toBe("fatal");
    expect(lv("debug")).toBe("debug");
    expect(lv("nonsense")).toBe("error");
    expect(lv(undefined)).toBe("error");
  });

  it("reads timestamps as float seconds, numeric strings or ISO strings; implausible ones become now", () => {
    const ts = (timestamp: unknown) => mapSentryEvent({ timestamp }, opts).timestamp;
    expect(ts(NOW / 1000 - 1.5)).toBe(NOW - 1500);
    expect(ts(String(NOW / 1000 - 2))).toBe(NOW - 2000);
    expect(ts("2026-11-25T11:59:00.000Z")).toBe(NOW - 60_000);
    expect(ts("2026-11-25T11:59:00")).toBe(NOW - 60_000); // naive = UTC, as Sentry reads it
    expect(ts(undefined)).toBe(NOW);
    expect(ts("yesterday-ish")).toBe(NOW);
    expect(ts(NOW / 1000 + 3600)).toBe(NOW); // an hour in the future
    expect(ts(NOW / 1000 - 31 * 86400)).toBe(NOW); // older than 30 days
  });

  it("takes tags as pairs, drops non-scalar values and caps long strings", () => {
    const e = mapSentryEvent({ tags: [["a", "1"], ["b", 2], ["bad"], ["c", { x: 1 }]], release: "r".repeat(500) }, opts);
    expect(e.tags).toEqual({ a: "1", b: "2" });
    expect(e.release).toHaveLength(LIMITS.shortString);
    expect(e.release?.endsWith("…")).toBe(true);
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, "v"]));
    expect(Object.keys(mapSentryEvent({ tags: many }, opts).tags)).toHaveLength(LIMITS.tags);
  });

  it("bounds frames (keeping the crash end) and contexts", () => {
    const frames = Array.from({ length: 250 }, (_, i) => ({ function: `f${i}` }));
    const e = mapSentryEvent({ exception: { values: [{ type: "E", stacktrace: { frames } }] } }, opts);
    const kept = e.exceptions[0].stacktrace!.frames;
    expect(kept).toHaveLength(LIMITS.framesPerException);
    expect(kept[kept.length - 1].function).toBe("f249");
    const big = { blob: { data: "x".repeat(LIMITS.contextsJsonBytes) }, small: { a: 1 } };
    expect(mapSentryEvent({ contexts: big }, opts).contexts).toEqual({ small: { a: 1 } });
  });

  it("uses the payload event id, else the envelope's, else a new one", () => {
    expect(mapSentryEvent({ event_id: "ABCDEF01-2345-6789-abcd-ef0123456789" }, opts).eventId).toBe(
      "abcdef0123456789abcdef0123456789",
    );
    expect(mapSentryEvent({}, { ...opts, fallbackEventId: "1".repeat(32) }).eventId).toBe("1".repeat(32));
    expect(mapSentryEvent({ event_id: "nope" }, opts).eventId).toBe("f".repeat(32));
    expect(eventId("0".repeat(32))).toBeNull();
    expect(mapSentryEvent({}, { now: NOW }).eventId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("drops {{auto}} without a client address and keeps explicit user fields", () => {
    expect(mapSentryEvent({ user: { ip_address: "{{auto}}" } }, opts).user).toBeUndefined();
    expect(mapSentryEvent({ user: { ip_address: "10.0.0.1", id: "u1" } }, opts).user).toEqual({ id: "u1", ipAddress: "10.0.0.1" });
  });

  it("prefers an explicit culprit over the transaction", () => {
    expect(mapSentryEvent({ culprit: "app.views in index", transaction: "/x" }, opts).culprit).toBe("app.views in index");
    expect(mapSentryEvent({}, opts).culprit).toBeUndefined();
  });

  it("rejects payloads that are not objects", () => {
    expect(() => mapSentryEvent([], opts)).toThrow(ValidationError);
    expect(() => mapSentryEvent("x", opts)).toThrow(ValidationError);
  });

  it("recognises error payloads", () => {
    expect(isErrorEventPayload({})).toBe(true);
    expect(isErrorEventPayload({ type: "error" })).toBe(true);
    expect(isErrorEventPayload({ type: "default" })).toBe(true);
    expect(isErrorEventPayload({ type: "transaction" })).toBe(false);
  });
});

describe("what the issue page shows: source context, variables, breadcrumbs, request", () => {
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  it("keeps context lines (5 around), frame variables as text, the newest breadcrumbs, and a scrubbed request", () => {
    const event = mapSentryEvent(
      {
        exception: {
          values: [
            {
              type: "TypeError",
              value: "x is undefined",
              stacktrace: {
                frames: [
                  {
                    filename: "src/a.ts",
                    function: "f",
                    lineno: 9,
                    in_app: true,
                    context_line: "  return x.y;",
                    pre_context: ["1", "2", "3", "4", "5", "6", "7"],
                    post_context: ["a", "b", "c", "d", "e", "f"],
                    vars: { x: null, n: 3, s: "text" },
                  },
                ],
              },
            },
          ],
        },
        breadcrumbs: { values: Array.from({ length: 60 }, (_, i) => ({ timestamp: now / 1000 - 60 + i, category: "http", message: `GET /${i}` })) },
        request: {
          method: "post",
          url: "https://shop.example/pay?card=4111&token=secret#frag",
          headers: { "User-Agent": "Firefox", Cookie: "session=secret", Authorization: "Bearer secret" },
        },
      },
      { now },
    );
    const frame = event.exceptions[0].stacktrace!.frames[0];
    expect(frame.contextLine).toBe("  return x.y;");
    expect(frame.preContext).toEqual(["3", "4", "5", "6", "7"]);
    expect(frame.postContext).toEqual(["a", "b", "c", "d", "e"]);
    expect(frame.vars).toEqual({ x: "null", n: "3", s: "text" });
    expect(event.breadcrumbs).toHaveLength(50);
    expect(event.breadcrumbs!.at(-1)).toEqual({ timestamp: now - 1000, category: "http", message: "GET /59" });
    expect(event.request).toEqual({ method: "POST", url: "https://shop.example/pay", headers: { "user-agent": "Firefox" } });
    expect(JSON.stringify(event)).not.toContain("secret");
  });
});
