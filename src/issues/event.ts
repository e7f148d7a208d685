/**
 * The event as the ingest pipeline sees it, after the wire format (our JSON API, Sentry envelopes) has been
 * parsed and validated at the edge. Every string here is already capped in length.
 */
export type StackFrame = {
  filename?: string;
  module?: string;
  function?: string;
  lineno?: number;
  inApp?: boolean;
  /** Source around the line, when the SDK sent it (Sentry's context_line / pre_context / post_context). */
  contextLine?: string;
  preContext?: string[];
  postContext?: string[];
  /** Local variables as the SDK serialised them (values as text). */
  vars?: Record<string, string>;
};

export type Breadcrumb = { timestamp?: number; category?: string; level?: string; message?: string };

/** The HTTP request an event happened in: method, URL without its query, a few harmless headers. */
export type EventRequest = { method?: string; url?: string; headers?: Record<string, string> };

export type ExceptionValue = {
  type: string;
  value?: string;
  stacktrace?: { frames: StackFrame[] };
};

export type EventLevel = "debug" | "info" | "warning" | "error" | "fatal";
export const EVENT_LEVELS: readonly EventLevel[] = ["debug", "info", "warning", "error", "fatal"];

export type NormalizedEvent = {
  /** 32 lowercase hex chars (uuid without dashes); generated when the sender gave none. */
  eventId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  level: EventLevel;
  message?: string;
  exceptions: ExceptionValue[];
  /** Explicit fingerprint; the token "{{ default }}" stands for the default grouping. */
  fingerprint?: string[];
  release?: string;
  environment?: string;
  tags: Record<string, string>;
  user?: { id?: string; email?: string; username?: string; ipAddress?: string };
  /** Optional extra context kept with the event payload (bounded). */
  contexts?: Record<string, unknown>;
  /** What happened before (the newest last), when the SDK sent breadcrumbs. */
  breadcrumbs?: Breadcrumb[];
  request?: EventRequest;
  /** Culprit / transaction as sent by an SDK, if any. */
  culprit?: string;
  /** Which API the event came through. */
  platform?: string;
};
