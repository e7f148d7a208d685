import { describe, expect, it } from "vitest";
import { parseSentryAuthHeader, sentryKeyFromEnvelopeDsn, sentryKeyFromRequest } from "../../../src/sentry/auth";
import { buildDsn } from "../../../src/auth/ingest-key";
import { parseDsn } from "../../../src/sentry/dsn";

describe("Sentry auth header", () => {
  it("parses the pairs SDKs send", () => {
    expect(
      parseSentryAuthHeader("Sentry sentry_version=7, sentry_client=sentry.python/2.0.0, sentry_key=abc123, sentry_secret=s"),
    ).toEqual({ sentry_version: "7", sentry_client: "sentry.python/2.0.0", sentry_key: "abc123", sentry_secret: "s" });
    expect(parseSentryAuthHeader("sentry sentry_key=k1,sentry_version=7")).toEqual({ sentry_key: "k1", sentry_version: "7" });
    expect(parseSentryAuthHeader("Bearer abc")).toBeNull();
    expect(parseSentryAuthHeader(null)).toBeNull();
  });

  it("takes the key from X-Sentry-Auth, then Authorization: Sentry, then ?sentry_key", () => {
    const url = new URL("https://w.test/api/1/envelope/?sentry_key=fromquery&sentry_version=7");
    expect(sentryKeyFromRequest(new Headers({ "x-sentry-auth": "Sentry sentry_key=fromheader" }), url)).toBe("fromheader");
    expect(sentryKeyFromRequest(new Headers({ authorization: "Sentry sentry_key=fromauth" }), url)).toBe("fromauth");
    expect(sentryKeyFromRequest(new Headers({ authorization: "Bearer x" }), url)).toBe("fromquery");
    expect(sentryKeyFromRequest(new Headers(), new URL("https://w.test/api/1/envelope/"))).toBeNull();
  });

  it("takes the key from an envelope header DSN", () => {
    expect(sentryKeyFromEnvelopeDsn("https://pubkey@alerts.example.dev/42")).toBe("pubkey");
    expect(sentryKeyFromEnvelopeDsn("https://alerts.example.dev/42")).toBeNull();
    expect(sentryKeyFromEnvelopeDsn(42)).toBeNull();
  });
});

describe("DSN", () => {
  it("reads what the admin API's buildDsn writes, keeping a path prefix", () => {
    const dsn = buildDsn("https://alerts.example.dev/", "0123abcd", 7);
    expect(dsn).toBe("https://0123abcd@alerts.example.dev/7");
    expect(parseDsn(dsn)).toEqual({ protocol: "https", publicKey: "0123abcd", host: "alerts.example.dev", path: "", projectId: "7" });
    const prefixed = buildDsn("http://127.0.0.1:8787/sentry", "k", 3);
    expect(prefixed).toBe("http://k@127.0.0.1:8787/sentry/3");
    expect(parseDsn(prefixed)).toMatchObject({ host: "127.0.0.1:8787", path: "/sentry", projectId: "3" });
  });

  it("rejects things that are not DSNs", () => {
    expect(parseDsn("not a url")).toBeNull();
    expect(parseDsn("ftp://k@h/1")).toBeNull();
    expect(parseDsn("https://h/1")).toBeNull();
    expect(parseDsn("https://k@h/abc")).toBeNull();
  });
});
