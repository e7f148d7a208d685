import { Hono, type Context, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../app";
import { getDb } from "../db/client";
import type { ProjectRow } from "../db/projects";
import { AppError, NotFoundError } from "../errors";
import { alertingHook } from "../alerts/after-ingest";
import { ingestEvent } from "../issues/ingest";
import { authenticateProject, sentryKeyFromEnvelopeDsn, sentryKeyFromRequest } from "../sentry/auth";
import { MAX_DECOMPRESSED_BYTES, readSentryBody } from "../sentry/body";
import { parseEnvelope } from "../sentry/envelope";
import { enforceProjectRateLimit } from "../sentry/rate-limit";
import { submissionFromEnvelope, submissionFromStoreBody, type Submission } from "../sentry/submission";

/**
 * Sentry SDK endpoints: POST /api/:projectId/envelope/ and /api/:projectId/store/ (with or without the trailing
 * slash). Order of checks: key from header/query (401/403 before reading the body), body limits and
 * decoding (413/415/400), envelope format (400), key from the envelope DSN when none came before, then the rate
 * limit (429) — so a malformed or unauthenticated request writes nothing, not even a rate-limit count.
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
  const db = getDb(c.env.DB);
  const headerKey = sentryKeyFromRequest(c.req.raw.headers, new URL(c.req.url));
  let project = headerKey ? await authenticateProject(db, headerKey, projectId) : null;

  const envelope = parseEnvelope(await readSentryBody(c.req.raw));
  project ??= await authenticateProject(db, sentryKeyFromEnvelopeDsn(envelope.headers.dsn), projectId);

  const now = Date.now();
  const submission = submissionFromEnvelope(envelope, { now, clientIp: c.req.header("cf-connecting-ip") });
  return accept(c, project, submission, now);
}

async function storeHandler(c: Context<AppEnv>) {
  const projectId = pathProjectId(c);
  const db = getDb(c.env.DB);
  const project = await authenticateProject(db, sentryKeyFromRequest(c.req.raw.headers, new URL(c.req.url)), projectId);
  const body = await readSentryBody(c.req.raw);
  const now = Date.now();
  const submission = await submissionFromStoreBody(body, MAX_DECOMPRESSED_BYTES, {
    now,
    clientIp: c.req.header("cf-connecting-ip"),
  });
  return accept(c, project, submission, now);
}

async function accept(c: Context<AppEnv>, project: ProjectRow, submission: Submission, now: number) {
  const db = getDb(c.env.DB);
  await enforceProjectRateLimit(db, project, submission.events.length, now);
  for (const event of submission.events) {
    await ingestEvent(db, project, event, { now: Date.now, afterIngest: alertingHook(c.env, c.executionCtx) });
  }
  // Sentry answers {"id": …} when the submission had an event id, `{}` otherwise (e.g. sessions only).
  return c.json(submission.id ? { id: submission.id } : {});
}

function pathProjectId(c: Context<AppEnv>): number {
  const raw = c.req.param("projectId") ?? "";
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new NotFoundError("No such project: the path must be /api/<numeric project id>/envelope/.");
  }
  return id;
}
