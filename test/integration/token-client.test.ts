/**
 * The bot's token exchange against the stand-in token endpoint (at the worker's outbound fetch), with real KV.
 * Time is injected (`now`) and waits are recorded (`sleep`), so expiry and backoff run instantly.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearBotTokenCache, getBotToken, type TokenDeps } from "../../src/bot/token-client";
import { BotCredentialsRejectedError, BotTokenUnavailableError } from "../../src/errors";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";

let ms: MicrosoftStandIn;
const consoleSpies: { mockRestore(): void }[] = [];
let clock: number;
let sleeps: number[];
let deps: TokenDeps;

beforeEach(async () => {
  ms = await startMicrosoftStandIn();
  clock = Date.UTC(2026, 10, 25, 10, 0, 0);
  sleeps = [];
  deps = {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
});

afterEach(() => {
  ms.stop();
  for (const spy of consoleSpies.splice(0)) spy.mockRestore();
});

async function kvEntries() {
  return (await env.CACHE.list({ prefix: "botfw:token:" })).keys;
}

describe("getBotToken", () => {
  it("posts the client-credentials form exactly as the notes say and returns the access token", async () => {
    const token = await getBotToken(env, deps);
    expect(token).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(1);
    expect(ms.token.requests[0].contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(ms.token.requests[0].form).toEqual({
      grant_type: "client_credentials",
      client_id: env.MICROSOFT_APP_ID,
      client_secret: env.MICROSOFT_APP_PASSWORD,
      scope: "https://api.botframework.com/.default",
    });
  });

  it("keeps the token in KV for expires_in − 300 s, so a cold isolate does not exchange again", async () => {
    const realDeps = { ...deps, now: Date.now };
    const before = Math.floor(Date.now() / 1000);
    expect(await getBotToken(env, realDeps)).toBe("standin-token-1");
    const [entry] = await kvEntries();
    expect(entry.expiration).toBeGreaterThanOrEqual(before + 3600 - 300);
    expect(entry.expiration).toBeLessThanOrEqual(before + 3600 - 300 + 5);

    clearBotTokenCache();
    expect(await getBotToken(env, realDeps)).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(1);
  });

  it("a short-lived token gets KV's minimum TTL of 60 s but is not used past half its life", async () => {
    ms.token.expiresIn = 200;
    const before = Math.floor(Date.now() / 1000);
    expect(await getBotToken(env, { ...deps, now: Date.now })).toBe("standin-token-1");
    const [entry] = await kvEntries();
    expect(entry.expiration).toBeGreaterThanOrEqual(before + 100);
    expect(entry.expiration).toBeLessThanOrEqual(before + 100 + 5);

    ms.token.expiresIn = 30;
    clearBotTokenCache();
    await env.CACHE.delete(entry.name);
    const before2 = Math.floor(Date.now() / 1000);
    await getBotToken(env, { ...deps, now: Date.now });
    const [entry2] = await kvEntries();
    expect(entry2.expiration).toBeGreaterThanOrEqual(before2 + 60);
    expect(entry2.expiration).toBeLessThanOrEqual(before2 + 60 + 5);
  });

  it("1,000 concurrent callers share exactly one token request", async () => {
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => getBotToken(env, deps)));
    expect(new Set(tokens)).toEqual(new Set(["standin-token-1"]));
    expect(ms.token.requests).toHaveLength(1);
  });

  it("expiry → exactly one refresh, 5 minutes early, shared by concurrent callers", async () => {
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    clock += (3600 - 300 - 1) * 1000;
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(1);

    clock += 2000;
    const tokens = await Promise.all(Array.from({ length: 100 }, () => getBotToken(env, deps)));
    expect(new Set(tokens)).toEqual(new Set(["standin-token-2"]));
    expect(ms.token.requests).toHaveLength(2);
    expect(await getBotToken(env, deps)).toBe("standin-token-2");
    expect(ms.token.requests).toHaveLength(2);
  });

  it("a rejected token is never handed out again, even from KV", async () => {
    const first = await getBotToken(env, deps);
    const second = await getBotToken(env, deps, { reject: first });
    expect(second).toBe("standin-token-2");
    clearBotTokenCache();
    expect(await getBotToken(env, deps, { reject: first })).toBe("standin-token-2");
    expect(ms.token.requests).toHaveLength(2);
  });

  it("invalid_client is a configuration error: reported clearly, not retried, nothing echoed", async () => {
    const logged: string[] = [];
    for (const level of ["log", "warn", "error", "info", "debug"] as const) {
      consoleSpies.push(
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          logged.push(args.map(String).join(" "));
        }),
      );
    }
    const badEnv = { ...env, MICROSOFT_APP_PASSWORD: "wrong-password-value" };
    const calls = Array.from({ length: 10 }, () => getBotToken(badEnv, deps).catch((e: unknown) => e));
    const errors = await Promise.all(calls);
    for (const err of errors) {
      expect(err).toBeInstanceOf(BotCredentialsRejectedError);
      const e = err as BotCredentialsRejectedError;
      expect(e.status).toBe(503);
      expect(e.message).toContain("invalid_client");
      expect(e.message).toContain("MICROSOFT_APP_PASSWORD");
      expect(e.message).not.toContain("AADSTS");
      expect(e.message).not.toContain("wrong-password-value");
    }
    expect(ms.token.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(logged.join("\n")).not.toContain("wrong-password-value");
    expect(await kvEntries()).toEqual([]);
  });

  it("5xx answers are retried with growing backoff, then succeed", async () => {
    ms.token.enqueue({ status: 503 }, { status: 500 });
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it("persistent 5xx: bounded attempts, then BotTokenUnavailableError (and no token cached)", async () => {
    ms.token.enqueue({ status: 503 }, { status: 502 }, { status: 504 }, { status: 503 });
    const err = await getBotToken(env, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotTokenUnavailableError);
    expect(ms.token.requests).toHaveLength(3);
    expect(await kvEntries()).toEqual([]);
    // The failure is not cached: the next call exchanges again.
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
  });

  it("a timeout is retried", async () => {
    ms.token.enqueue("timeout");
    expect(await getBotToken(env, { ...deps, timeoutMs: 50 })).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("a network error is retried", async () => {
    ms.token.enqueue("network", "network");
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(3);
  });

  it("429 from the token endpoint honours Retry-After", async () => {
    ms.token.enqueue({ status: 429, headers: { "Retry-After": "2" } });
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    expect(sleeps).toEqual([2000]);
  });

  it("a 200 without access_token is not accepted", async () => {
    ms.token.enqueue({ status: 200, body: { token_type: "Bearer" } }, { status: 200, body: { access_token: "x", expires_in: "soon" } });
    expect(await getBotToken(env, deps)).toBe("standin-token-1");
    expect(ms.token.requests).toHaveLength(3);
  });
});
