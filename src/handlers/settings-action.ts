/**
 * A submit on the chat's own cards: Unsubscribe on a channel's subscriptions list, Save on the personal
 * notifications card. The card is updated in place (PUT over `replyToId`); a refusal is answered as a new card.
 */
import { buildActionResultCard } from "../cards/conversation-cards";
import { cardMessage } from "../cards/message";
import type { AdaptiveCard } from "../cards/types";
import { unsubscribeRule } from "./channel-subscriptions";
import { isRefusal } from "./chat-access";
import type { ClassifiedActivity } from "./classify-activity";
import type { BotContext } from "./context";
import { notificationsCommand } from "./personal-notifications";

type SettingsActivity = Extract<ClassifiedActivity, { kind: "settingsAction" }>;

export async function handleSettingsAction(ctx: BotContext, a: SettingsActivity): Promise<void> {
  const action = a.action;
  let result: { card: AdaptiveCard; summary: string; replaces: boolean };
  if (action.kind === "invalid") {
    // A tampered or outdated card: say so rather than fail (the reason names a field, never echoes input).
    result = { card: buildActionResultCard({ tone: "warning", text: "That button could not be read; send the command again for a fresh card." }), summary: "Button not understood", replaces: false };
  } else if (action.kind === "unsubscribe") {
    if (a.conversationType !== "channel") {
      result = { card: buildActionResultCard({ tone: "warning", text: "Unsubscribe works on a channel's subscriptions list." }), summary: "Not here", replaces: false };
    } else {
      const r = await unsubscribeRule(ctx, a, action.ruleId, action.integrationId);
      result = { card: r.card, summary: r.summary, replaces: r.changed };
    }
  } else if (a.conversationType !== "personal") {
    result = { card: buildActionResultCard({ tone: "warning", text: "Notification settings are changed in your personal chat with me." }), summary: "Not here", replaces: false };
  } else {
    const r = await notificationsCommand(ctx, a, action.settings);
    // A refusal (not linked any more) is a card of its own; the settings card then stays as it was.
    result = { card: r.card, summary: r.summary, replaces: !isRefusal(r) };
  }
  const connector = ctx.connector(a.serviceUrl);
  const message = cardMessage(result.card, result.summary);
  if (result.replaces && a.replyToId) {
    ctx.defer("settings card update", () => connector.updateActivity(a.conversationId, a.replyToId!, { ...message, id: a.replyToId! }));
  } else {
    ctx.defer("settings answer", () => connector.sendToConversation(a.conversationId, message));
  }
}
