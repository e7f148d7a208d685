/**
 * Classifies a verified activity once into a typed union, as Sentry's Teams integration routes them in its post(): a message carrying
 * `value.payload.actionType` is a card action; other messages are channel or personal messages;
 * conversationUpdate by channelData.eventType (or, in a personal conversation, the bot among membersAdded);
 * installationUpdate add/remove; the `adaptiveCard/action` invoke (Action.Execute). Wire shapes stop here.
 */
import type { Activity, ChannelAccount } from "../bot/activity-types";
import { parseCardAction, type CardAction } from "../cards/action-payload";

export type ActivityCommon = {
  activityId: string | null;
  serviceUrl: string;
  tenantId: string | null;
  conversationId: string;
  conversationType: "personal" | "groupChat" | "channel";
  from: { id: string; aadObjectId: string | null; name: string | null };
  /** The bot's own account id ("28:<appId>"). */
  botId: string | null;
  team: { id: string; name: string | null } | null;
  /** Teams channel id (in a channel conversation). */
  channelId: string | null;
};

export type ClassifiedActivity = ActivityCommon &
  (
    | { kind: "cardAction"; via: "submit" | "execute"; action: CardAction | { kind: "invalid"; reason: string }; replyToId: string | null }
    | { kind: "channelMessage"; text: string }
    | { kind: "personalMessage"; text: string }
    | { kind: "botAddedToTeam" }
    | { kind: "botRemovedFromTeam" }
    | { kind: "personalInstall" }
    | { kind: "personalUninstall" }
    /** `routine`: traffic every bot gets (typing, reactions, member changes), not worth a log line each. */
    | { kind: "ignored"; reason: string; routine: boolean }
  );

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

function includesBot(members: ChannelAccount[] | undefined, botId: string | null): boolean {
  if (!Array.isArray(members) || !botId) return false;
  return members.some((m) => m && typeof m === "object" && m.id === botId);
}

function common(a: Activity): ActivityCommon {
  const convType = a.conversation?.conversationType;
  const teamId = str(a.channelData?.team?.id);
  return {
    activityId: str(a.id),
    serviceUrl: String(a.serviceUrl ?? ""),
    tenantId: str(a.channelData?.tenant?.id) ?? str(a.conversation?.tenantId),
    conversationId: String(a.conversation?.id ?? ""),
    conversationType: convType === "channel" || convType === "groupChat" ? convType : "personal",
    from: { id: String(a.from?.id ?? ""), aadObjectId: str(a.from?.aadObjectId), name: str(a.from?.name) },
    botId: str(a.recipient?.id),
    team: teamId ? { id: teamId, name: str(a.channelData?.team?.name) } : null,
    channelId: str(a.channelData?.channel?.id),
  };
}

function hasActionPayload(value: unknown): boolean {
  if (!value || typeof value !== "object") return false;
  const payload = (value as { payload?: unknown }).payload;
  return !!payload && typeof payload === "object" && (payload as { actionType?: unknown }).actionType !== undefined;
}

/** Activity types Teams sends as a matter of course that this bot has no use for. */
const ROUTINE_TYPES = new Set(["typing", "messageReaction", "messageUpdate", "messageDelete", "event", "endOfConversation"]);

export function classifyActivity(a: Activity): ClassifiedActivity {
  const c = common(a);
  if (!c.conversationId) return { ...c, kind: "ignored", reason: "no conversation", routine: false };
  switch (a.type) {
    case "message": {
      if (hasActionPayload(a.value)) {
        return { ...c, kind: "cardAction", via: "submit", action: parseCardAction(a.value), replyToId: str(a.replyToId) };
      }
      const text = typeof a.text === "string" ? a.text : "";
      return c.conversationType === "personal" ? { ...c, kind: "personalMessage", text } : { ...c, kind: "channelMessage", text };
    }
    case "invoke": {
      if (a.name === "adaptiveCard/action") {
        return { ...c, kind: "cardAction", via: "execute", action: parseCardAction(a.value), replyToId: str(a.replyToId) };
      }
      return { ...c, kind: "ignored", reason: `invoke ${String(a.name).slice(0, 64)}`, routine: false };
    }
    case "conversationUpdate": {
      const eventType = a.channelData?.eventType;
      if (eventType === "teamMemberAdded" && includesBot(a.membersAdded, c.botId) && c.team) return { ...c, kind: "botAddedToTeam" };
      if (eventType === "teamMemberRemoved" && includesBot(a.membersRemoved, c.botId) && c.team) return { ...c, kind: "botRemovedFromTeam" };
      if (c.conversationType === "personal" && includesBot(a.membersAdded, c.botId)) return { ...c, kind: "personalInstall" };
      return { ...c, kind: "ignored", reason: `conversationUpdate ${String(eventType ?? "")}`.slice(0, 80), routine: true };
    }
    case "installationUpdate": {
      const action = String(a.action ?? "");
      if (action === "add" || action === "add-upgrade") {
        if (c.team) return { ...c, kind: "botAddedToTeam" };
        if (c.conversationType === "personal") return { ...c, kind: "personalInstall" };
      }
      if (action === "remove" || action === "remove-upgrade") {
        if (c.team) return { ...c, kind: "botRemovedFromTeam" };
        if (c.conversationType === "personal") return { ...c, kind: "personalUninstall" };
      }
      return { ...c, kind: "ignored", reason: `installationUpdate ${action}`.slice(0, 80), routine: true };
    }
    default:
      return { ...c, kind: "ignored", reason: `type ${String(a.type).slice(0, 40)}`, routine: ROUTINE_TYPES.has(String(a.type)) };
  }
}
