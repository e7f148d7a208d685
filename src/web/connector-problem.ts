/**
 * A failed Connector call, in words for the web pages (the picker, the test card, reconnecting). Built from our
 * typed error's code only: Microsoft's text is never shown. The problem is a key first, so a page that answers a
 * POST with a redirect can carry it in the URL it redirects to.
 */
import { ConnectorError } from "../bot/connector-errors";
import { AppError } from "../errors";

const TEXT = {
  credentials:
    "The bot could not sign in to Microsoft (its app id or secret is wrong or missing). An operator should run the doctor (GET /api/admin/doctor).",
  token_unavailable: "Microsoft's sign-in service for bots did not answer. Try again in a minute.",
  unreachable: "Teams could not be reached. Try again in a minute.",
  not_in_roster: "The bot is no longer a member of that team or chat (it was removed). Add the app to the team again, or choose another target.",
  conversation_not_found:
    "Teams does not know that channel or chat any more (404 ConversationNotFound): the bot was removed from the team, or the channel was deleted. Add the app to the team again, or choose another target.",
  thread_not_found:
    "Teams does not know that channel or chat any more (404 ThreadNotFound): the bot was removed from the team, or the channel was deleted. Add the app to the team again, or choose another target.",
  blocked_by_user: "That person blocked the bot in their chat with it. They can unblock it in Teams, or choose a channel instead.",
  blocked_by_admin:
    "A Teams administrator blocked the app for this organization's tenant. Ask them to allow it in the Teams admin center (Manage apps).",
  too_big: "Teams refused the card as too large.",
  throttled: "Teams is limiting how fast the bot may send right now. Try again in a minute.",
  untrusted_service_url: "This installation's Teams address is not one the bot may use. Remove the app from the team and add it again.",
  identity_refused: "Teams refused the bot's identity. An operator should check the bot registration (GET /api/admin/doctor).",
  outage: "Teams did not answer properly (it may be having an outage). Try again in a minute.",
  refused: "Teams refused the request.",
} as const;

export type ConnectorProblem = keyof typeof TEXT;

export function connectorProblemOf(err: unknown): ConnectorProblem {
  if (!(err instanceof ConnectorError)) {
    if (err instanceof AppError && (err.code === "bot_credentials_rejected" || err.code === "not_configured")) return "credentials";
    if (err instanceof AppError && err.code === "bot_token_unavailable") return "token_unavailable";
    return "unreachable";
  }
  switch (err.code) {
    case "BotNotInConversationRoster":
      return "not_in_roster";
    case "ConversationNotFound":
      return "conversation_not_found";
    case "ThreadNotFound":
      return "thread_not_found";
    case "ConversationBlockedByUser":
      return "blocked_by_user";
    case "BotDisabledByAdmin":
      return "blocked_by_admin";
    case "MessageSizeTooBig":
      return "too_big";
    case "Throttled":
      return "throttled";
    case "untrusted_service_url":
      return "untrusted_service_url";
    default:
      if (err.httpStatus === 401) return "identity_refused";
      if (err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 412) return "outage";
      return "refused";
  }
}

/** A key from a URL: one of ours, or null (anything else, e.g. an edited link, shows nothing). */
export function parseConnectorProblem(raw: string | undefined): ConnectorProblem | null {
  return raw !== undefined && Object.hasOwn(TEXT, raw) ? (raw as ConnectorProblem) : null;
}

export function connectorProblemText(problem: ConnectorProblem): string {
  return TEXT[problem];
}

export function connectorProblem(err: unknown): string {
  return connectorProblemText(connectorProblemOf(err));
}
