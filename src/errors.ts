/**
 * One error class per failure. Each carries its HTTP status and a stable code; `app.onError` maps them to
 * `{error:{code,message}}` JSON. Messages are written for the caller: never upstream text or secrets.
 */
export abstract class AppError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 502 | 503;
  abstract readonly code: string;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/** The request body or a field in it is invalid; the message names the field. */
export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = "invalid_request";
}

/** The body is not parseable JSON (or not a JSON object). */
export class MalformedBodyError extends AppError {
  readonly status = 400;
  readonly code = "malformed_body";
}

/** Credentials missing or wrong. */
export class UnauthorizedError extends AppError {
  readonly status = 401;
  constructor(
    message: string,
    readonly code: string = "unauthorized",
  ) {
    super(message);
  }
}

/** Authenticated, but not allowed to touch this resource. */
export class ForbiddenError extends AppError {
  readonly status = 403;
  constructor(
    message: string,
    readonly code: string = "forbidden",
  ) {
    super(message);
  }
}

/** The thing named does not exist (or is not visible to the caller). */
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = "not_found";
}

/** HTTP method not allowed on this route. */
export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = "method_not_allowed";
}

/** The change conflicts with the current state (invalid transition, duplicate slug, ...). */
export class ConflictError extends AppError {
  readonly status = 409;
  constructor(
    message: string,
    readonly code: string = "conflict",
  ) {
    super(message);
  }
}

/** An issue state transition that is not allowed from the current state. */
export class InvalidTransitionError extends AppError {
  readonly status = 409;
  readonly code = "invalid_transition";
}

/** The request body is larger than the route accepts. */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = "payload_too_large";
}

/** The request body uses a Content-Encoding (or content type) this route cannot decode. */
export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = "unsupported_media_type";
}

/** Too many requests; Retry-After says when to come back. */
export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code = "rate_limited";
  constructor(message: string, retryAfterSeconds: number, extraHeaders: Record<string, string> = {}) {
    super(message);
    this.headers = { "Retry-After": String(retryAfterSeconds), ...extraHeaders };
  }
}

/** A required setting (secret or var) is missing; the message says which and how to set it. */
export class NotConfiguredError extends AppError {
  readonly status = 503;
  readonly code = "not_configured";
}

/** Microsoft's token endpoint refused the bot's credentials (invalid_client, ...): a configuration error, not retried. */
export class BotCredentialsRejectedError extends AppError {
  readonly status = 503;
  readonly code = "bot_credentials_rejected";
}

/** The bot's access token could not be obtained (5xx, timeouts) after bounded retries; try again later. */
export class BotTokenUnavailableError extends AppError {
  readonly status = 502;
  readonly code = "bot_token_unavailable";
}
