/**
 * Typed failures of Connector calls (docs/bot-transport.md, "Rate limits and errors"). Callers branch on the
 * class or on `code`:
 *  - `terminal`: retrying the same call cannot succeed (don't requeue it);
 *  - `disablesTarget`: the conversation cannot be reached any more (blocked, bot removed, disabled by an
 *    admin, conversation gone, bot not registered) — disable the alert target and report why.
 * Messages are ours; Microsoft's error text is never copied into them.
 * If one escapes to app.onError it becomes a 502 with `code` as the error code.
 */
import { AppError } from "../errors";

export class ConnectorError extends AppError {
  readonly status = 502;
  readonly terminal: boolean;
  readonly disablesTarget: boolean;
  constructor(
    message: string,
    /** Teams' error code (e.g. ConversationBlockedByUser) or one of ours (connector_http_400, ...). */
    readonly code: string,
    /** The Connector's HTTP status (0 for a network failure or timeout). */
    readonly httpStatus: number,
    opts: { terminal: boolean; disablesTarget?: boolean },
  ) {
    super(message);
    // A fixed name: the bundle is minified without keeping class names; `code` says which failure it was.
    this.name = "ConnectorError";
    this.terminal = opts.terminal;
    this.disablesTarget = opts.disablesTarget ?? false;
  }
}

/** 403 ConversationBlockedByUser: the user blocked the bot in a 1:1 chat. */
export class ConversationBlockedByUserError extends ConnectorError {
  constructor() {
    super("The user has blocked the bot in this conversation.", "ConversationBlockedByUser", 403, { terminal: true, disablesTarget: true });
  }
}

/** 403 BotNotInConversationRoster: the bot was removed from the team or chat. */
export class BotNotInConversationRosterError extends ConnectorError {
  constructor() {
    super("The bot is no longer a member of this conversation.", "BotNotInConversationRoster", 403, { terminal: true, disablesTarget: true });
  }
}

/** 403 BotDisabledByAdmin: the tenant admin blocked the app. */
export class BotDisabledByAdminError extends ConnectorError {
  constructor() {
    super("A Teams administrator has disabled the bot for this tenant.", "BotDisabledByAdmin", 403, { terminal: true, disablesTarget: true });
  }
}

/** 404 ConversationNotFound: the conversation (chat, channel) does not exist any more. */
export class ConversationNotFoundError extends ConnectorError {
  constructor() {
    super("The conversation does not exist (deleted, or the bot was never in it).", "ConversationNotFound", 404, { terminal: true, disablesTarget: true });
  }
}

/** 413 MessageSizeTooBig: the activity is over Teams' size limit; the target is fine, the message is not. */
export class MessageSizeTooBigError extends ConnectorError {
  constructor() {
    super("The message is larger than Teams accepts.", "MessageSizeTooBig", 413, { terminal: true });
  }
}

/** 401 after a fresh token too (BotNotRegistered and friends): the bot's registration or app id is wrong. */
export class BotNotRegisteredError extends ConnectorError {
  constructor(code = "BotNotRegistered") {
    super("The Connector refused the bot's token: check the bot registration and MICROSOFT_APP_ID.", code, 401, { terminal: true, disablesTarget: false });
  }
}

/** Any other 4xx (bad request, forbidden or missing resource with an unlisted code): retrying will not help. */
export class ConnectorRequestError extends ConnectorError {
  constructor(httpStatus: number, code: string) {
    super(`The Connector refused the request (HTTP ${httpStatus}, ${code}).`, code, httpStatus, { terminal: true });
  }
}

/** Still throttled (429) after the allowed retries; `retryAfterMs` says when to try again, if known. */
export class ConnectorThrottledError extends ConnectorError {
  constructor(readonly retryAfterMs: number | null) {
    super("Teams is throttling the bot; try again later.", "Throttled", 429, { terminal: false });
  }
}

/** 412/5xx, network failure or timeout after the allowed retries: a later retry may succeed. */
export class ConnectorUnavailableError extends ConnectorError {
  constructor(httpStatus: number) {
    super(
      httpStatus ? `The Connector failed (HTTP ${httpStatus}); try again later.` : "The Connector could not be reached; try again later.",
      httpStatus ? `connector_http_${httpStatus}` : "connector_unreachable",
      httpStatus,
      { terminal: false },
    );
  }
}

/** The serviceUrl is not one we may send the bot's token to (not https, credentials in it, ...). */
export class UntrustedServiceUrlError extends ConnectorError {
  constructor() {
    super("Refusing to call a serviceUrl that is not an https URL from a verified activity.", "untrusted_service_url", 0, { terminal: true });
  }
}

const TEAMS_CODES = new Map<string, () => ConnectorError>([
  ["ConversationBlockedByUser", () => new ConversationBlockedByUserError()],
  ["BotNotInConversationRoster", () => new BotNotInConversationRosterError()],
  ["BotDisabledByAdmin", () => new BotDisabledByAdminError()],
  ["ConversationNotFound", () => new ConversationNotFoundError()],
  ["MessageSizeTooBig", () => new MessageSizeTooBigError()],
]);

/** The typed error for a non-retryable Connector answer, from its status and `{error:{code}}` body. */
export function connectorErrorFor(httpStatus: number, teamsCode: string | null): ConnectorError {
  const known = teamsCode ? TEAMS_CODES.get(teamsCode) : undefined;
  if (known) return known();
  if (httpStatus === 413) return new MessageSizeTooBigError();
  if (httpStatus === 401) return new BotNotRegisteredError(teamsCode ?? "BotNotRegistered");
  return new ConnectorRequestError(httpStatus, teamsCode ?? `connector_http_${httpStatus}`);
}
