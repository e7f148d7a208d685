import { Hono, type Context, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";
import { getDb } from "../db/client";
import type { ProjectRow } from "../db/projects";
import { AppError, NotFoundError } from "../errors";
import { acceptEvents } from "../ingest/accept";
import { projectForIngestKey } from "../ingest/key-cache";
import { authenticateProject, sentryKeyFromEnvelopeDsn, sentryKeyFromRequest } from "../sentry/auth";
import { contentCodingOf, decodeBody, DecodeBudget, decodeFirstLine, ENVELOPE_HEADER_MAX_BYTES, readRawSentryBody } from "../sentry/body";
import { parseEnvelope, parseJsonObject } from "../sentry/envelope";
import { submissionFromEnvelope, submissionFromStoreBody, type Submission } from "../sentry/submission";

/**
 * Sentry SDK endpoints: POST /api/:projectId/envelope/ and /api/:projectId/store/ (with or without the trailing
 * slash). Order of checks: key from header/query (401/403 before reading the body), the one content coding (415),
 * the wire size (413); for an envelope with no key so far, its first line alone is decoded (at most 16 KB) for the
 * DSN's key (401/403); only then the whole body is decoded (413/400), the envelope parsed (400) and the rate limit
 * applied (429) — so an unauthenticated request costs a lookup and a few KB of decoding, and a malformed or
 * unauthenticated request writes nothing, not even a rate-limit count. The event then goes to the EVENTS queue
 * (src/ingest/accept.ts) and the answer `{"id": …}` comes before it is written.
 */
export const sentryRoutes = new Hono<AppEnv>();

// Browser SDKs post cross-origin (auth in the query string, text/plain body); answer preflights too, for
// tunnels and custom transports that add headers. Same policy as Sentry's own ingest.
const sentryCors = cors({
  origin: "*",
  allowMethods: ["POST", "OPTIONS"],
  allowHeaders: [
    "content-type",
    "content-encoding",
    "x-sentry-auth",
    "authorization",
    "x-requested-with",
    "sentry-trace",
    "baggage",
  ],
  exposeHeaders: ["x-sentry-error", "x-sentry-rate-limits", "retry-after"],
  maxAge: 3600,
});

/** Sentry SDKs log `X-Sentry-Error` when a request is refused; our messages are our own, never secrets. */
const sentryErrorHeader: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  // Header values must be plain ASCII; a stray character must not turn a clear 4xx into a 500.
  if (c.error instanceof AppError) c.header("X-Sentry-Error", c.error.message.replace(/[^\x20-\x7e]/g, "?").slice(0, 300));
};

for (const path of ["/:projectId/envelope/", "/:projectId/envelope", "/:projectId/store/", "/:projectId/store"]) {
  sentryRoutes.use(path, sentryCors, sentryErrorHeader);
}

sentryRoutes.post("/:projectId/envelope/", envelopeHandler);
sentryRoutes.post("/:projectId/envelope", envelopeHandler);
sentryRoutes.post("/:projectId/store/", storeHandler);
sentryRoutes.post("/:projectId/store", storeHandler);

async function envelopeHandler(c: Context<AppEnv>) {
  const projectId = pathProjectId(c);
  const lookup = keyLookup(c);
  const headerKey = sentryKeyFromRequest(c.req.raw.headers, new URL(c.req.url));
  let project = headerKey ? await authenticateProject(lookup, headerKey, projectId) : null;
  const coding = contentCodingOf(c.req.header("content-encoding") ?? null);
  const raw = await readRawSentryBody(c.req.raw);
  // A tunnel's key is in the envelope header: read that line only, so an unauthenticated body is never inflated.
  project ??= await authenticateProject(lookup, await envelopeDsnKey(raw, coding), projectId);

  const envelope = parseEnvelope(await decodeBody(raw, coding, new DecodeBudget()));
  const now = Date.now();
  const submission = submissionFromEnvelope(envelope, { now, clientIp: c.req.header("cf-connecting-ip") });
  return accept(c, project, submission, now);
}

/** The public key of the DSN in the envelope's header line, or null when the first line holds none. */
async function envelopeDsnKey(raw: Uint8Array, coding: ReturnType<typeof contentCodingOf>): Promise<string | null> {
  const line = await decodeFirstLine(raw, coding, ENVELOPE_HEADER_MAX_BYTES);
  if (!line) return null;
  try {
    return sentryKeyFromEnvelopeDsn(parseJsonObject(line, "envelope header").dsn);
  } catch {
    return null; // not an envelope header: no key there (the 401 says how to send one)
  }
}

async function storeHandler(c: Context<AppEnv>) {
  const projectId = pathProjectId(c);
  const project = await authenticateProject(keyLookup(c), sentryKeyFromRequest(c.req.raw.headers, new URL(c.req.url)), projectId);
  const coding = contentCodingOf(c.req.header("content-encoding") ?? null);
  const budget = new DecodeBudget();
  const body = await decodeBody(await readRawSentryBody(c.req.raw), coding, budget);
  const now = Date.now();
  const submission = await submissionFromStoreBody(body, budget, { now, clientIp: c.req.header("cf-connecting-ip") });
  return accept(c, project, submission, now);
}

async function accept(c: Context<AppEnv>, project: ProjectRow, submission: Submission, now: number) {
  await acceptEvents(c.env, getDb(c.env.DB), c.executionCtx, project, submission.events, now);
  // Sentry answers {"id": …} when the submission had an event id, `{}` otherwise (e.g. sessions only).
  return c.json(submission.id ? { id: submission.id } : {});
}

function keyLookup(c: Context<AppEnv>) {
  const db = getDb(c.env.DB);
  return (key: string) => projectForIngestKey(c.env, db, key);
}

function pathProjectId(c: Context<AppEnv>): number {
  const raw = c.req.param("projectId") ?? "";
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new NotFoundError("No such project: the path must be /api/<numeric project id>/envelope/.");
  }
  return id;
}
