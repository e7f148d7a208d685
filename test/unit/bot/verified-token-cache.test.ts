/**
 * A token verified once is not checked by RSA again while it stays valid — and everything that can change
 * between two requests with the same token still decides: the clock, the published key, the configuration, and
 * the activity it is bound to. Real tokens signed here, keys served by the stand-in, an injected clock.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { KEY_SET_MAX_AGE_MS, type OpenIdKeyDeps } from "../../../src/bot/openid-keys";
import { cachedTokenCount, MAX_CACHED_TOKENS } from "../../../src/bot/verified-token-cache";
import { verifyBotToken, type VerifyBotTokenOptions } from "../../../src/bot/verify-bot-token";
import { UnauthorizedError } from "../../../src/errors";
import { signBotToken } from "../../support/bot-tokens";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../../support/microsoft-stand-in";

let ms: MicrosoftStandIn;
let clock: number;
let deps: OpenIdKeyDeps;
let rsaVerify: MockInstance;
const options = (): VerifyBotTokenOptions => ({ appId: env.MICROSOFT_APP_ID as string, openIdMetadataUrl: env.BOT_OPENID_METADATA_URL as string });
const seconds = () => Math.floor(clock / 1000);
const binding = () => ({ channelId: "msteams", serviceUrl: ms.serviceUrl });

beforeEach(async () => {
  ms = await startMicrosoftStandIn(); // also empties the isolate's key and verified-token caches
  clock = Date.UTC(2026, 10, 25, 10, 0, 0);
  deps = { now: () => clock, kv: null };
  // Observed, not replaced: every RSA signature check still runs for real.
  rsaVerify = vi.spyOn(crypto.subtle, "verify");
});

afterEach(() => {
  rsaVerify.mockRestore();
  ms.stop();
});

async function reason(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthorizedError);
  return (err as UnauthorizedError).code;
}

describe("verified-token cache", () => {
  it("a reused token is checked by RSA once, and gives the same verified claims", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl });
    const first = await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    const calls = rsaVerify.mock.calls.length;
    expect(calls).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      clock += 60_000;
      expect(await verifyBotToken(`Bearer ${token}`, binding(), options(), deps)).toEqual(first);
    }
    expect(rsaVerify.mock.calls.length).toBe(calls);
    expect(cachedTokenCount()).toBe(1);
  });

  it("expiry is judged at each request's time, with the same 300 s tolerance", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), lifetime: 3600, serviceUrl: ms.serviceUrl });
    const exp = seconds() + 3600;
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    clock = (exp + 299) * 1000;
    await expect(verifyBotToken(`Bearer ${token}`, binding(), options(), deps)).resolves.toMatchObject({ expiresAt: exp });
    clock = (exp + 300) * 1000;
    expect(await reason(verifyBotToken(`Bearer ${token}`, binding(), options(), deps))).toBe("token_expired");
    expect(cachedTokenCount()).toBe(0);
  });

  it("a key taken out of the published set stops its cached tokens at the next key refresh", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), lifetime: 3 * 86_400, serviceUrl: ms.serviceUrl });
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    const next = await ms.createKey();
    ms.publishKey(next);
    ms.unpublishKey(ms.keys[0].kid);
    clock += KEY_SET_MAX_AGE_MS + 1; // the daily refresh is due: the set is fetched again, without the old key
    expect(await reason(verifyBotToken(`Bearer ${token}`, binding(), options(), deps))).toBe("unknown_key");
  });

  it("a refreshed key set sends even a still-published key's tokens through the full check again", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), lifetime: 3 * 86_400, serviceUrl: ms.serviceUrl });
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    const before = rsaVerify.mock.calls.length;
    clock += KEY_SET_MAX_AGE_MS + 1;
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    expect(rsaVerify.mock.calls.length).toBe(before + 1);
  });

  it("another configured app id does not inherit the verification", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl });
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    const other = { ...options(), appId: "99999999-0000-0000-0000-000000000000" };
    expect(await reason(verifyBotToken(`Bearer ${token}`, binding(), other, deps))).toBe("invalid_audience");
    // ...and the right one is verified afresh, not broken by the failed attempt.
    await expect(verifyBotToken(`Bearer ${token}`, binding(), options(), deps)).resolves.toMatchObject({ appId: env.MICROSOFT_APP_ID });
  });

  it("the binding to the activity is checked on every request, cached or not", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl });
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    expect(await reason(verifyBotToken(`Bearer ${token}`, { ...binding(), serviceUrl: "https://elsewhere.test/" }, options(), deps))).toBe(
      "service_url_mismatch",
    );
    expect(await reason(verifyBotToken(`Bearer ${token}`, { ...binding(), channelId: "webchat" }, options(), deps))).toBe("key_not_endorsed");
  });

  it("failures are never cached: a bad signature is refused with its reason every time", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl });
    const [h, p, s] = token.split(".");
    const forged = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    for (let i = 0; i < 3; i++) expect(await reason(verifyBotToken(`Bearer ${forged}`, binding(), options(), deps))).toBe("invalid_signature");
    expect(cachedTokenCount()).toBe(0);
  });

  it("a token not yet valid beyond the tolerance is refused and not remembered", async () => {
    const token = await signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl, claims: { nbf: seconds() + 400 } });
    expect(await reason(verifyBotToken(`Bearer ${token}`, binding(), options(), deps))).toBe("token_not_yet_valid");
    expect(cachedTokenCount()).toBe(0);
    clock += 200_000; // now within the tolerance: verified in full, then remembered
    await verifyBotToken(`Bearer ${token}`, binding(), options(), deps);
    expect(cachedTokenCount()).toBe(1);
  });

  it(`holds at most ${MAX_CACHED_TOKENS} tokens, dropping the oldest`, async () => {
    const tokens = await Promise.all(
      Array.from({ length: MAX_CACHED_TOKENS + 3 }, (_, i) =>
        signBotToken({ key: ms.signingKey, now: seconds(), serviceUrl: ms.serviceUrl, claims: { jti: `t-${i}` } }),
      ),
    );
    for (const t of tokens) await verifyBotToken(`Bearer ${t}`, binding(), options(), deps);
    expect(cachedTokenCount()).toBe(MAX_CACHED_TOKENS);
    const before = rsaVerify.mock.calls.length;
    await verifyBotToken(`Bearer ${tokens[0]}`, binding(), options(), deps); // dropped: verified in full again
    expect(rsaVerify.mock.calls.length).toBe(before + 1);
    await verifyBotToken(`Bearer ${tokens.at(-1)}`, binding(), options(), deps); // still held
    expect(rsaVerify.mock.calls.length).toBe(before + 1);
  });
});
