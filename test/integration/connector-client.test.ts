/**
 * The Connector client against the stand-in Connector and token endpoint (the worker's outbound fetch).
 * Waits are recorded through the injected `sleep`, so retry schedules are checked without waiting.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BotDisabledByAdminError,
  BotNotInConversationRosterError,
  BotNotRegisteredError,
  ConnectorError,
  ConnectorRequestError,
  ConnectorThrottledError,
  ConnectorUnavailableError,
  ConversationBlockedByUserError,
  ConversationNotFoundError,
  MessageSizeTooBigError,
  UntrustedServiceUrlError,
} from "../../src/bot/connector-errors";
import { connectorFor, type ConnectorClient, type ConnectorDeps } from "../../src/bot/connector-client";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";

const CHANNEL = "19:abc-def@thread.tacv2";
const TEAM = "19:team-1@thread.tacv2";
const USER = "29:1a-b_c:d";

let ms: MicrosoftStandIn;
let sleeps: number[];
let deps: ConnectorDeps;
let client: ConnectorClient;

beforeEach(async () => {
  ms = await startMicrosoftStandIn();
  sleeps = [];
  deps = {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
  client = connectorFor(env, ms.serviceUrl, deps);
});

afterEach(() => {
  ms.stop();
});

const card = { type: "message", summary: "New issue", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } }] };

describe("operations", () => {
  it("sends to a conversation: encoded ids, JSON body, the bot's token", async () => {
    const { id } = await client.sendToConversation(CHANNEL, card);
    expect(id).toMatch(/^\d+$/);
    const [call] = ms.connector.calls;
    expect(call.method).toBe("POST");
    expect(call.rawPath).toBe("v3/conversations/19%3Aabc-def%40thread.tacv2/activities");
    expect(call.segments).toEqual(["v3", "conversations", CHANNEL, "activities"]);
    expect(call.body).toEqual(card);
    expect(call.token).toBe("standin-token-1");
    expect(ms.connector.sent(CHANNEL)).toEqual([card]);
  });

  it("replies in a thread, updates with PUT, deletes", async () => {
    const reply = await client.replyToActivity(CHANNEL, "1700000000123", { type: "message", text: "done" });
    expect(reply.id).toMatch(/^\d+$/);
    expect(ms.connector.calls[0].segments).toEqual(["v3", "conversations", CHANNEL, "activities", "1700000000123"]);
    expect(ms.connector.calls[0].body).toMatchObject({ replyToId: "1700000000123", text: "done" });

    const updated = await client.updateActivity(CHANNEL, "1700000000123", card);
    expect(updated).toEqual({ id: "1700000000123" });
    expect(ms.connector.calls[1].method).toBe("PUT");
    expect(ms.connector.calls[1].body).toMatchObject({ ...card, id: "1700000000123" });

    await client.deleteActivity(CHANNEL, "1700000000123");
    expect(ms.connector.calls[2].method).toBe("DELETE");
    expect(ms.connector.calls[2].rawPath).toBe("v3/conversations/19%3Aabc-def%40thread.tacv2/activities/1700000000123");
  });

  it("creates a 1:1 conversation as the bot, and a channel thread", async () => {
    const personal = await client.createPersonalConversation({ userId: USER, tenantId: "tenant-1" });
    expect(personal.id).toBe(`a:standin-personal-${USER}`);
    expect(ms.connector.calls[0].body).toMatchObject({
      bot: { id: `28:${env.MICROSOFT_APP_ID}` },
      members: [{ id: USER }],
      channelData: { tenant: { id: "tenant-1" } },
    });

    const thread = await client.createChannelThread({ channelId: CHANNEL, activity: card });
    expect(thread.activityId).toMatch(/^\d+$/);
    expect(thread.id).toBe(`${CHANNEL};messageid=${thread.activityId}`);
    expect(ms.connector.calls[1].body).toMatchObject({ isGroup: true, channelData: { channel: { id: CHANNEL } }, activity: card });
  });

  it("reads team details and channels", async () => {
    ms.connector.teams.set(TEAM, {
      details: { id: TEAM, name: "Platform", aadGroupId: "g-1" },
      channels: [
        { id: TEAM, name: null },
        { id: CHANNEL, name: "alerts" },
      ],
    });
    expect(await client.getTeamDetails(TEAM)).toEqual({ id: TEAM, name: "Platform", aadGroupId: "g-1" });
    expect(await client.getTeamChannels(TEAM)).toEqual([
      { id: TEAM, name: null },
      { id: CHANNEL, name: "alerts" },
    ]);
    expect(ms.connector.calls.map((c) => c.rawPath)).toEqual(["v3/teams/19%3Ateam-1%40thread.tacv2", "v3/teams/19%3Ateam-1%40thread.tacv2/conversations"]);
  });

  it("follows continuationToken through every page of members", async () => {
    const members = Array.from({ length: 1201 }, (_, i) => ({ id: `29:user-${i}`, name: `User ${i}`, email: `u${i}@example.test` }));
    ms.connector.members.set(TEAM, members);
    const all = await client.getAllMembers(TEAM);
    expect(all.map((m) => m.id)).toEqual(members.map((m) => m.id));
    expect(ms.connector.calls).toHaveLength(3);
    expect(ms.connector.calls.map((c) => c.query)).toEqual([
      { pageSize: "500" },
      { pageSize: "500", continuationToken: "standin-page-500" },
      { pageSize: "500", continuationToken: "standin-page-1000" },
    ]);
    const page = await client.getPagedMembers(TEAM, { pageSize: 2 });
    expect(page).toEqual({ members: members.slice(0, 2), continuationToken: "standin-page-2" });
  });

  it("reads one member (encoded user id); an unknown one is a terminal 404", async () => {
    ms.connector.members.set(TEAM, [{ id: USER, name: "Ada", email: "ada@example.test" }]);
    expect(await client.getMember(TEAM, USER)).toEqual({ id: USER, name: "Ada", email: "ada@example.test" });
    expect(ms.connector.calls[0].rawPath).toBe(`v3/conversations/19%3Ateam-1%40thread.tacv2/members/${encodeURIComponent(USER)}`);
    const err = await client.getMember(TEAM, "29:nobody").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorRequestError);
    expect(err).toMatchObject({ code: "MemberNotFoundInConversation", httpStatus: 404, terminal: true, disablesTarget: false });
  });

  it("1,000 concurrent sends cost exactly one token request", async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.sendToConversation(CHANNEL, { type: "message", text: `n${i}` })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1000);
    expect(ms.token.requests).toHaveLength(1);
    expect(ms.connector.calls).toHaveLength(1000);
    expect(new Set(ms.connector.calls.map((c) => c.token))).toEqual(new Set(["standin-token-1"]));
  });

  it("a client from another connectorFor call shares the cached token", async () => {
    await client.sendToConversation(CHANNEL, card);
    await connectorFor(env, ms.serviceUrl, deps).sendToConversation(CHANNEL, card);
    expect(ms.token.requests).toHaveLength(1);
  });
});

describe("retries", () => {
  it("429 with Retry-After waits that long, then succeeds", async () => {
    ms.connector.enqueue({ status: 429, headers: { "Retry-After": "2" }, body: { error: { code: "Throttled" } } });
    const { id } = await client.sendToConversation(CHANNEL, card);
    expect(id).toMatch(/^\d+$/);
    expect(sleeps).toEqual([2000]);
    expect(ms.connector.calls.map((c) => c.status)).toEqual([429, 201]);
  });

  it("429 without Retry-After backs off exponentially", async () => {
    ms.connector.enqueue({ status: 429 });
    ms.connector.enqueue({ status: 429 });
    await client.sendToConversation(CHANNEL, card);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it("a Retry-After longer than we may wait → ConnectorThrottledError at once, with the wait", async () => {
    ms.connector.enqueue({ status: 429, headers: { "Retry-After": "120" } });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorThrottledError);
    expect(err).toMatchObject({ retryAfterMs: 120_000, terminal: false });
    expect(sleeps).toEqual([]);
    expect(ms.connector.calls).toHaveLength(1);
  });

  it("throttled on every attempt → bounded, then ConnectorThrottledError", async () => {
    for (let i = 0; i < 10; i++) ms.connector.enqueue({ status: 429, headers: { "Retry-After": "1" } });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorThrottledError);
    expect(ms.connector.calls).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  for (const status of [412, 502, 503, 504]) {
    it(`${status} is retried with exponential backoff and jitter`, async () => {
      ms.connector.enqueue({ status });
      ms.connector.enqueue({ status });
      const { id } = await client.sendToConversation(CHANNEL, card);
      expect(id).toMatch(/^\d+$/);
      expect(ms.connector.calls.map((c) => c.status)).toEqual([status, status, 201]);
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
    });
  }

  it("jitter spreads the waits of callers that failed together", async () => {
    const waits: number[] = [];
    for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
      ms.connector.enqueue({ status: 503 });
      const c = connectorFor(env, ms.serviceUrl, { sleep: async (w) => void waits.push(w), random: () => r });
      await c.sendToConversation(CHANNEL, card);
    }
    expect(new Set(waits).size).toBe(5);
  });

  it("persistent 503 → bounded attempts, then a non-terminal ConnectorUnavailableError", async () => {
    for (let i = 0; i < 10; i++) ms.connector.enqueue({ status: 503 });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorUnavailableError);
    expect(err).toMatchObject({ httpStatus: 503, terminal: false });
    expect(ms.connector.calls).toHaveLength(4);
  });

  it("500 is not retried (a POST may have landed) but is not terminal either", async () => {
    ms.connector.enqueue({ status: 500 });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorUnavailableError);
    expect(err).toMatchObject({ terminal: false });
    expect(ms.connector.calls).toHaveLength(1);
  });

  it("401 → one retry with a freshly exchanged token", async () => {
    await client.sendToConversation(CHANNEL, card);
    ms.token.revoke("standin-token-1");
    await client.sendToConversation(CHANNEL, card);
    expect(ms.connector.calls.map((c) => [c.token, c.status])).toEqual([
      ["standin-token-1", 201],
      ["standin-token-1", 401],
      ["standin-token-2", 201],
    ]);
    expect(ms.token.requests).toHaveLength(2);
  });

  it("401 again with the fresh token → BotNotRegisteredError", async () => {
    ms.connector.enqueue({ status: 401, body: { error: { code: "BotNotRegistered" } } });
    ms.connector.enqueue({ status: 401, body: { error: { code: "BotNotRegistered" } } });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotNotRegisteredError);
    expect(ms.connector.calls).toHaveLength(2);
    expect(ms.token.requests).toHaveLength(2);
  });
});

describe("terminal errors", () => {
  const cases = [
    { status: 403, code: "ConversationBlockedByUser", cls: ConversationBlockedByUserError, disablesTarget: true },
    { status: 403, code: "BotNotInConversationRoster", cls: BotNotInConversationRosterError, disablesTarget: true },
    { status: 403, code: "BotDisabledByAdmin", cls: BotDisabledByAdminError, disablesTarget: true },
    { status: 404, code: "ConversationNotFound", cls: ConversationNotFoundError, disablesTarget: true },
    { status: 413, code: "MessageSizeTooBig", cls: MessageSizeTooBigError, disablesTarget: false },
  ] as const;

  for (const c of cases) {
    it(`${c.status} ${c.code} → ${c.cls.name}, not retried`, async () => {
      ms.connector.enqueue({ status: c.status, body: { error: { code: c.code, message: "upstream secret detail" } } });
      const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(c.cls);
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err).toMatchObject({ code: c.code, httpStatus: c.status, terminal: true, disablesTarget: c.disablesTarget });
      expect((err as Error).message).not.toContain("upstream secret detail");
      expect(ms.connector.calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });
  }

  it("a 400 with an unlisted code is terminal and carries the code", async () => {
    ms.connector.enqueue({ status: 400, body: { error: { code: "BadSyntax" } } });
    const err = await client.updateActivity(CHANNEL, "1", card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorRequestError);
    expect(err).toMatchObject({ code: "BadSyntax", terminal: true, disablesTarget: false });
  });

  it("a code that is not an identifier is not carried", async () => {
    ms.connector.enqueue({ status: 403, body: { error: { code: "<script>alert(1)</script>" } } });
    const err = await client.sendToConversation(CHANNEL, card).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "connector_http_403", terminal: true });
  });
});

describe("trust", () => {
  it("refuses a serviceUrl that is not https, before any request", () => {
    for (const url of ["http://smba.trafficmanager.test/amer/", "ftp://x.test/", "https://user:pw@smba.test/", "not a url"]) {
      expect(() => connectorFor(env, url, deps)).toThrow(UntrustedServiceUrlError);
    }
    expect(ms.connector.calls).toEqual([]);
    expect(ms.token.requests).toEqual([]);
  });

  it("never calls an unregistered host", async () => {
    expect(ms.unexpected).toEqual([]);
    await client.sendToConversation(CHANNEL, card);
    expect(ms.unexpected).toEqual([]);
  });
});

describe("timeouts", () => {
  /** A fetch whose first `hangs` Connector calls never answer (until the caller's abort signal fires). */
  function hangingFetch(hangs: number): typeof fetch {
    let left = hangs;
    return (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (url.startsWith(ms.serviceUrl) && left > 0) {
        left--;
        return new Promise<Response>((_, reject) => {
          const signal = init?.signal;
          signal?.addEventListener("abort", () => reject(signal.reason ?? new DOMException("timed out", "TimeoutError")), { once: true });
        });
      }
      return fetch(input, init);
    };
  }

  it("a call that never answers times out and is retried", async () => {
    const c = connectorFor(env, ms.serviceUrl, { ...deps, fetch: hangingFetch(1), timeoutMs: 50 });
    const { id } = await c.sendToConversation(CHANNEL, card);
    expect(id).toMatch(/^\d+$/);
    expect(ms.connector.sent(CHANNEL)).toHaveLength(1);
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
  });

  it("calls that keep timing out end in a retryable ConnectorUnavailableError (the queue retries later)", async () => {
    const c = connectorFor(env, ms.serviceUrl, { ...deps, fetch: hangingFetch(10), timeoutMs: 30, maxRetries: 2 });
    const err = await c.sendToConversation(CHANNEL, card).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorUnavailableError);
    expect(err.terminal).toBe(false);
    expect(ms.connector.sent(CHANNEL)).toHaveLength(0);
  });
});
