/**
 * Sentry's event schema (https://develop.sentry.dev/sdk/data-model/event-payloads/) mapped onto our
 * NormalizedEvent. Lenient like Sentry's own normaliser: wrong-typed optional fields are dropped, not fatal;
 * only a payload that is not an event at all is rejected. Every string is capped, every list bounded.
 *
 * Order is kept as Sentry sends it — exception values outermost-last, frames oldest-first (crash last) — which
 * is the order the grouping code expects.
 */
import { ValidationError } from "../errors";
import { EVENT_LEVELS, type EventLevel, type ExceptionValue, type NormalizedEvent, type StackFrame } from "../issues/event";

export type MapOptions = {
  /** Receive time, epoch ms: the timestamp when the event has none or an implausible one. */
  now: number;
  /** The envelope header's event_id, used when the payload has none. */
  fallbackEventId?: unknown;
  /** The client's address, substituted for `user.ip_address: "{{auto}}"` as Sentry does. */
  clientIp?: string | null;
  /** Source of new event ids (32 hex chars); injected so tests can pin it. */
  newEventId?: () => string;
};

export const LIMITS = {
  shortString: 200,
  message: 8192,
  exceptionValue: 4096,
  path: 512,
  exceptions: 10,
  framesPerException: 100,
  tags: 100,
  fingerprintParts: 32,
  contextsJsonBytes: 16 * 1024,
  contextLines: 5,
  sourceLine: 256,
  frameVars: 20,
  breadcrumbs: 50,
  /** Sentry: events more than this old are stamped with the receive time. */
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
  /** Sentry: events from the future beyond this clock drift are stamped with the receive time. */
  maxFutureMs: 60 * 1000,
} as const;

export function mapSentryEvent(raw: unknown, opts: MapOptions): NormalizedEvent {
  if (!isObject(raw)) throw new ValidationError("event: expected a JSON object");
  const { exceptions, syntheticMessage } = mapExceptions(raw.exception);
  const tags = mapTags(raw.tags);
  addMechanismTags(tags, raw.exception);

  const event: NormalizedEvent = {
    eventId: eventId(raw.event_id) ?? eventId(opts.fallbackEventId) ?? (opts.newEventId ?? randomEventId)(),
    timestamp: timestamp(raw.timestamp, opts.now),
    level: level(raw.level),
    exceptions,
    tags,
  };
  const message = mapMessage(raw.logentry) ?? mapMessage(raw.message) ?? syntheticMessage;
  if (message) event.message = message;
  const fingerprint = mapFingerprint(raw.fingerprint);
  if (fingerprint) event.fingerprint = fingerprint;
  const release = str(raw.release, LIMITS.shortString);
  if (release) event.release = release;
  const environment = str(raw.environment, LIMITS.shortString);
  if (environment) event.environment = environment;
  const user = mapUser(raw.user, opts.clientIp);
  if (user) event.user = user;
  const contexts = mapContexts(raw.contexts);
  if (contexts) event.contexts = contexts;
  const breadcrumbs = mapBreadcrumbs(raw.breadcrumbs);
  if (breadcrumbs) event.breadcrumbs = breadcrumbs;
  const request = mapRequest(raw.request);
  if (request) event.request = request;
  // Sentry's order: an explicit culprit, else the transaction name, else (in grouping) the crashing frame.
  const culprit = str(raw.culprit, LIMITS.shortString) ?? str(raw.transaction, LIMITS.shortString);
  if (culprit) event.culprit = culprit;
  // `platform` names the API the event came through (ours: "api"); the SDK's own platform is not kept.
  event.platform = "sentry";
  return event;
}

/** Whether a store-endpoint payload is an error/message event (transactions and the like are dropped). */
export function isErrorEventPayload(raw: Record<string, unknown>): boolean {
  return raw.type === undefined || raw.type === null || raw.type === "error" || raw.type === "default";
}

export function randomEventId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

/** 32 lowercase hex chars from a uuid with or without dashes; anything else is not an event id. */
export function eventId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const hex = value.replace(/-/g, "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : null;
}

function timestamp(value: unknown, now: number): number {
  let ms: number | null = null;
  if (typeof value === "number" && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === "string" && value.trim()) {
    const n = Number(value);
    ms = Number.isFinite(n) ? n * 1000 : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  }
  if (ms === null || !Number.isFinite(ms)) return now;
  if (ms > now + LIMITS.maxFutureMs || ms < now - LIMITS.maxAgeMs) return now;
  return Math.round(ms);
}

const LEVEL_ALIASES: Record<string, EventLevel> = {
  warn: "warning",
  critical: "fatal",
  log: "info",
  err: "error",
  trace: "debug",
};

function level(value: unknown): EventLevel {
  if (typeof value !== "string") return "error";
  const v = value.trim().toLowerCase();
  if ((EVENT_LEVELS as readonly string[]).includes(v)) return v as EventLevel;
  return LEVEL_ALIASES[v] ?? "error";
}

/** `message` as a string, or a logentry `{formatted, message, params}` (formatted first, else filled in). */
function mapMessage(value: unknown): string | undefined {
  if (typeof value === "string") return str(value, LIMITS.message);
  if (!isObject(value)) return undefined;
  const formatted = str(value.formatted, LIMITS.message);
  if (formatted) return formatted;
  const template = typeof value.message === "string" ? value.message : undefined;
  if (!template) return undefined;
  return str(formatParams(template, value.params), LIMITS.message);
}

/** Fills `%s` (positional) or `%(name)s` (named) placeholders, as Sentry renders a logentry without `formatted`. */
function formatParams(template: string, params: unknown): string {
  if (Array.isArray(params)) {
    let i = 0;
    return template.replace(/%[sdif]/g, (m) => (i < params.length ? scalarText(params[i++]) : m));
  }
  if (isObject(params)) {
    return template.replace(/%\((\w+)\)[sdif]/g, (m, name: string) =>
      name in params ? scalarText(params[name]) : m,
    );
  }
  return template;
}

/**
 * `{values: [...]}`, or the legacy bare list, or a single exception object.
 *
 * A synthetic exception without a type is not an error: it is the stack trace an SDK attaches to a message
 * (`attachStacktrace`, on by default since SDK v10: every `captureMessage` carries one, with the message as its
 * value). It is left out so the event stays a message event, titled and grouped by its message; its value stands
 * in for the message if the event has none.
 */
function mapExceptions(value: unknown): { exceptions: ExceptionValue[]; syntheticMessage?: string } {
  const values = isObject(value) && Array.isArray(value.values) ? value.values : Array.isArray(value) ? value : isObject(value) && (value.type || value.value) ? [value] : [];
  const out: ExceptionValue[] = [];
  let syntheticMessage: string | undefined;
  // The surfaced exception is the last one; keep the newest of an over-long chain.
  for (const exc of values.slice(-LIMITS.exceptions)) {
    if (!isObject(exc)) continue;
    const type = str(exc.type, LIMITS.shortString);
    const excValue = typeof exc.value === "string" ? exc.value : exc.value == null ? undefined : scalarText(exc.value);
    if (!type && isObject(exc.mechanism) && exc.mechanism.synthetic === true) {
      syntheticMessage ??= str(excValue, LIMITS.message);
      continue;
    }
    if (!type && !excValue) continue;
    const mapped: ExceptionValue = { type: type ?? "Error" };
    const v = str(excValue, LIMITS.exceptionValue);
    if (v) mapped.value = v;
    const frames = mapFrames(exc.stacktrace);
    if (frames.length) mapped.stacktrace = { frames };
    out.push(mapped);
  }
  return { exceptions: out, syntheticMessage };
}

function mapFrames(stacktrace: unknown): StackFrame[] {
  if (!isObject(stacktrace) || !Array.isArray(stacktrace.frames)) return [];
  // Oldest first, so the frames nearest the crash are at the end: keep those when trimming.
  return stacktrace.frames.slice(-LIMITS.framesPerException).filter(isObject).map((f) => {
    const frame: StackFrame = {};
    const filename = str(f.filename, LIMITS.path) ?? str(f.abs_path, LIMITS.path);
    if (filename) frame.filename = filename;
    const module = str(f.module, LIMITS.path);
    if (module) frame.module = module;
    const fn = str(f.function, LIMITS.shortString);
    if (fn) frame.function = fn;
    if (typeof f.lineno === "number" && Number.isInteger(f.lineno) && f.lineno >= 0) frame.lineno = f.lineno;
    if (typeof f.in_app === "boolean") frame.inApp = f.in_app;
    const contextLine = typeof f.context_line === "string" ? f.context_line.slice(0, LIMITS.sourceLine) : undefined;
    if (contextLine !== undefined) {
      frame.contextLine = contextLine;
      frame.preContext = lines(f.pre_context, -LIMITS.contextLines);
      frame.postContext = lines(f.post_context, LIMITS.contextLines);
    }
    if (isObject(f.vars)) {
      const vars = Object.entries(f.vars).slice(0, LIMITS.frameVars);
      if (vars.length) frame.vars = Object.fromEntries(vars.map(([k, v]) => [k.slice(0, LIMITS.shortString), scalarText(v).slice(0, LIMITS.sourceLine)]));
    }
    return frame;
  });
}

/** Source lines around a frame: the last (negative `keep`) or first `keep` lines, each capped. */
function lines(value: unknown, keep: number): string[] {
  if (!Array.isArray(value)) return [];
  const strings = value.filter((l): l is string => typeof l === "string");
  return (keep < 0 ? strings.slice(keep) : strings.slice(0, keep)).map((l) => l.slice(0, LIMITS.sourceLine));
}

/** Breadcrumbs as a list or `{values: [...]}`; the newest are kept. */
function mapBreadcrumbs(value: unknown): NormalizedEvent["breadcrumbs"] {
  const list = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.values) ? value.values : [];
  const out = list
    .slice(-LIMITS.breadcrumbs)
    .filter(isObject)
    .map((b) => {
      const crumb: NonNullable<NormalizedEvent["breadcrumbs"]>[number] = {};
      const ts = typeof b.timestamp === "number" ? b.timestamp * 1000 : typeof b.timestamp === "string" ? Date.parse(b.timestamp) : NaN;
      if (Number.isFinite(ts)) crumb.timestamp = Math.round(ts);
      const category = str(b.category, LIMITS.shortString);
      if (category) crumb.category = category;
      const lvl = str(b.level, 20);
      if (lvl) crumb.level = lvl;
      const message = str(b.message, 1024);
      if (message) crumb.message = message;
      return crumb;
    });
  return out.length ? out : undefined;
}

/** Headers worth showing on an issue page; everything else (cookies, authorization, API keys) is never stored. */
const KEPT_REQUEST_HEADERS = new Set(["user-agent", "referer", "content-type", "accept", "accept-language", "host", "origin"]);

/** The request: method, the URL without query or fragment (they may carry secrets), a few harmless headers. */
function mapRequest(value: unknown): NormalizedEvent["request"] {
  if (!isObject(value)) return undefined;
  const request: NonNullable<NormalizedEvent["request"]> = {};
  const method = str(value.method, 16);
  if (method) request.method = method.toUpperCase();
  const url = str(value.url, LIMITS.path);
  if (url) request.url = url.split(/[?#]/)[0];
  const pairs: [string, unknown][] = Array.isArray(value.headers)
    ? value.headers.filter((p): p is unknown[] => Array.isArray(p) && p.length === 2 && typeof p[0] === "string").map((p) => [p[0] as string, p[1]])
    : isObject(value.headers)
      ? Object.entries(value.headers)
      : [];
  const headers: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const name = k.toLowerCase();
    if (KEPT_REQUEST_HEADERS.has(name) && typeof v === "string") headers[name] = v.slice(0, LIMITS.path);
  }
  if (Object.keys(headers).length) request.headers = headers;
  return Object.keys(request).length ? request : undefined;
}

/** Sentry tags every error with how it was captured; the primary (last) exception's mechanism decides. */
function addMechanismTags(tags: Record<string, string>, exception: unknown): void {
  const values = isObject(exception) && Array.isArray(exception.values) ? exception.values : [];
  const last = values[values.length - 1];
  const mechanism = isObject(last) && isObject(last.mechanism) ? last.mechanism : null;
  // A synthetic stack attached to a message is left out of the event (see mapExceptions); so are its tags.
  if (!mechanism || (mechanism.synthetic === true && isObject(last) && !last.type)) return;
  if (typeof mechanism.handled === "boolean" && tags.handled === undefined) tags.handled = mechanism.handled ? "yes" : "no";
  const type = str(mechanism.type, LIMITS.shortString);
  if (type && tags.mechanism === undefined && Object.keys(tags).length < LIMITS.tags) tags.mechanism = type;
}

/** Tags as an object or as `[[key, value], …]` pairs; values become strings, nulls are dropped. */
function mapTags(value: unknown): Record<string, string> {
  const pairs: [unknown, unknown][] = Array.isArray(value)
    ? value.filter((p): p is unknown[] => Array.isArray(p) && p.length === 2).map((p) => [p[0], p[1]])
    : isObject(value)
      ? Object.entries(value)
      : [];
  const tags: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (Object.keys(tags).length >= LIMITS.tags) break;
    const key = typeof k === "string" ? str(k, LIMITS.shortString) : undefined;
    if (!key || v === null || v === undefined || typeof v === "object") continue;
    const text = str(String(v), LIMITS.shortString);
    if (text !== undefined) tags[key] = text;
  }
  return tags;
}

function mapUser(value: unknown, clientIp: string | null | undefined): NormalizedEvent["user"] | undefined {
  if (!isObject(value)) return undefined;
  const user: NonNullable<NormalizedEvent["user"]> = {};
  const id = typeof value.id === "number" ? String(value.id) : str(value.id, LIMITS.shortString);
  if (id) user.id = id;
  const email = str(value.email, LIMITS.shortString);
  if (email) user.email = email;
  const username = str(value.username, LIMITS.shortString);
  if (username) user.username = username;
  const ip = str(value.ip_address, 64);
  const resolvedIp = ip === "{{auto}}" ? (clientIp ? str(clientIp, 64) : undefined) : ip;
  if (resolvedIp) user.ipAddress = resolvedIp;
  return Object.keys(user).length ? user : undefined;
}

/** Contexts (os, runtime, browser, …) kept whole while they fit; past the budget, later ones are left out. */
function mapContexts(value: unknown): Record<string, unknown> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  let budget = LIMITS.contextsJsonBytes;
  for (const [key, ctx] of Object.entries(value)) {
    if (!isObject(ctx)) continue;
    let json: string;
    try {
      json = JSON.stringify(ctx);
    } catch {
      continue;
    }
    const cost = key.length + json.length + 4;
    if (cost > budget) continue;
    budget -= cost;
    out[key.slice(0, LIMITS.shortString)] = ctx;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A list of strings (numbers are stringified, as Sentry does); "{{ default }}" passes through for grouping. */
function mapFingerprint(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const parts = value
    .filter((p) => typeof p === "string" || typeof p === "number" || typeof p === "boolean")
    .slice(0, LIMITS.fingerprintParts)
    .map((p) => String(p).slice(0, LIMITS.shortString));
  return parts.length ? parts : undefined;
}

function str(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  if (!s) return undefined;
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function scalarText(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
