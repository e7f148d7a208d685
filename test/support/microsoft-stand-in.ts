/**
 * A stand-in for Microsoft at the worker's outbound fetch: the Bot Framework OpenID metadata and JWKS, the
 * AAD token endpoint and the Bot Connector REST API. It spies on `globalThis.fetch` (the worker runs in the
 * test's isolate, so the worker's own outbound calls land here); nothing of ours is stubbed. Unknown hosts
 * answer 599 and are recorded in `unexpected`, so a test can never reach the network. After `stop()` the
 * spy stays as a guard answering 599 to everything (work left in ctx.waitUntil must not reach the network
 * either); `restoreRealFetch()` removes it. Note that such late work may also land in the next test's
 * stand-in: tests that trigger deferred Connector calls should wait for them before finishing.
 *
 * Usage:
 *
 *   import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
 *   import { signedActivityRequest, teamsMessageActivity } from "../support/bot-tokens";
 *
 *   let ms: MicrosoftStandIn;
 *   beforeEach(async () => { ms = await startMicrosoftStandIn(); });   // fresh keys, cold caches, fetch replaced
 *   afterEach(() => ms.stop());                                         // stops answering (late calls get 599)
 *
 *   const activity = teamsMessageActivity({ serviceUrl: ms.serviceUrl, text: "help" });
 *   const res = await workerFetch(await signedActivityRequest(activity, { key: ms.signingKey }));
 *   expect(ms.connector.calls).toHaveLength(1);                         // what the bot sent back
 *   expect(ms.connector.calls[0].body).toMatchObject({ type: "message" });
 *
 * What it serves (URLs come from the worker's env: BOT_OPENID_METADATA_URL, BOT_TOKEN_URL, set in
 * vitest.config.ts `testBindings`):
 *
 *  - OpenID metadata (GET BOT_OPENID_METADATA_URL) → `jwks_uri` on the same host (`/v1/.well-known/keys`).
 *  - JWKS: the published keys (`keys`), RSA, each with `endorsements` (default ["msteams"]).
 *    `createKey()` makes a key without publishing it, `publishKey()` / `unpublishKey()` rotate.
 *    `openid.failNext(n)` makes the next n metadata/JWKS requests answer 503.
 *  - Token endpoint (POST BOT_TOKEN_URL): checks the form (grant_type=client_credentials, client_id,
 *    client_secret, scope=https://api.botframework.com/.default); a wrong id or secret answers 401
 *    invalid_client like AAD. Each success issues a new opaque token "standin-token-<n>" with
 *    `token.expiresIn` (default 3600). `token.enqueue(...)` scripts the next answers: an HTTP answer
 *    (`{status, body?, headers?}`), "timeout" (never answers; the caller's abort signal ends it) or
 *    "network" (fetch throws). `token.requests` records every request's form; `token.revoke(t)` makes the
 *    Connector refuse a token.
 *  - Connector under any registered serviceUrl (default `serviceUrl` = https://smba.trafficmanager.test/amer/,
 *    `connector.addServiceUrl()` for more): every call is recorded in `connector.calls` (method, decoded
 *    path segments, query, JSON body, token), and answered sensibly:
 *      POST v3/conversations/{c}/activities[/{a}] → 201 {id}          PUT …/activities/{a} → {id: a}
 *      DELETE …/activities/{a} → 200                                   POST v3/conversations → {id} (1:1: a stable
 *      "a:" id per user; channel thread: {id: "<channel>;messageid=<n>", activityId})
 *      GET v3/teams/{t} and v3/teams/{t}/conversations → from `connector.teams` (404 if absent)
 *      GET v3/conversations/{c}/pagedmembers → pages of `connector.members` (pageSize, continuationToken)
 *      GET v3/conversations/{c}/members/{u} → one of `connector.members` (404 MemberNotFoundInConversation)
 *    Rosters as the real Connector keeps them: a team's roster lives under its team id (put it in
 *    `connector.members` under the team id), a chat's under the chat id. The roster calls answer 404 ThreadNotFound
 *    for a channel thread id (`…;messageid=…`, botframework-sdk #3062), and for a channel id of a team in
 *    `connector.teams` that is not the team id they give a partial roster: the first half of the team's roster
 *    (BotBuilder-MicrosoftTeams #80), so a lookup by channel id misses people.
 *    A token the token endpoint did not issue (or revoked) gets 401. `connector.enqueue(response, match?)`
 *    scripts the next answer for matching calls (FIFO), e.g.
 *      ms.connector.enqueue({ status: 429, headers: { "Retry-After": "2" } });
 *      ms.connector.enqueue({ status: 403, body: { error: { code: "ConversationBlockedByUser" } } }, { method: "POST" });
 *    `connector.sent(conversationId)` lists the activities posted to a conversation.
 *    `connector.enqueue("hang", match)` makes the matching call never answer (until the caller aborts it).
 *    `connector.enforceTeamsLimits = true` answers 429 Throttled to a send over Teams' per-conversation limits;
 *    `connector.outage = { until, answer }` answers every send with `answer` until that time.
 *    `connector.beforeAnswer = async (call) => {...}` runs after a call is recorded and before it is answered
 *    (to land a change while the bot is waiting on Teams); set it back to null afterwards.
 *  - More Microsoft endpoints (the web sign-in authority, test/support/sign-in-authority.ts) plug in with
 *    `addRoutes(handler)`: a handler answers the requests it knows and returns null for the rest.
 *
 * Starting a stand-in also clears the isolate's bot caches (signing keys, bot token, serviceUrl memo) and
 * their KV entries, because KV is not reset between tests and every stand-in has new keys.
 */
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { vi, type MockInstance } from "vitest";
import { clearAuthorityCache } from "../../src/auth/sign-in/authority";
import { clearOpenIdKeyCache } from "../../src/bot/openid-keys";
import { clearServiceUrlMemo } from "../../src/bot/service-url-refresh";
import { clearBotTokenCache } from "../../src/bot/token-client";

export type SigningAlg = "RS256" | "RS384" | "RS512";

export type StandInKey = {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The JWK as published (with `endorsements` when set). */
  publicJwk: JWK & { endorsements?: string[] };
};

export type ScriptedAnswer = { status: number; body?: unknown; headers?: Record<string, string> };
export type ScriptedToken = ScriptedAnswer | "timeout" | "network";

export type TokenRequest = { form: Record<string, string>; contentType: string | null };

export type ConnectorCall = {
  method: string;
  /** The registered serviceUrl the call went to. */
  serviceUrl: string;
  /** Path after the serviceUrl, as sent (ids percent-encoded). */
  rawPath: string;
  /** The same path split at '/' and decoded, e.g. ["v3", "conversations", "19:x@thread.skype", "activities"]. */
  segments: string[];
  query: Record<string, string>;
  body: unknown;
  /** The bearer token sent (null if none). */
  token: string | null;
  /** The status the stand-in answered (-1: it never answered, a scripted hang). */
  status: number;
  /** When the call arrived (epoch ms). */
  at: number;
};

export type ConnectorMatch = { method?: string; path?: string | RegExp };

export type TeamFixture = { details: { id: string; name?: string; aadGroupId?: string }; channels: { id: string; name?: string | null }[] };

export type MemberFixture = {
  id: string;
  name?: string;
  email?: string;
  userPrincipalName?: string;
  aadObjectId?: string;
  tenantId?: string;
  [key: string]: unknown;
};

export type StandInOptions = {
  /** Endorsements of the first key (default ["msteams"]). */
  endorsements?: string[] | null;
  serviceUrl?: string;
};

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function scripted(answer: ScriptedAnswer): Response {
  return json(answer.status, answer.body, answer.headers);
}

/** Clears the isolate's bot caches and their KV entries: a test starts as a cold isolate would. */
export async function resetBotState(): Promise<void> {
  clearOpenIdKeyCache();
  clearAuthorityCache();
  clearBotTokenCache();
  clearServiceUrlMemo();
  let cursor: string | undefined;
  do {
    const page = await env.CACHE.list({ prefix: "botfw:", cursor });
    await Promise.all(page.keys.map((k) => env.CACHE.delete(k.name)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}

let kidCounter = 0;

// One guard per isolate: it routes every fetch to the current stand-in, and answers 599 when there is none.
let current: MicrosoftStandIn | null = null;
let guard: MockInstance<typeof fetch> | null = null;

function installFetchGuard(): void {
  if (guard && vi.isMockFunction(globalThis.fetch)) return;
  guard = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    if (current) return current.handle(input, init);
    const url = input instanceof Request ? input.url : String(input);
    return new Response(`stand-in stopped: refusing ${url}`, { status: 599 });
  });
}

/** Removes the fetch guard and gives the isolate its real fetch back. */
export function restoreRealFetch(): void {
  guard?.mockRestore();
  guard = null;
  current = null;
}

export class MicrosoftStandIn {
  readonly metadataUrl = env.BOT_OPENID_METADATA_URL as string;
  readonly tokenUrl = env.BOT_TOKEN_URL as string;
  readonly appId = env.MICROSOFT_APP_ID as string;
  readonly appPassword = env.MICROSOFT_APP_PASSWORD as string;
  readonly jwksUrl: string;
  /** The serviceUrl activities should carry (a registered Connector base). */
  readonly serviceUrl: string;

  /** Keys served in the JWKS, in order. */
  readonly keys: StandInKey[] = [];
  /** Requests that reached no route (should stay empty). */
  readonly unexpected: { method: string; url: string }[] = [];

  readonly openid = {
    metadataRequests: 0,
    jwksRequests: 0,
    failures: 0,
    /** The next n metadata/JWKS requests answer 503. */
    failNext: (n = 1) => {
      this.openid.failures += n;
    },
  };

  readonly token = {
    requests: [] as TokenRequest[],
    issued: [] as string[],
    revoked: new Set<string>(),
    expiresIn: 3600,
    script: [] as ScriptedToken[],
    /** Scripts the next answer(s) of the token endpoint. */
    enqueue: (...answers: ScriptedToken[]) => {
      this.token.script.push(...answers);
    },
    /** Makes the Connector answer 401 to this token from now on. */
    revoke: (token: string) => {
      this.token.revoked.add(token);
    },
  };

  readonly connector = {
    calls: [] as ConnectorCall[],
    serviceUrls: [] as string[],
    teams: new Map<string, TeamFixture>(),
    /** Roster per conversation id (a team's roster lives under the team id). */
    members: new Map<string, MemberFixture[]>(),
    script: [] as { answer: ScriptedAnswer | "hang"; match?: ConnectorMatch }[],
    /** Runs after a call is recorded and before it is answered (e.g. to change D1 while the bot waits on Teams). */
    beforeAnswer: null as ((call: ConnectorCall) => Promise<void>) | null,
    /**
     * Teams' per-conversation send limits (7 per 1 s, 8 per 2 s, 60 per 30 s), enforced as Teams does: a send (POST/PUT
     * of an activity) over them is answered 429 Throttled, without Retry-After. Off by default.
     */
    enforceTeamsLimits: false,
    /** Until this time (epoch ms) every activity send answers `outage.answer` (an outage of the Connector). */
    outage: null as { until: number; answer: ScriptedAnswer } | null,
    /** Scripts the next answer for calls matching `match` (all calls when omitted). */
    enqueue: (answer: ScriptedAnswer | "hang", match?: ConnectorMatch) => {
      this.connector.script.push({ answer, match });
    },
    addServiceUrl: (url: string) => {
      this.connector.serviceUrls.push(url.endsWith("/") ? url : `${url}/`);
    },
    /** Bodies of the activities posted (send or reply) to a conversation, in order. */
    sent: (conversationId: string) =>
      this.connector.calls
        .filter((c) => c.method === "POST" && c.segments[1] === "conversations" && c.segments[2] === conversationId && c.segments[3] === "activities" && c.status < 300)
        .map((c) => c.body as Record<string, unknown>),
  };

  private activityCounter = 0;
  private readonly extraRoutes: ((request: Request) => Promise<Response | null>)[] = [];

  /** Adds a handler for more Microsoft endpoints; it returns null for requests that are not its own. */
  addRoutes(handler: (request: Request) => Promise<Response | null>): void {
    this.extraRoutes.push(handler);
  }

  constructor(serviceUrl: string) {
    const meta = new URL(this.metadataUrl);
    this.jwksUrl = `${meta.origin}/v1/.well-known/keys`;
    this.serviceUrl = serviceUrl;
    this.connector.addServiceUrl(serviceUrl);
  }

  /** The key tokens are signed with by default (the first published key). */
  get signingKey(): StandInKey {
    return this.keys[0];
  }

  /** Makes an RSA key pair without publishing it. */
  async createKey(opts: { kid?: string; alg?: SigningAlg; endorsements?: string[] | null } = {}): Promise<StandInKey> {
    const alg = opts.alg ?? "RS256";
    const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048 });
    const kid = opts.kid ?? `standin-key-${++kidCounter}-${crypto.randomUUID().slice(0, 8)}`;
    const publicJwk: StandInKey["publicJwk"] = { ...(await exportJWK(publicKey)), kid, use: "sig" };
    const endorsements = opts.endorsements === undefined ? ["msteams"] : opts.endorsements;
    if (endorsements) publicJwk.endorsements = endorsements;
    return { kid, alg, privateKey, publicKey, publicJwk };
  }

  /** Creates and publishes a key. */
  async addKey(opts: { kid?: string; alg?: SigningAlg; endorsements?: string[] | null } = {}): Promise<StandInKey> {
    const key = await this.createKey(opts);
    this.publishKey(key);
    return key;
  }

  publishKey(key: StandInKey): void {
    this.keys.push(key);
  }

  unpublishKey(kid: string): void {
    const i = this.keys.findIndex((k) => k.kid === kid);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** Makes this stand-in the one answering the worker's fetch. */
  install(): void {
    installFetchGuard();
    current = this;
  }

  /**
   * Stops answering. The fetch guard stays in place: a request that arrives later (work the worker left in
   * ctx.waitUntil, say) gets 599 and never reaches the network. `restoreRealFetch()` removes the guard.
   */
  stop(): void {
    if (current === this) current = null;
  }

  /** @internal Answers one request (called by the fetch guard). */
  handle(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return this.route(input, init);
  }

  private async route(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const signal = init?.signal ?? request.signal;
    if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");

    if (request.method === "GET" && url.href === this.metadataUrl) {
      this.openid.metadataRequests++;
      if (this.openid.failures > 0) {
        this.openid.failures--;
        return json(503, { error: "unavailable" });
      }
      return json(200, {
        issuer: "https://api.botframework.com",
        authorization_endpoint: "https://invalid.botframework.com",
        jwks_uri: this.jwksUrl,
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
      });
    }
    if (request.method === "GET" && url.href === this.jwksUrl) {
      this.openid.jwksRequests++;
      if (this.openid.failures > 0) {
        this.openid.failures--;
        return json(503, { error: "unavailable" });
      }
      return json(200, { keys: this.keys.map((k) => k.publicJwk) });
    }
    if (url.href === this.tokenUrl) return this.handleToken(request, signal ?? null);

    const base = this.connector.serviceUrls.find((s) => url.href.startsWith(s));
    if (base) return this.handleConnector(request, base, signal ?? null);
    for (const extra of this.extraRoutes) {
      const answer = await extra(request.clone());
      if (answer) return answer;
    }

    this.unexpected.push({ method: request.method, url: request.url });
    return new Response(`stand-in: no route for ${request.method} ${request.url}`, { status: 599 });
  }

  private async handleToken(request: Request, signal: AbortSignal | null): Promise<Response> {
    const contentType = request.headers.get("content-type");
    // Decode the bytes ourselves: workerd warns when .text() is called on a form body.
    const form = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer())));
    this.token.requests.push({ form, contentType });
    const next = this.token.script.shift();
    if (next === "network") throw new TypeError("stand-in: network error");
    if (next === "timeout") {
      return new Promise<Response>((_, reject) => {
        if (!signal) return; // never answers; a caller without a timeout would hang, which is the point
        signal.addEventListener("abort", () => reject(signal.reason ?? new DOMException("timed out", "TimeoutError")), { once: true });
      });
    }
    if (next) return scripted(next);

    if (request.method !== "POST" || !contentType?.startsWith("application/x-www-form-urlencoded")) {
      return json(400, { error: "invalid_request", error_description: "stand-in: expected a form POST" });
    }
    if (form.client_id !== this.appId || form.client_secret !== this.appPassword) {
      return json(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
    }
    if (form.grant_type !== "client_credentials") return json(400, { error: "unsupported_grant_type" });
    if (form.scope !== "https://api.botframework.com/.default") return json(400, { error: "invalid_scope" });
    const token = `standin-token-${this.token.issued.length + 1}`;
    this.token.issued.push(token);
    return json(200, { token_type: "Bearer", expires_in: this.token.expiresIn, ext_expires_in: this.token.expiresIn, access_token: token });
  }

  private async handleConnector(request: Request, base: string, signal: AbortSignal | null): Promise<Response> {
    const url = new URL(request.url);
    const rawPath = url.pathname.slice(new URL(base).pathname.length);
    const segments = rawPath.split("/").map((s) => decodeURIComponent(s));
    const text = await request.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const auth = request.headers.get("authorization");
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : null;
    const call: ConnectorCall = {
      method: request.method,
      serviceUrl: base,
      rawPath,
      segments,
      query: Object.fromEntries(url.searchParams),
      body,
      token,
      status: 0,
      at: Date.now(),
    };
    this.connector.calls.push(call);
    if (this.connector.beforeAnswer) await this.connector.beforeAnswer(call);
    const res = this.answerConnector(call);
    if (res === "hang") {
      // Never answers; the caller's abort signal (its per-attempt timeout) ends the wait.
      call.status = -1;
      return new Promise<Response>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason ?? new DOMException("timed out", "TimeoutError")), { once: true });
      });
    }
    call.status = res.status;
    return res;
  }

  private answerConnector(call: ConnectorCall): Response | "hang" {
    if (!call.token || !this.token.issued.includes(call.token) || this.token.revoked.has(call.token)) {
      return json(401, { message: "Authorization has been denied for this request." });
    }
    const i = this.connector.script.findIndex(({ match }) => matches(call, match));
    if (i >= 0) {
      const [{ answer }] = this.connector.script.splice(i, 1);
      return answer === "hang" ? "hang" : scripted(answer);
    }

    const [v3, kind, id, sub, subId, ...rest] = call.segments;
    const isSend = kind === "conversations" && sub === "activities" && (call.method === "POST" || call.method === "PUT");
    if (isSend && this.connector.outage && call.at < this.connector.outage.until) return scripted(this.connector.outage.answer);
    if (isSend && this.connector.enforceTeamsLimits && this.overTeamsLimits(id, call.at)) {
      return json(429, { error: { code: "Throttled", message: "stand-in: over Teams' per-conversation limits" } });
    }
    if (v3 !== "v3" || rest.length > 0) return json(404, { error: { code: "NotFound", message: "stand-in: unknown path" } });
    const m = call.method;

    if (kind === "conversations") {
      if (m === "POST" && id === undefined) return this.createConversation(call.body as Record<string, unknown>);
      if (sub === "activities" && m === "POST") return json(201, { id: this.nextActivityId() });
      if (sub === "activities" && subId !== undefined && m === "PUT") return json(200, { id: subId });
      if (sub === "activities" && subId !== undefined && m === "DELETE") return new Response(null, { status: 200 });
      if ((sub === "pagedmembers" || sub === "members") && m === "GET" && id.includes(";messageid=")) {
        return json(404, { error: { code: "ThreadNotFound", message: "Failure due to: ThreadNotFound." } });
      }
      if (sub === "pagedmembers" && m === "GET") return this.pagedMembers(id, call.query);
      if (sub === "members" && subId !== undefined && m === "GET") {
        const member = (this.roster(id) ?? []).find((x) => x.id === subId);
        return member ? json(200, member) : json(404, { error: { code: "MemberNotFoundInConversation", message: "not found" } });
      }
      if (sub === "members" && subId === undefined && m === "GET") return json(200, this.roster(id) ?? []);
    }
    if (kind === "teams" && m === "GET" && id !== undefined) {
      const team = this.connector.teams.get(id);
      if (!team) return json(404, { error: { code: "NotFound", message: "team not found" } });
      if (sub === undefined) return json(200, team.details);
      if (sub === "conversations" && subId === undefined) return json(200, { conversations: team.channels });
    }
    return json(404, { error: { code: "NotFound", message: "stand-in: unknown path" } });
  }

  /** Whether one more send to `conversationId` at `at` exceeds Teams' limits, counting the sends it accepted. */
  private overTeamsLimits(conversationId: string, at: number): boolean {
    const accepted = this.connector.calls
      .filter((c) => c.status > 0 && c.status < 300 && (c.method === "POST" || c.method === "PUT") && c.segments[2] === conversationId && c.segments[3] === "activities")
      .map((c) => c.at);
    return [
      { ms: 1_000, max: 7 },
      { ms: 2_000, max: 8 },
      { ms: 30_000, max: 60 },
    ].some((w) => accepted.filter((t) => t > at - w.ms).length >= w.max);
  }

  private nextActivityId(): string {
    return String(1_700_000_000_000 + ++this.activityCounter);
  }

  private createConversation(body: Record<string, unknown> | undefined): Response {
    const channelData = (body?.channelData ?? {}) as { channel?: { id?: string } };
    if (body?.isGroup && channelData.channel?.id) {
      const activityId = this.nextActivityId();
      return json(201, { id: `${channelData.channel.id};messageid=${activityId}`, activityId });
    }
    const members = (body?.members ?? []) as { id?: string }[];
    if (members.length !== 1 || typeof members[0]?.id !== "string") {
      return json(400, { error: { code: "BadArgument", message: "stand-in: a 1:1 conversation needs exactly one member" } });
    }
    return json(201, { id: `a:standin-personal-${members[0].id}` });
  }

  /**
   * The roster a roster call sees for an id: the one kept under it (a team or chat id), or for a channel of a known
   * team that is not the team id, the first half of the team's roster (a channel id alone gives a partial roster).
   */
  private roster(id: string): MemberFixture[] | undefined {
    for (const [teamId, team] of this.connector.teams) {
      if (teamId === id || !team.channels.some((c) => c.id === id)) continue;
      const all = this.connector.members.get(teamId) ?? [];
      return all.slice(0, Math.floor(all.length / 2));
    }
    return this.connector.members.get(id);
  }

  private pagedMembers(conversationId: string, query: Record<string, string>): Response {
    const all = this.roster(conversationId);
    if (!all) return json(404, { error: { code: "ConversationNotFound", message: "not found" } });
    const pageSize = Math.max(1, Math.min(500, Number(query.pageSize) || 500));
    const start = query.continuationToken ? Number(query.continuationToken.replace("standin-page-", "")) : 0;
    const members = all.slice(start, start + pageSize);
    const next = start + pageSize < all.length ? `standin-page-${start + pageSize}` : undefined;
    return json(200, next ? { members, continuationToken: next } : { members });
  }
}

function matches(call: ConnectorCall, match: ConnectorMatch | undefined): boolean {
  if (!match) return true;
  if (match.method && match.method !== call.method) return false;
  if (match.path !== undefined) {
    const decoded = call.segments.join("/");
    if (typeof match.path === "string" ? decoded !== match.path : !match.path.test(decoded)) return false;
  }
  return true;
}

/**
 * A fresh stand-in with one published RS256 key (endorsed for msteams unless told otherwise), installed as
 * the worker's fetch, with the isolate's bot caches cleared. Call `stop()` after the test.
 */
export async function startMicrosoftStandIn(opts: StandInOptions = {}): Promise<MicrosoftStandIn> {
  await resetBotState();
  const standIn = new MicrosoftStandIn(opts.serviceUrl ?? "https://smba.trafficmanager.test/amer/");
  await standIn.addKey({ endorsements: opts.endorsements === undefined ? ["msteams"] : opts.endorsements });
  standIn.install();
  return standIn;
}
