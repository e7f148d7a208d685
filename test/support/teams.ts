/**
 * Drives the worker as Teams does: signed activities through the worker's own fetch handler with a real
 * ExecutionContext (deferred Connector calls are awaited), activity builders for installs, commands and card
 * actions, and helpers to read cards back from what the stand-in recorded.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import type { Activity } from "../../src/bot/activity-types";
import { signedActivityRequest } from "./bot-tokens";
import type { MicrosoftStandIn } from "./microsoft-stand-in";

// D1 and KV are shared by the tests of a file: every test gets its own tenant, team and channel ids
// (ES live bindings: importers see the new values after `newTeamsWorld()`).
export let TENANT = "tenant-aaaa-0001";
export let TEAM_ID = "19:team-platform@thread.tacv2";
export let ALERTS_CHANNEL = "19:alerts-channel@thread.tacv2";

export function newTeamsWorld(): void {
  const n = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  TENANT = `tenant-${n}`;
  TEAM_ID = `19:team-${n}@thread.tacv2`;
  ALERTS_CHANNEL = `19:alerts-${n}@thread.tacv2`;
}
export const BOT_ID = () => `28:${env.MICROSOFT_APP_ID}`;

let seq = 0;

/** Sends a request through the worker's fetch handler and waits for its ctx.waitUntil work. */
export async function dispatch(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function sendActivity(ms: MicrosoftStandIn, activity: Partial<Activity>): Promise<Response> {
  return dispatch(await signedActivityRequest({ serviceUrl: ms.serviceUrl, ...activity }, { key: ms.signingKey }));
}

export type TeamsUser = { id: string; aadObjectId: string; name: string; email: string };

export function teamsUser(name: string, email: string): TeamsUser {
  const n = ++seq;
  return { id: `29:user-${n}-${name.toLowerCase()}`, aadObjectId: `aad-${n}`, name, email };
}

function base(ms: MicrosoftStandIn, from: TeamsUser | { id: string; name?: string }, tenant = TENANT): Partial<Activity> {
  return {
    id: `act-${++seq}-${Date.now()}`,
    timestamp: new Date().toISOString(),
    serviceUrl: ms.serviceUrl,
    channelId: "msteams",
    from: { id: from.id, name: from.name, aadObjectId: "aadObjectId" in from ? from.aadObjectId : undefined },
    recipient: { id: BOT_ID(), name: "Issue Alerts" },
  };
}

export function teamInstall(ms: MicrosoftStandIn, installer: TeamsUser, opts: { teamId?: string; teamName?: string; tenant?: string; via?: "conversationUpdate" | "installationUpdate" } = {}): Partial<Activity> {
  const teamId = opts.teamId ?? TEAM_ID;
  const tenant = opts.tenant ?? TENANT;
  const channelData = { tenant: { id: tenant }, team: { id: teamId, name: opts.teamName ?? "Platform" }, channel: { id: teamId } };
  const conversation = { id: teamId, conversationType: "channel", tenantId: tenant, isGroup: true };
  if (opts.via === "installationUpdate") {
    return { ...base(ms, installer, tenant), type: "installationUpdate", action: "add", conversation, channelData };
  }
  return {
    ...base(ms, installer, tenant),
    type: "conversationUpdate",
    conversation,
    channelData: { ...channelData, eventType: "teamMemberAdded" },
    membersAdded: [{ id: BOT_ID() }],
  };
}

export function teamUninstall(ms: MicrosoftStandIn, by: TeamsUser, teamId = TEAM_ID): Partial<Activity> {
  return {
    ...base(ms, by),
    type: "conversationUpdate",
    conversation: { id: teamId, conversationType: "channel", tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: teamId, name: "Platform" }, eventType: "teamMemberRemoved" },
    membersRemoved: [{ id: BOT_ID() }],
  };
}

export function personalChatId(user: TeamsUser): string {
  return `a:personal-${user.id}`;
}

export function personalMessage(ms: MicrosoftStandIn, user: TeamsUser, text: string, tenant = TENANT): Partial<Activity> {
  return {
    ...base(ms, user, tenant),
    type: "message",
    text,
    conversation: { id: personalChatId(user), conversationType: "personal", tenantId: tenant },
    channelData: { tenant: { id: tenant } },
  };
}

export function personalInstall(ms: MicrosoftStandIn, user: TeamsUser, via: "conversationUpdate" | "installationUpdate"): Partial<Activity> {
  const conversation = { id: personalChatId(user), conversationType: "personal", tenantId: TENANT };
  if (via === "installationUpdate") return { ...base(ms, user), type: "installationUpdate", action: "add", conversation, channelData: { tenant: { id: TENANT } } };
  return { ...base(ms, user), type: "conversationUpdate", conversation, channelData: { tenant: { id: TENANT } }, membersAdded: [{ id: BOT_ID() }] };
}

export function channelMention(ms: MicrosoftStandIn, user: TeamsUser, text: string): Partial<Activity> {
  return {
    ...base(ms, user),
    type: "message",
    text: `<at>Issue Alerts</at> ${text}`,
    entities: [{ type: "mention", mentioned: { id: BOT_ID(), name: "Issue Alerts" }, text: "<at>Issue Alerts</at>" }],
    conversation: { id: `${ALERTS_CHANNEL};messageid=1`, conversationType: "channel", tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: TEAM_ID, name: "Platform" }, channel: { id: ALERTS_CHANNEL } },
  };
}

/**
 * A click on a card's Action.Submit in a channel thread: `data` is the action's data, `inputs` the card's inputs.
 * As in Teams, the conversation is the card's thread ("<channel>;messageid=<card's activity id>") unless given.
 */
export function cardSubmit(
  ms: MicrosoftStandIn,
  user: TeamsUser,
  data: unknown,
  inputs: Record<string, string>,
  opts: { replyToId: string; conversationId?: string; tenant?: string; teamId?: string },
): Partial<Activity> {
  const tenant = opts.tenant ?? TENANT;
  return {
    ...base(ms, user, tenant),
    type: "message",
    value: { ...(data as object), ...inputs },
    replyToId: opts.replyToId,
    conversation: { id: opts.conversationId ?? `${ALERTS_CHANNEL};messageid=${opts.replyToId}`, conversationType: "channel", tenantId: tenant },
    channelData: { tenant: { id: tenant }, team: { id: opts.teamId ?? TEAM_ID, name: "Platform" }, channel: { id: ALERTS_CHANNEL } },
  };
}

export function cardExecute(ms: MicrosoftStandIn, user: TeamsUser, data: unknown, inputs: Record<string, string>, replyToId: string): Partial<Activity> {
  return {
    ...base(ms, user),
    type: "invoke",
    name: "adaptiveCard/action",
    value: { action: { type: "Action.Execute", data: { ...(data as object), ...inputs } } },
    replyToId,
    conversation: { id: `${ALERTS_CHANNEL};messageid=${replyToId}`, conversationType: "channel", tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: TEAM_ID, name: "Platform" }, channel: { id: ALERTS_CHANNEL } },
  };
}

type Json = Record<string, any>;

/** The Adaptive Card inside a message activity body. */
export function cardOf(activity: unknown): Json {
  return (activity as Json).attachments[0].content;
}

/** Every action (recursively, including inside ShowCards and ActionSets) of a card. */
export function allActions(card: Json): Json[] {
  const out: Json[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as Json;
    if (typeof n.type === "string" && n.type.startsWith("Action.")) out.push(n);
    for (const v of Object.values(n)) visit(v);
  };
  visit(card);
  return out;
}

export function actionTitled(card: Json, title: string): Json {
  const found = allActions(card).find((a) => a.title === title);
  if (!found) throw new Error(`no action titled ${title}; have ${allActions(card).map((a) => a.title).join(", ")}`);
  return found;
}

export function cardText(card: Json): string {
  return JSON.stringify(card);
}
