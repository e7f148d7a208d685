/**
 * Commands typed to the bot, parsed by the one grammar (command-grammar.ts). In a personal chat: help, link,
 * unlink, subscribe / unsubscribe (follow a project), notifications. In a channel (@mention): help, subscribe,
 * unsubscribe, subscriptions. Every text gets a card back; channel answers go into the command's thread.
 */
import {
  buildActionResultCard,
  buildAlreadyLinkedCard,
  buildHelpCard,
  buildLinkPromptCard,
  buildUnlinkCard,
  buildUnrecognizedCommandCard,
} from "../cards/conversation-cards";
import { buildChannelHelpCard, buildUsageCard, CHANNEL_COMMANDS } from "../cards/subscription-cards";
import { cardMessage } from "../cards/message";
import type { AdaptiveCard } from "../cards/types";
import { identitiesOfTeamsUser } from "../db/identities";
import { activeTenantIntegrations } from "../db/integrations";
import type { LinkData } from "../signed-link-data";
import { signToken } from "../signing";
import type { ClassifiedActivity } from "./classify-activity";
import type { BotContext } from "./context";
import { listChannelSubscriptions, subscribeChannel, unsubscribeChannel } from "./channel-subscriptions";
import { parseChatCommand, type ChatCommand, type CommandWord } from "./command-grammar";
import { followCommand, notificationsCommand } from "./personal-notifications";

export const LINK_TTL_MS = 15 * 60 * 1000;

/** The command word: mentions and markup removed, whitespace folded, lower-cased. */
export function commandText(text: string): string {
  return text
    .replace(/<at>[\s\S]*?<\/at>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/\s+/g, " ")
    .trim();
}

type Of<K extends ClassifiedActivity["kind"]> = Extract<ClassifiedActivity, { kind: K }>;

export async function handlePersonalMessage(ctx: BotContext, a: Of<"personalMessage">): Promise<void> {
  const text = commandText(a.text);
  const [card, summary] = await personalAnswer(ctx, a, parseChatCommand(text));
  ctx.defer("command answer", () => ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(card, summary)));
}

async function personalAnswer(ctx: BotContext, a: Of<"personalMessage">, command: ChatCommand): Promise<[AdaptiveCard, string]> {
  switch (command.kind) {
    case "help":
      return [buildHelpCard(), "What I can do"];
    case "link":
      return linkCommand(ctx, a);
    case "unlink":
      return unlinkCommand(ctx, a);
    case "subscribe":
      if (command.optionsGiven) {
        return usage("options are for channels; here, subscribe follows a project's new issues", "subscribe <project>", "subscribe api");
      }
      return answer(await followCommand(ctx, a, command.project, true));
    case "unsubscribe":
      return answer(await followCommand(ctx, a, command.project, false));
    case "notifications":
    case "subscriptions":
      // A person's subscriptions are the projects they follow: the notifications card lists them.
      return answer(await notificationsCommand(ctx, a));
    case "invalid":
      return usage(command.reason, ...PERSONAL_USAGE[command.command]);
    case "unknown":
      return [buildUnrecognizedCommandCard(command.text), "Sorry, I didn't understand that"];
  }
}

export async function handleChannelMessage(ctx: BotContext, a: Of<"channelMessage">): Promise<void> {
  const text = commandText(a.text);
  const [card, summary] = await channelAnswer(ctx, a, parseChatCommand(text));
  // The conversation id of a channel message names its thread: the answer goes under the command.
  ctx.defer("channel answer", () => ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(card, summary)));
}

async function channelAnswer(ctx: BotContext, a: Of<"channelMessage">, command: ChatCommand): Promise<[AdaptiveCard, string]> {
  switch (command.kind) {
    case "help":
      return [buildChannelHelpCard(), "Route alerts to this channel"];
    case "subscribe":
      return answer(await subscribeChannel(ctx, a, command.project, command.options));
    case "unsubscribe":
      return answer(await unsubscribeChannel(ctx, a, command.project));
    case "subscriptions":
      return answer(await listChannelSubscriptions(ctx, a));
    case "link":
    case "unlink":
    case "notifications":
      return [
        buildActionResultCard({ tone: "info", text: `${command.kind} works in a personal chat: open a chat with me and type ${command.kind} there.` }),
        "That works in a personal chat",
      ];
    case "invalid":
      return usage(command.reason, ...CHANNEL_USAGE[command.command]);
    case "unknown":
      return [buildUnrecognizedCommandCard(command.text), "Sorry, I didn't understand that"];
  }
}

/** Usage and example per command, for the card that answers a command used wrongly. */
const CHANNEL_USAGE: Record<CommandWord, [string, string]> = {
  help: ["help", "help"],
  subscribe: [CHANNEL_COMMANDS[0].usage, CHANNEL_COMMANDS[0].example],
  unsubscribe: [CHANNEL_COMMANDS[1].usage, CHANNEL_COMMANDS[1].example],
  subscriptions: ["subscriptions", "subscriptions"],
  link: ["link (in a personal chat)", "link"],
  unlink: ["unlink (in a personal chat)", "unlink"],
  notifications: ["notifications (in a personal chat)", "notifications"],
};

const PERSONAL_USAGE: Record<CommandWord, [string, string]> = {
  help: ["help", "help"],
  link: ["link", "link"],
  unlink: ["unlink", "unlink"],
  subscribe: ["subscribe <project>", "subscribe api"],
  unsubscribe: ["unsubscribe <project>", "unsubscribe api"],
  subscriptions: ["subscriptions", "subscriptions"],
  notifications: ["notifications", "notifications"],
};

function usage(reason: string, usageText: string, example: string): [AdaptiveCard, string] {
  return [buildUsageCard({ reason, usage: usageText, example }), "Sorry, that command needs a fix"];
}

function answer(a: { card: AdaptiveCard; summary: string }): [AdaptiveCard, string] {
  return [a.card, a.summary];
}

async function linkCommand(ctx: BotContext, a: Of<"personalMessage">): Promise<[AdaptiveCard, string]> {
  if (!a.tenantId) return [notSetUp(), "Not set up yet"];
  const active = await activeTenantIntegrations(ctx.db, a.tenantId);
  if (!active.length) return [notSetUp(), "Not set up yet"];
  const linked = await identitiesOfTeamsUser(ctx.db, a.tenantId, a.from.id);
  if (linked.some((i) => active.some((x) => x.id === i.integrationId))) return [buildAlreadyLinkedCard(), "Your account is already linked"];
  const url = await linkUrl(ctx, "link", {
    tenantId: a.tenantId,
    teamsUserId: a.from.id,
    aadObjectId: a.from.aadObjectId,
    integrationIds: [],
    conversationId: a.conversationId,
    serviceUrl: a.serviceUrl,
  });
  return [buildLinkPromptCard({ linkUrl: url }), "Link your account"];
}

async function unlinkCommand(ctx: BotContext, a: Of<"personalMessage">): Promise<[AdaptiveCard, string]> {
  const linked = a.tenantId ? await identitiesOfTeamsUser(ctx.db, a.tenantId, a.from.id) : [];
  if (!linked.length) {
    return [buildActionResultCard({ tone: "info", text: "Your Teams account is not linked. Send `link` to link it." }), "Not linked"];
  }
  const url = await linkUrl(ctx, "unlink", {
    tenantId: a.tenantId!,
    teamsUserId: a.from.id,
    aadObjectId: a.from.aadObjectId,
    integrationIds: linked.map((i) => i.integrationId),
    conversationId: a.conversationId,
    serviceUrl: a.serviceUrl,
  });
  return [buildUnlinkCard({ unlinkUrl: url }), "Unlink your account"];
}

export async function linkUrl(ctx: BotContext, purpose: "link" | "unlink", data: LinkData): Promise<string> {
  const token = await signToken(ctx.env.LINK_SIGNING_SECRET, purpose, data, LINK_TTL_MS, ctx.now());
  return `${ctx.baseUrl}/${purpose}/${token}`;
}

function notSetUp(): AdaptiveCard {
  return buildActionResultCard({
    tone: "warning",
    text: "Issue Alerts is not set up for your organization yet: add the app to a team and complete the setup first.",
  });
}
