/**
 * A failed Connector call, in words for the web pages (the picker, the test card, reconnecting). Built from our
 * typed error's code only: Microsoft's text is never shown.
 */
import { ConnectorError } from "../bot/connector-errors";
import { AppError } from "../errors";

export function connectorProblem(err: unknown): string {
  if (!(err instanceof ConnectorError)) {
    if (err instanceof AppError && (err.code === "bot_credentials_rejected" || err.code === "not_configured")) {
      return "The bot could not sign in to Microsoft (its app id or secret is wrong or missing). An operator should run the doctor (GET /api/admin/doctor).";
    }
    if (err instanceof AppError && err.code === "bot_token_unavailable") return "Microsoft's sign-in service for bots did not answer. Try again in a minute.";
    return "Teams could not be reached. Try again in a minute.";
  }
  switch (err.code) {
    case "BotNotInConversationRoster":
      return "The bot is no longer a member of that team or chat (it was removed). Add the app to the team again, or choose another target.";
    case "ConversationNotFound":
    case "ThreadNotFound":
      return `Teams does not know that channel or chat any more (${err.httpStatus} ${err.code}): the bot was removed from the team, or the channel was deleted. Add the app to the team again, or choose another target.`;
    case "ConversationBlockedByUser":
      return "That person blocked the bot in their chat with it. They can unblock it in Teams, or choose a channel instead.";
    case "BotDisabledByAdmin":
      return "A Teams administrator blocked the app for this organization's tenant. Ask them to allow it in the Teams admin center (Manage apps).";
    case "MessageSizeTooBig":
      return "Teams refused the card as too large.";
    case "Throttled":
      return "Teams is limiting how fast the bot may send right now. Try again in a minute.";
    case "untrusted_service_url":
      return "This installation's Teams address is not one the bot may use. Remove the app from the team and add it again.";
    default:
      if (err.httpStatus === 401) return "Teams refused the bot's identity. An operator should check the bot registration (GET /api/admin/doctor).";
      if (err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 412) return "Teams did not answer properly (it may be having an outage). Try again in a minute.";
      return `Teams refused the request (${err.httpStatus} ${err.code}).`;
  }
}
