import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter } from "../../../src/bot/retry";
import { normalizeServiceUrl } from "../../../src/bot/verify-bot-token";

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with jitter between a quarter and all of the ceiling", () => {
    expect(backoffDelay(0, 500, 8000, () => 0)).toBe(125);
    expect(backoffDelay(0, 500, 8000, () => 1)).toBe(500);
    expect(backoffDelay(3, 500, 8000, () => 1)).toBe(4000);
    expect(backoffDelay(10, 500, 8000, () => 1)).toBe(8000);
    expect(backoffDelay(10, 500, 8000, () => 0)).toBe(2000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 10, 25, 10, 0, 0);
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
  });
  it("ignores absent or unreadable values", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
  });
});

describe("normalizeServiceUrl", () => {
  it("lowercases and strips exactly one trailing slash", () => {
    expect(normalizeServiceUrl("https://SMBA.trafficmanager.net/amer/")).toBe("https://smba.trafficmanager.net/amer");
    expect(normalizeServiceUrl("https://smba.trafficmanager.net/amer")).toBe("https://smba.trafficmanager.net/amer");
    expect(normalizeServiceUrl("https://smba.trafficmanager.net/amer//")).toBe("https://smba.trafficmanager.net/amer/");
  });
});
