/**
 * The ingest API's JSON event (POST /api/projects/{projectId}/events) → NormalizedEvent. Validation names the
 * offending field; stored strings are capped.
 */
import * as z from "zod"; // namespace import: `{ z }` keeps every locale in the bundle (+67 KB gzip)
import { ValidationError } from "../errors";
import { EVENT_LEVELS, type EventLevel, type NormalizedEvent } from "./event";

const cap = (max: number) => z.string().transform((s) => (s.length > max ? `${s.slice(0, max - 1)}…` : s));

const frameSchema = z.object({
  filename: cap(300).optional(),
  module: cap(300).optional(),
  function: cap(300).optional(),
  lineno: z.number().int().nonnegative().optional(),
  in_app: z.boolean().optional(),
});

const exceptionSchema = z.object({
  type: z.string().min(1, "must not be empty").transform((s) => s.slice(0, 200)),
  value: cap(4096).optional(),
  stacktrace: z.object({ frames: z.array(frameSchema).max(250) }).optional(),
});

const eventSchema = z
  .object({
    event_id: z
      .string()
      .regex(/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, "must be 32 hex characters or a UUID")
      .optional(),
    timestamp: z.union([z.number().finite().nonnegative(), z.string()]).optional(),
    level: z.enum(["debug", "info", "warning", "error", "fatal", "warn", "critical"]).optional(),
    message: cap(8192).optional(),
    exception: z
      .union([z.object({ values: z.array(exceptionSchema).max(20) }), z.array(exceptionSchema).max(20)])
      .optional(),
    fingerprint: z.array(z.string().max(500)).min(1).max(50).optional(),
    release: z.string().min(1).max(200).optional(),
    environment: z.string().min(1).max(64).optional(),
    tags: z.record(z.string().max(32), z.string().max(200)).optional(),
    user: z
      .object({
        id: z.union([z.string(), z.number()]).transform(String).optional(),
        email: z.string().max(320).optional(),
        username: z.string().max(200).optional(),
        ip_address: z.string().max(64).optional(),
      })
      .optional(),
  })
  .refine((e) => e.message !== undefined || e.exception !== undefined, {
    message: "an event needs a message or an exception",
    path: ["message"],
  });

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
