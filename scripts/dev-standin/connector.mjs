/**
 * The Bot Connector REST API as the stand-in serves it under its serviceUrl (docs/bot-transport.md, "Connector REST
 * API"; docs/playground.md): every call is recorded, answered the way Teams answers, and can be waited for; the
 * messages land in a ConversationLog (what the playground page shows).
 *
 *   POST v3/conversations/{c}/activities[/{a}]  → 201 {id}            PUT …/activities/{a} → 200 {id: a}
 *   DELETE …/activities/{a}                     → 200                 POST v3/conversations → 201 {id} (1:1 chat)
 *   GET v3/teams/{t}, v3/teams/{t}/conversations → from `teams`       GET …/pagedmembers (pageSize, continuationToken),
 *                                                                      …/members/{u} → `members`
 *
 * `{c}` may be `<channel>;messageid=<root>` (a thread): posts there are replies to <root>, as in Teams. PUT and
 * DELETE of a message the conversation does not hold answer 404, like Teams. A bearer token the token endpoint
 * did not issue gets 401, like the real Connector. Rosters as the real Connector keeps them: a team's under its team
 * id, a chat's under the chat id; a channel thread id (`…;messageid=…`) answers 404 ThreadNotFound
 * (botframework-sdk #3062), and a channel id of a known team that is not the team id gives a partial roster, the
 * first half of the team's (BotBuilder-MicrosoftTeams #80).
 */
import { EventEmitter } from "node:events";
import { ConversationLog, splitConversationId } from "./conversation-log.mjs";

export class ConnectorStandIn {
  /** @param {{ isIssuedToken: (token: string) => boolean, events?: EventEmitter, log?: ConversationLog, bot?: {id: string, name: string} }} opts */
  constructor({ isIssuedToken, events = new EventEmitter(), log = new ConversationLog(), bot = { id: "28:bot", name: "Issue Alerts" } }) {
    this.isIssuedToken = isIssuedToken;
    this.log = log;
    this.bot = bot;
    /** @type {{method: string, path: string, segments: string[], query: Record<string,string>, body: any, status: number, answer: any, at: number}[]} */
    this.calls = [];
    /** team id → { details: {id, name, aadGroupId?}, channels: [{id, name}] } */
    this.teams = new Map();
    /** conversation or team id → TeamsChannelAccount[] */
    this.members = new Map();
    /** Emits "call" for every call, and "problem" (a sentence) when the bot did something Microsoft refuses. */
    this.events = events;
    /** The problems reported so far (see `report`), in order. */
    this.problems = [];
  }

  /** Answers one request (path relative to the serviceUrl, without query). */
  handle(method, relativePath, query, body, authorization) {
    const segments = relativePath.split("/").map((s) => decodeURIComponent(s));
    const call = { method, path: relativePath, segments, query, body, status: 0, answer: null, at: Date.now() };
    const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : null;
    const [status, answer] = token && this.isIssuedToken(token) ? this.route(call) : [401, { message: "Authorization has been denied for this request." }];
    call.status = status;
    call.answer = answer;
    this.calls.push(call);
    this.events.emit("call", call);
    if (status === 401) this.report(`the Connector refused the bot's token on ${method} ${relativePath} (401)`);
    return { status, body: answer };
  }

  route(call) {
    const [v3, kind, id, sub, subId, ...rest] = call.segments;
    const m = call.method;
    if (v3 !== "v3" || rest.length > 0) return [404, { error: { code: "NotFound", message: "unknown path" } }];
    if (kind === "conversations") {
      if (m === "POST" && id === undefined) return this.createConversation(call.body ?? {});
      if (sub === "activities" && m === "POST") return this.postMessage(id, subId, call.body ?? {});
      if (sub === "activities" && subId !== undefined && m === "PUT") {
        const updated = this.log.update(splitConversationId(id).conversationId, subId, call.body ?? {});
        return updated ? [200, { id: subId }] : [404, { error: { code: "NotFound", message: "activity not found" } }];
      }
      if (sub === "activities" && subId !== undefined && m === "DELETE") {
        const removed = this.log.remove(splitConversationId(id).conversationId, subId);
        return removed ? [200, null] : [404, { error: { code: "NotFound", message: "activity not found" } }];
      }
      if ((sub === "pagedmembers" || sub === "members") && m === "GET" && id.includes(";messageid=")) {
        return [404, { error: { code: "ThreadNotFound", message: "Failure due to: ThreadNotFound." } }];
      }
      if (sub === "pagedmembers" && m === "GET") {
        const all = this.roster(id);
        if (!all) return [404, { error: { code: "ConversationNotFound", message: "not found" } }];
        // Pages of `pageSize` (at most 500), continued by an opaque continuationToken, as the Connector pages them.
        const pageSize = Math.max(1, Math.min(500, Number(call.query?.pageSize) || 500));
        const token = call.query?.continuationToken;
        const start = token ? Number(String(token).replace("standin-page-", "")) || 0 : 0;
        const members = all.slice(start, start + pageSize);
        const next = start + pageSize < all.length ? `standin-page-${start + pageSize}` : undefined;
        return [200, next ? { members, continuationToken: next } : { members }];
      }
      if (sub === "members" && subId !== undefined && m === "GET") {
        const member = (this.roster(id) ?? []).find((x) => x.id === subId);
        return member ? [200, member] : [404, { error: { code: "MemberNotFoundInConversation", message: "not found" } }];
      }
    }
    if (kind === "teams" && m === "GET" && id !== undefined) {
      const team = this.teams.get(id);
      if (!team) return [404, { error: { code: "NotFound", message: "team not found" } }];
      if (sub === undefined) return [200, team.details];
      if (sub === "conversations" && subId === undefined) return [200, { conversations: team.channels }];
    }
    return [404, { error: { code: "NotFound", message: "unknown path" } }];
  }

  /** A new message in `conversation` (or in a thread: `replyTo`, or a `;messageid=` conversation id). */
  postMessage(conversation, replyTo, activity) {
    const { conversationId, threadId } = splitConversationId(conversation);
    const message = this.log.add({ conversationId, threadId: replyTo ?? threadId, from: { ...this.bot, bot: true }, activity });
    return [201, { id: message.id }];
  }

  /** The roster a roster call sees for an id (a channel id alone gives only part of its team's roster). */
  roster(id) {
    for (const [teamId, team] of this.teams) {
      if (teamId === id || !team.channels.some((c) => c.id === id)) continue;
      const all = this.members.get(teamId) ?? [];
      return all.slice(0, Math.floor(all.length / 2));
    }
    return this.members.get(id);
  }

  createConversation(body) {
    if (body.isGroup && body.channelData?.channel?.id) {
      const channelId = body.channelData.channel.id;
      const message = this.log.add({ conversationId: channelId, from: { ...this.bot, bot: true }, activity: body.activity ?? {} });
      return [201, { id: `${channelId};messageid=${message.id}`, activityId: message.id }];
    }
    const members = Array.isArray(body.members) ? body.members : [];
    if (members.length !== 1 || typeof members[0]?.id !== "string") {
      return [400, { error: { code: "BadArgument", message: "a 1:1 conversation needs exactly one member" } }];
    }
    return [201, { id: `a:personal-${members[0].id}` }];
  }

  /** Messages posted (sent or replied) to a conversation, as {activityId, activity}, in order. */
  posted(conversationId) {
    return this.calls
      .filter((c) => c.method === "POST" && c.segments[1] === "conversations" && c.segments[2] === conversationId && c.segments[3] === "activities" && c.status < 300)
      .map((c) => ({ activityId: c.answer.id, activity: c.body }));
  }

  /** Records something Microsoft would refuse (a sentence) and tells whoever is waiting. */
  report(problem) {
    this.problems.push(problem);
    this.events.emit("problem", problem);
  }

  /** A point in time to wait from: `waitForCall(..., { since: connector.mark() })`. */
  mark() {
    return { calls: this.calls.length, problems: this.problems.length };
  }

  /**
   * The first call since `since` (a mark) that matches, recorded already or still to come. Rejects after
   * `timeoutMs`, or at once when a problem was reported since the mark (no point waiting for a card that can't come).
   */
  waitForCall(predicate, { since = { calls: 0, problems: 0 }, timeoutMs = 15_000, what = "a Connector call" } = {}) {
    const found = this.calls.slice(since.calls).find(predicate);
    if (found) return Promise.resolve(found);
    const earlier = this.problems.slice(since.problems)[0];
    if (earlier) return Promise.reject(new Error(`while waiting for ${what}: ${earlier}`));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off("call", onCall);
        this.events.off("problem", onProblem);
      };
      const onCall = (call) => {
        if (!predicate(call)) return;
        done();
        resolve(call);
      };
      const onProblem = (problem) => {
        done();
        reject(new Error(`while waiting for ${what}: ${problem}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.events.on("call", onCall);
      this.events.on("problem", onProblem);
    });
  }
}
