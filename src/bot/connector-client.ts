/**
 * The Bot Connector REST API (docs/bot-transport.md, "Connector REST API"), for one serviceUrl.
 *
 * Trust: the bot's token is sent only to the serviceUrl of a verified activity or one stored from a verified
 * activity (integrations.service_url, notification_messages.service_url). Callers must pass only such URLs;
 * as a second line of defence the client refuses anything but https (http only for localhost, the emulator).
 *
 * Retries (bounded, `maxRetries`): 429 waits Retry-After (else backoff); 412/502/503/504, network errors and
 * timeouts use exponential backoff with jitter. A 401 gets one retry with a freshly exchanged token.
 * Everything else fails at once with a typed ConnectorError (see connector-errors.ts).
 */
import type { Env } from "../env";
import type {
  Activity,
  ChannelInfo,
  ConversationParameters,
  ConversationResourceResponse,
  PagedMembersResult,
  ResourceResponse,
  TeamDetails,
  TeamsChannelAccount,
} from "./activity-types";
import { botConfig } from "./bot-config";
import {
  connectorErrorFor,
  ConnectorThrottledError,
  ConnectorUnavailableError,
  UntrustedServiceUrlError,
  type ConnectorError,
} from "./connector-errors";
import { fetchWithTimeout } from "./fetch-with-timeout";
import { backoffDelay, parseRetryAfter, realSleep, type Sleep } from "./retry";
import { getBotToken, type TokenDeps } from "./token-client";

export type ConnectorDeps = {
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
  /** KV for the token cache (defaults to env.CACHE). */
  kv?: KVNamespace | null;
  /** Retries after the first attempt, for retryable failures. */
  maxRetries?: number;
  /** A Retry-After (or backoff) longer than this is not waited out: the call fails with ConnectorThrottledError. */
  maxWaitMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Options for the token exchange (its own retries and timeout). */
  token?: Pick<TokenDeps, "maxAttempts" | "timeoutMs">;
};

/** Supplies the bearer token; `reject` names a token the Connector just refused. */
export type TokenProvider = (reject?: string) => Promise<string>;

const RETRYABLE_STATUSES = new Set([412, 429, 502, 503, 504]);
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_WAIT_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 15_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;
const DEFAULT_PAGE_SIZE = 500;
/** Bound on pages followed by getAllMembers (500 × 200 = 100,000 members). */
const MAX_MEMBER_PAGES = 200;

/** The base URL (ending in '/') of a serviceUrl we may send the token to; throws UntrustedServiceUrlError. */
export function connectorBaseUrl(serviceUrl: string): string {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    throw new UntrustedServiceUrlError();
  }
  const localHttp = url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1");
  if ((url.protocol !== "https:" && !localHttp) || url.username || url.password) throw new UntrustedServiceUrlError();
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  return `${url.origin}${path}`;
}

function id(name: string, value: string): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`${name} is required`);
  // Teams ids carry ':', '@', ';' and '|', which must not be read as path syntax.
  return encodeURIComponent(value);
}

export class ConnectorClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly maxRetries: number;
  private readonly maxWaitMs: number;
  private readonly timeoutMs: number;

  constructor(
    serviceUrl: string,
    private readonly getToken: TokenProvider,
    deps: ConnectorDeps = {},
    /** The bot's own account id ("28:<appId>"), used when creating conversations. */
    readonly botId?: string,
  ) {
    this.baseUrl = connectorBaseUrl(serviceUrl);
    this.fetchFn = deps.fetch ?? ((input, init) => fetch(input, init));
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
    this.random = deps.random ?? Math.random;
    this.maxRetries = Math.max(0, deps.maxRetries ?? DEFAULT_MAX_RETRIES);
    this.maxWaitMs = deps.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** POST v3/conversations/{conversationId}/activities: a new message in the conversation. */
  async sendToConversation(conversationId: string, activity: Partial<Activity>): Promise<ResourceResponse> {
    return this.expectId(await this.call("POST", `v3/conversations/${id("conversationId", conversationId)}/activities`, activity));
  }

  /** POST v3/conversations/{conversationId}/activities/{activityId}: a reply in the activity's thread. */
  async replyToActivity(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<ResourceResponse> {
    const path = `v3/conversations/${id("conversationId", conversationId)}/activities/${id("activityId", activityId)}`;
    return this.expectId(await this.call("POST", path, { ...activity, replyToId: activityId }));
  }

  /** PUT v3/conversations/{conversationId}/activities/{activityId}: replaces a message (e.g. an updated card). */
  async updateActivity(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<ResourceResponse> {
    const path = `v3/conversations/${id("conversationId", conversationId)}/activities/${id("activityId", activityId)}`;
    const answer = await this.call<ResourceResponse>("PUT", path, { ...activity, id: activityId });
    // Teams sometimes answers an update with an empty body; the activity keeps its id.
    return { id: typeof answer?.id === "string" && answer.id ? answer.id : activityId };
  }

  /** DELETE v3/conversations/{conversationId}/activities/{activityId}. */
  async deleteActivity(conversationId: string, activityId: string): Promise<void> {
    const path = `v3/conversations/${id("conversationId", conversationId)}/activities/${id("activityId", activityId)}`;
    await this.call("DELETE", path);
  }

  /** POST v3/conversations: any conversation the Connector can create. */
  async createConversation(params: ConversationParameters): Promise<ConversationResourceResponse> {
    const answer = await this.call<ConversationResourceResponse>("POST", "v3/conversations", params);
    if (typeof answer?.id !== "string" || !answer.id) throw new ConnectorUnavailableError(502);
    return answer;
  }

  /** Opens (or finds) the 1:1 chat between the bot and a user ("29:..." id) in a tenant. */
  async createPersonalConversation(input: { userId: string; tenantId: string }): Promise<ConversationResourceResponse> {
    if (!this.botId) throw new TypeError("botId is required to create a personal conversation");
    return this.createConversation({
      bot: { id: this.botId },
      members: [{ id: input.userId }],
      tenantId: input.tenantId,
      channelData: { tenant: { id: input.tenantId } },
      isGroup: false,
    });
  }

  /** Starts a new thread in a channel with `activity` as its first message. */
  async createChannelThread(input: { channelId: string; activity: Partial<Activity>; tenantId?: string }): Promise<ConversationResourceResponse> {
    return this.createConversation({
      isGroup: true,
      channelData: { channel: { id: input.channelId }, ...(input.tenantId ? { tenant: { id: input.tenantId } } : {}) },
      activity: input.activity,
    });
  }

  /** GET v3/teams/{teamId}. */
  async getTeamDetails(teamId: string): Promise<TeamDetails> {
    const answer = await this.call<TeamDetails>("GET", `v3/teams/${id("teamId", teamId)}`);
    return answer ?? { id: teamId };
  }

  /** GET v3/teams/{teamId}/conversations: the team's channels (General: name null, id = team id). */
  async getTeamChannels(teamId: string): Promise<ChannelInfo[]> {
    const answer = await this.call<{ conversations?: ChannelInfo[] }>("GET", `v3/teams/${id("teamId", teamId)}/conversations`);
    return Array.isArray(answer?.conversations) ? answer.conversations : [];
  }

  /** GET v3/conversations/{conversationId}/pagedmembers: one page of the roster. */
  async getPagedMembers(conversationId: string, page: { pageSize?: number; continuationToken?: string } = {}): Promise<PagedMembersResult> {
    const query = new URLSearchParams({ pageSize: String(page.pageSize ?? DEFAULT_PAGE_SIZE) });
    if (page.continuationToken) query.set("continuationToken", page.continuationToken);
    const answer = await this.call<PagedMembersResult>(
      "GET",
      `v3/conversations/${id("conversationId", conversationId)}/pagedmembers?${query.toString()}`,
    );
    return {
      members: Array.isArray(answer?.members) ? answer.members : [],
      ...(typeof answer?.continuationToken === "string" && answer.continuationToken ? { continuationToken: answer.continuationToken } : {}),
    };
  }

  /** The whole roster, following continuationToken (bounded, and stops if a token repeats). */
  async getAllMembers(conversationId: string, opts: { pageSize?: number; maxPages?: number } = {}): Promise<TeamsChannelAccount[]> {
    const all: TeamsChannelAccount[] = [];
    const seen = new Set<string>();
    let continuationToken: string | undefined;
    for (let page = 0; page < (opts.maxPages ?? MAX_MEMBER_PAGES); page++) {
      const result = await this.getPagedMembers(conversationId, { pageSize: opts.pageSize, continuationToken });
      all.push(...result.members);
      continuationToken = result.continuationToken;
      if (!continuationToken || seen.has(continuationToken)) break;
      seen.add(continuationToken);
    }
    return all;
  }

  /** GET v3/conversations/{conversationId}/members/{userId}. */
  async getMember(conversationId: string, userId: string): Promise<TeamsChannelAccount> {
    const path = `v3/conversations/${id("conversationId", conversationId)}/members/${id("userId", userId)}`;
    const answer = await this.call<TeamsChannelAccount>("GET", path);
    if (typeof answer?.id !== "string") throw new ConnectorUnavailableError(502);
    return answer;
  }

  private expectId(answer: unknown): ResourceResponse {
    const got = (answer as { id?: unknown } | null)?.id;
    // A success without an id: Teams' answer was not what it promises. Retrying could double-post, so the
    // caller gets a non-terminal error and decides.
    if (typeof got !== "string" || !got) throw new ConnectorUnavailableError(502);
    return { id: got };
  }

  /** One Connector call with the retry policy above; the parsed JSON answer (null for an empty body). */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T | null> {
    const url = this.baseUrl + path;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let token = await this.getToken();
    let refreshedToken = false;
    for (let retry = 0; ; retry++) {
      let res: Response | null = null;
      try {
        res = await fetchWithTimeout(
          this.fetchFn,
          url,
          {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              accept: "application/json",
              ...(payload === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
            },
            body: payload,
          },
          this.timeoutMs,
        );
      } catch {
        res = null;
      }

      if (res?.ok) return parseJson<T>(res);

      if (res?.status === 401 && !refreshedToken) {
        // The token may have been revoked or rotated early: one retry with a fresh one.
        await res.body?.cancel();
        refreshedToken = true;
        token = await this.getToken(token);
        retry--;
        continue;
      }

      if (res && !RETRYABLE_STATUSES.has(res.status)) {
        throw failureFor(res.status, await teamsErrorCode(res));
      }

      const status = res?.status ?? 0;
      const retryAfterMs = res?.status === 429 ? parseRetryAfter(res.headers.get("retry-after"), this.now()) : null;
      await res?.body?.cancel();
      const giveUp = (): ConnectorError => (status === 429 ? new ConnectorThrottledError(retryAfterMs) : new ConnectorUnavailableError(status));
      if (retry >= this.maxRetries) throw giveUp();
      const wait = retryAfterMs ?? backoffDelay(retry, BACKOFF_BASE_MS, BACKOFF_CAP_MS, this.random);
      if (wait > this.maxWaitMs) throw giveUp();
      await this.sleep(wait);
    }
  }
}

function failureFor(status: number, code: string | null): ConnectorError {
  // 5xx other than 502/503/504: not retried here (a POST may have landed), but not terminal either.
  if (status >= 500) return new ConnectorUnavailableError(status);
  return connectorErrorFor(status, code);
}

async function parseJson<T>(res: Response): Promise<T | null> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Teams' `{error:{code}}`, only if it looks like an identifier (it ends up in our logs and errors). */
async function teamsErrorCode(res: Response): Promise<string | null> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown } } | null;
  const code = body?.error?.code;
  return typeof code === "string" && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? code : null;
}

/**
 * A Connector client for `serviceUrl` with the bot's token wired in (memory → KV → exchange).
 * `serviceUrl` must come from a verified activity or from storage written from one.
 */
export function connectorFor(env: Env, serviceUrl: string, deps: ConnectorDeps = {}): ConnectorClient {
  const config = botConfig(env);
  const tokenDeps: TokenDeps = { fetch: deps.fetch, now: deps.now, sleep: deps.sleep, random: deps.random, kv: deps.kv, ...deps.token };
  return new ConnectorClient(serviceUrl, (reject) => getBotToken(env, tokenDeps, { reject }), deps, `28:${config.appId}`);
}
