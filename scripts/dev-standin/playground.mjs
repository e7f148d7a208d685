/**
 * The playground: a small Teams look-alike served by the stand-in (docs/playground.md). The page shows the demo
 * tenant's teams, channels and each person's chat with the bot, with every message from the ConversationLog; what
 * a person does there becomes the activity Teams would send, signed with the stand-in's Bot Framework key and
 * POSTed to the worker's /api/messages — the same path Microsoft's Connector takes.
 *
 *   GET  /                           the page (playground/index.html, its script and style, the adaptivecards bundle)
 *   GET  /playground/api/state       teams, channels, chats and messages as `?user=<id>` sees them, plus the guide
 *   GET  /playground/api/events      server-sent events: "change" whenever a message or an install changes
 *   GET  /playground/api/installations  the worker's Teams installations (via its admin API), for the guide
 *   POST /playground/api/install     { user, team, action: "add" | "remove" }    the app added to / removed from a team
 *   POST /playground/api/message     { user, conversation, text }                 a message (an @mention in a channel)
 *   POST /playground/api/submit      { user, replyToId, value }                   an Action.Submit on a card
 *
 * Each POST answers { ok, status } with the worker's HTTP status, or { ok: false, error } saying what went wrong.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cardSubmit, channelMention, installationUpdate, personalCardSubmit, personalMessage, teamInstall, teamUninstall } from "./activities.mjs";
import { DEMO_TEAMS, DEMO_TENANT, DEMO_USERS, channelById, personalChatId, teamById, userById } from "./world.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const STATIC = {
  "/": { file: join(HERE, "playground/index.html"), type: "text/html; charset=utf-8" },
  "/playground/playground.js": { file: join(HERE, "playground/playground.js"), type: "text/javascript; charset=utf-8" },
  "/playground/playground.css": { file: join(HERE, "playground/playground.css"), type: "text/css; charset=utf-8" },
  "/playground/teams-card-look.js": { file: join(ROOT, "scripts/lib/teams-card-look.js"), type: "text/javascript; charset=utf-8" },
  "/playground/adaptivecards.min.js": { file: join(ROOT, "node_modules/adaptivecards/dist/adaptivecards.min.js"), type: "text/javascript; charset=utf-8" },
};
const MAX_TEXT = 4000;

/**
 * @param {{ log: import("./conversation-log.mjs").ConversationLog, world: () => {tenantId: string, botId: string, botName: string, serviceUrl: string},
 *   sign: (activity: object) => Promise<string>, workerUrl: () => string | null, guide: () => object | null }} opts
 */
export function createPlayground({ log, world, sign, workerUrl, guide }) {
  /** @type {Set<import("node:http").ServerResponse>} */
  const listeners = new Set();

  function notify() {
    for (const res of listeners) res.write(`event: change\ndata: ${log.version}\n\n`);
  }

  /** POSTs an activity to the worker as the Connector would; returns the worker's status. */
  async function deliver(activity) {
    const base = workerUrl();
    if (!base) return { ok: false, status: 503, error: "no worker is connected to this stand-in" };
    let res;
    try {
      res = await fetch(`${base}/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: await sign(activity) },
        body: JSON.stringify(activity),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      return { ok: false, status: 502, error: `the worker at ${base} did not answer (${err instanceof Error ? err.message : String(err)}): is it still running?` };
    }
    await res.arrayBuffer();
    if (!res.ok) return { ok: false, status: res.status, error: `the worker answered ${res.status} to the ${activity.type} activity (see its log)` };
    return { ok: true, status: res.status };
  }

  /** The worker's Teams installations (for the guide's rule command), through its admin API. */
  async function installations() {
    const g = guide();
    const base = workerUrl();
    if (!g?.adminToken || !base || !Object.values(log.installedTeams).some(Boolean)) return [];
    try {
      const res = await fetch(`${base}/api/admin/integrations`, { headers: { authorization: `Bearer ${g.adminToken}` }, signal: AbortSignal.timeout(5000) });
      if (!res.ok) return [];
      const { integrations } = await res.json();
      return integrations.map((i) => ({ id: i.id, teamId: i.teamId, status: i.status }));
    } catch {
      return [];
    }
  }

  function stateFor(userId) {
    const me = userById(userId) ?? DEMO_USERS[0];
    const view = (message) => ({ ...message, mine: message.from.id === me.id });
    const teams = DEMO_TEAMS.filter((t) => t.members.includes(me.id)).map((t) => ({
      id: t.id,
      name: t.name,
      installed: log.installedTeams[t.id] === true,
      channels: t.channels.map((c) => ({ id: c.id, name: c.name, messages: log.inConversation(c.id).map(view) })),
    }));
    const chat = personalChatId(me);
    return {
      version: log.version,
      tenant: DEMO_TENANT,
      bot: { id: world().botId, name: world().botName },
      me,
      users: DEMO_USERS,
      teams,
      chats: [{ id: chat, name: world().botName, messages: log.inConversation(chat).map(view) }],
      guide: guide(),
    };
  }

  async function install({ user, team: teamId, action }) {
    const team = teamById(teamId);
    if (!team || !team.members.includes(user.id)) return bad("team: not one of your teams");
    if (action !== "add" && action !== "remove") return bad('action: "add" or "remove"');
    const w = world();
    const account = { id: team.id, name: team.name };
    // Teams sends both: the conversationUpdate and an installationUpdate (the worker must not welcome twice).
    const first = await deliver(action === "add" ? teamInstall(w, user, account) : teamUninstall(w, user, account));
    if (!first.ok) return first;
    const second = await deliver(installationUpdate(w, user, account, action));
    if (!second.ok) return second;
    log.setInstalled(team.id, action === "add");
    return second;
  }

  async function message({ user, conversation, text }) {
    if (typeof text !== "string" || !text.trim()) return bad("text: type something");
    if (text.length > MAX_TEXT) return bad(`text: at most ${MAX_TEXT} characters`);
    const w = world();
    if (conversation === personalChatId(user)) {
      const posted = log.add({ conversationId: conversation, from: { id: user.id, name: user.name, bot: false }, activity: { type: "message", text } });
      return deliver(personalMessage(w, user, text, { messageId: posted.id }));
    }
    const where = channelById(conversation);
    if (!where || !where.team.members.includes(user.id)) return bad("conversation: not a channel of your teams, nor your chat");
    // A new post in the channel that @mentions the bot; the bot's answer goes into its thread.
    const activity = channelMention(w, user, { team: { id: where.team.id, name: where.team.name }, channelId: where.channel.id, text: text.trim(), messageId: log.nextId() });
    log.add({ id: activity.id, conversationId: where.channel.id, from: { id: user.id, name: user.name, bot: false }, activity: { type: "message", text: activity.text, entities: activity.entities } });
    return deliver(activity);
  }

  async function submit({ user, replyToId, value }) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return bad("value: the action's data merged with the card's inputs (an object)");
    const card = typeof replyToId === "string" ? log.get(replyToId) : null;
    if (!card || card.deleted) return bad("replyToId: no such message");
    const w = world();
    if (card.conversationId === personalChatId(user)) return deliver(personalCardSubmit(w, user, { replyToId, value }));
    const where = channelById(card.conversationId);
    if (!where || !where.team.members.includes(user.id)) return bad("replyToId: that message is not in one of your conversations");
    // Teams addresses a click in a channel to the thread holding the card.
    return deliver(
      cardSubmit(w, user, {
        team: { id: where.team.id, name: where.team.name },
        channelId: where.channel.id,
        conversationId: `${where.channel.id};messageid=${card.threadId ?? card.id}`,
        replyToId,
        data: value,
        inputs: {},
      }),
    );
  }

  const actions = { install, message, submit };

  return {
    notify,
    /** Answers a playground request, or returns null when the path is not the playground's. */
    async handle(method, url, body, res) {
      const asset = STATIC[url.pathname];
      if (asset && method === "GET") {
        return { status: 200, headers: { "content-type": asset.type, "cache-control": "no-cache" }, body: await readFile(asset.file) };
      }
      if (!url.pathname.startsWith("/playground/api/")) return null;
      const name = url.pathname.slice("/playground/api/".length);
      if (name === "state" && method === "GET") return json(200, stateFor(url.searchParams.get("user")));
      // Asked by the guide only (it is an admin API call, logged by wrangler dev: not on every change).
      if (name === "installations" && method === "GET") return json(200, await installations());
      if (name === "events" && method === "GET") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        res.write(`event: change\ndata: ${log.version}\n\n`);
        listeners.add(res);
        res.on("close", () => listeners.delete(res));
        return "streaming";
      }
      const action = actions[name];
      if (!action || method !== "POST") return json(404, { ok: false, error: "no such playground action" });
      let input;
      try {
        input = JSON.parse(body.toString("utf8"));
      } catch {
        return json(400, { ok: false, error: "the body is not JSON" });
      }
      const user = userById(input?.user);
      if (!user) return json(400, { ok: false, error: "user: pick one of the demo users" });
      const result = await action({ ...input, user });
      // Our own refusal is the caller's mistake (400); the worker's refusal or silence is a bad gateway (502).
      return json(result.ok ? 200 : result.local ? 400 : 502, result);
    },
  };
}

function bad(error) {
  return { ok: false, local: true, status: 400, error };
}

function json(status, value) {
  return { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }, body: JSON.stringify(value) };
}
