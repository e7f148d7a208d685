/**
 * The key store's timing rules with an injected clock, against the stand-in's metadata and JWKS endpoints.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  FAILED_FETCH_RETRY_MS,
  KEY_SET_MAX_AGE_MS,
  openIdKeyStore,
  SigningKeysUnavailableError,
  UNKNOWN_KID_COOLDOWN_MS,
  type OpenIdKeyDeps,
} from "../../../src/bot/openid-keys";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../../support/microsoft-stand-in";

let ms: MicrosoftStandIn;
const consoleSpies: { mockRestore(): void }[] = [];
let clock: number;
let deps: OpenIdKeyDeps;
const store = () => openIdKeyStore(env.BOT_OPENID_METADATA_URL as string);

beforeEach(async () => {
  ms = await startMicrosoftStandIn();
  clock = Date.UTC(2026, 10, 25, 10, 0, 0);
  deps = { now: () => clock, kv: env.CACHE };
  consoleSpies.push(vi.spyOn(console, "warn").mockImplementation(() => {}));
});

afterEach(() => {
  ms.stop();
  for (const spy of consoleSpies.splice(0)) spy.mockRestore();
});

describe("openIdKeyStore", () => {
  it("keeps the raw JWK with its endorsements", async () => {
    const key = await store().getKey(ms.signingKey.kid, deps);
    expect(key).toMatchObject({ kty: "RSA", kid: ms.signingKey.kid, endorsements: ["msteams"] });
    expect(key).not.toHaveProperty("d");
  });

  it("concurrent cold lookups share one fetch", async () => {
    await Promise.all(Array.from({ length: 20 }, () => store().getKey(ms.signingKey.kid, deps)));
    expect(ms.openid.metadataRequests).toBe(1);
    expect(ms.openid.jwksRequests).toBe(1);
  });

  it("refreshes after 24 h even when every kid is known", async () => {
    await store().getKey(ms.signingKey.kid, deps);
    clock += KEY_SET_MAX_AGE_MS - 1;
    await store().getKey(ms.signingKey.kid, deps);
    expect(ms.openid.jwksRequests).toBe(1);
    clock += 1;
    await store().getKey(ms.signingKey.kid, deps);
    expect(ms.openid.jwksRequests).toBe(2);
  });

  it("an unknown kid refreshes at most once per cool-down", async () => {
    await store().getKey(ms.signingKey.kid, deps);
    expect(await store().getKey("nope-1", deps)).toBeNull();
    expect(await store().getKey("nope-2", deps)).toBeNull();
    expect(ms.openid.jwksRequests).toBe(2);

    const late = await ms.addKey();
    clock += UNKNOWN_KID_COOLDOWN_MS - 1;
    expect(await store().getKey(late.kid, deps)).toBeNull();
    expect(ms.openid.jwksRequests).toBe(2);
    clock += 1;
    expect(await store().getKey(late.kid, deps)).toMatchObject({ kid: late.kid });
    expect(ms.openid.jwksRequests).toBe(3);
  });

  it("keeps serving the previous set when a refresh fails, and waits before trying again", async () => {
    await store().getKey(ms.signingKey.kid, deps);
    clock += KEY_SET_MAX_AGE_MS;
    ms.openid.failNext(1);
    expect(await store().getKey(ms.signingKey.kid, deps)).toMatchObject({ kid: ms.signingKey.kid });
    expect(ms.openid.metadataRequests).toBe(2);
    await store().getKey(ms.signingKey.kid, deps);
    expect(ms.openid.metadataRequests).toBe(2);
    clock += FAILED_FETCH_RETRY_MS;
    await store().getKey(ms.signingKey.kid, deps);
    expect(ms.openid.metadataRequests).toBe(3);
  });

  it("with no set at all, a failed fetch fails fast until the retry wait is over", async () => {
    ms.openid.failNext(1);
    await expect(store().getKey(ms.signingKey.kid, deps)).rejects.toThrow(SigningKeysUnavailableError);
    await expect(store().getKey(ms.signingKey.kid, deps)).rejects.toThrow(SigningKeysUnavailableError);
    expect(ms.openid.metadataRequests).toBe(1);
    clock += FAILED_FETCH_RETRY_MS;
    expect(await store().getKey(ms.signingKey.kid, deps)).toMatchObject({ kid: ms.signingKey.kid });
  });

  it("drops keys that cannot verify RS* tokens", async () => {
    ms.keys.push(
      { ...ms.signingKey, kid: "ec", publicJwk: { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "ec" } },
      { ...ms.signingKey, kid: "enc", publicJwk: { ...ms.signingKey.publicJwk, kid: "enc", use: "enc" } },
      { ...ms.signingKey, kid: "priv", publicJwk: { ...ms.signingKey.publicJwk, kid: "priv", d: "secret" } },
    );
    expect(await store().getKey(ms.signingKey.kid, deps)).not.toBeNull();
    for (const kid of ["ec", "enc", "priv"]) expect(await store().getKey(kid, deps)).toBeNull();
  });
});
