/**
 * The ingest API's JSON event (POST /api/projects/{projectId}/events) → NormalizedEvent. Validation names the
 * offending field; stored strings are capped.
 */
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import { ValidationError } from "../errors";
import { EVENT_LEVELS, type EventLevel, type NormalizedEvent } from "./event";

const cap = (max: number) =>
  z.pipe(
    z.string(),
    z.transform((s: string) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)),
  );

const frameSchema = z.object({
  filename: z.optional(cap(300)),
  module: z.optional(cap(300)),
  function: z.optional(cap(300)),
  lineno: z.optional(z.int().check(z.nonnegative())),
  in_app: z.optional(z.boolean()),
});

const exceptionSchema = z.object({
  type: z.pipe(
    z.string().check(z.minLength(1, "must not be empty")),
    z.transform((s: string) => s.slice(0, 200)),
  ),
  value: z.optional(cap(4096)),
  stacktrace: z.optional(z.object({ frames: z.array(frameSchema).check(z.maxLength(250)) })),
});

const eventSchema = z
  .object({
    event_id: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
            "must be 32 hex characters or a UUID",
          ),
        ),
    ),
    // z.number() already refuses Infinity and NaN (classic's `.finite()` was a no-op).
    timestamp: z.optional(z.union([z.number().check(z.nonnegative()), z.string()])),
    level: z.optional(z.enum(["debug", "info", "warning", "error", "fatal", "warn", "critical"])),
    message: z.optional(cap(8192)),
    exception: z.optional(
      z.union([
        z.object({ values: z.array(exceptionSchema).check(z.maxLength(20)) }),
        z.array(exceptionSchema).check(z.maxLength(20)),
      ]),
    ),
    fingerprint: z.optional(z.array(z.string().check(z.maxLength(500))).check(z.minLength(1), z.maxLength(50))),
    release: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    tags: z.optional(z.record(z.string().check(z.maxLength(32)), z.string().check(z.maxLength(200)))),
    user: z.optional(
      z.object({
        id: z.optional(z.pipe(z.union([z.string(), z.number()]), z.transform(String))),
        email: z.optional(z.string().check(z.maxLength(320))),
        username: z.optional(z.string().check(z.maxLength(200))),
        ip_address: z.optional(z.string().check(z.maxLength(64))),
      }),
    ),
  })
  .check(
    z.refine((e) => e.message !== undefined || e.exception !== undefined, {
      message: "an event needs a message or an exception",
      path: ["message"],
    }),
  );

export type IngestBody = z.infer<typeof eventSchema>;
export const ingestEventSchema = eventSchema;

export function toNormalizedEvent(body: IngestBody, now: number): NormalizedEvent {
  const values = body.exception ? (Array.isArray(body.exception) ? body.exception : body.exception.values) : [];
  if (body.tags && Object.keys(body.tags).length > 50) throw new ValidationError("tags: at most 50 tags.");
  return {
    eventId: body.event_id ? body.event_id.replace(/-/g, "").toLowerCase() : crypto.randomUUID().replace(/-/g, ""),
    timestamp: parseTimestamp(body.timestamp, now),
    level: normaliseLevel(body.level),
    message: body.message,
    exceptions: values.map((v) => ({
      type: v.type,
      value: v.value,
      stacktrace: v.stacktrace
        ? {
            frames: v.stacktrace.frames.map((f) => ({
              filename: f.filename,
              module: f.module,
              function: f.function,
              lineno: f.lineno,
              inApp: f.in_app,
            })),
          }
        : undefined,
    })),
    fingerprint: body.fingerprint,
    release: body.release,
    environment: body.environment,
    tags: body.tags ?? {},
    user: body.user
      ? { id: body.user.id, email: body.user.email, username: body.user.username, ipAddress: body.user.ip_address }
      : undefined,
    platform: "api",
  };
}

export function normaliseLevel(level: string | undefined): EventLevel {
  if (!level) return "error";
  if (level === "warn") return "warning";
  if (level === "critical") return "fatal";
  return (EVENT_LEVELS as readonly string[]).includes(level) ? (level as EventLevel) : "error";
}

/** Seconds or milliseconds since the epoch, or an ISO-8601 string → epoch ms; future times are clamped to now. */
export function parseTimestamp(ts: number | string | undefined, now: number): number {
  if (ts === undefined) return now;
  let ms: number;
  if (typeof ts === "number") ms = ts < 1e11 ? Math.round(ts * 1000) : Math.round(ts);
  else {
    ms = Date.parse(ts);
    if (Number.isNaN(ms)) throw new ValidationError("timestamp: not a valid ISO-8601 date-time.");
  }
  return Math.min(ms, now);
}
