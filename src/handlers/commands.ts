/** Commands: `help`, `link`, `unlink` in a personal chat; help or "unrecognized" when @mentioned in a channel. */
import {
  buildActionResultCard,
  buildAlreadyLinkedCard,
  buildHelpCard,
  buildLinkPromptCard,
  buildMentionedCard,
  buildUnlinkCard,
  buildUnrecognizedCommandCard,
} from "../cards/conversation-cards";
import { cardMessage } from "../cards/message";
import type { AdaptiveCard } from "../cards/types";
import { identitiesOfTeamsUser } from "../db/identities";
import { activeTenantIntegrations } from "../db/integrations";
import type { LinkData } from "../signed-link-data";
import { signToken } from "../signing";
import type { ClassifiedActivity } from "./classify-activity";
import type { BotContext } from "./context";

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
  const word = text.toLowerCase();
  let card: AdaptiveCard;
  let summary: string;
  if (word === "" || word === "help") [card, summary] = [buildHelpCard(), "What I can do"];
  else if (word === "link") [card, summary] = await linkCommand(ctx, a);
  else if (word === "unlink") [card, summary] = await unlinkCommand(ctx, a);
  else [card, summary] = [buildUnrecognizedCommandCard(text), "Sorry, I didn't understand that"];
  ctx.defer("command answer", () => ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(card, summary)));
}

export async function handleChannelMessage(ctx: BotContext, a: Of<"channelMessage">): Promise<void> {
  const text = commandText(a.text);
  const word = text.toLowerCase();
  const [card, summary] =
    word === "" ? [buildMentionedCard(), "Hi! Here is what I do"] : word === "help" ? [buildHelpCard(), "What I can do"] : [buildUnrecognizedCommandCard(text), "Sorry, I didn't understand that"];
  ctx.defer("channel answer", () => ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(card, summary)));
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
