import { Hono } from "hono";
import type { AppEnv } from "../app";
import { getDb } from "../db/client";
import { findProjectByIngestKey } from "../db/projects";
import { NotFoundError, UnauthorizedError } from "../errors";
import { bearerToken } from "../http/bearer";
import { readJsonObject } from "../http/json-body";
import { validate } from "../http/validate";
import { ingestEvent } from "../issues/ingest";
import { ingestEventSchema, toNormalizedEvent } from "../issues/ingest-schema";
import { alertingHook } from "../alerts/after-ingest";
import { enforceProjectRateLimit } from "../ingest/rate-limit";

export const INGEST_MAX_BYTES = 200 * 1024;

/**
 * POST /api/projects/{projectId}/events — Bearer <project ingest key>, one JSON event. Checks in order: key (401),
 * body (413/400), the project's rate limit shared with the Sentry routes (429 with Retry-After and
 * X-Sentry-Rate-Limits), then ingest — a refused request writes nothing but, past validation, its rate-limit count.
 */
export const ingestRoutes = new Hono<AppEnv>();

ingestRoutes.post("/:projectId/events", async (c) => {
  const projectId = Number(c.req.param("projectId"));
  if (!Number.isSafeInteger(projectId) || projectId <= 0) throw new NotFoundError("No such project.");
  const key = bearerToken(c.req.header("authorization"));
  if (!key) throw new UnauthorizedError("Send the project's ingest key as `Authorization: Bearer <key>`.", "missing_key");
  const db = getDb(c.env.DB);
  const project = await findProjectByIngestKey(db, key);
  // A key of another project is as wrong as no key: 401 either way, and nothing about other projects leaks.
  if (!project || project.id !== projectId) throw new UnauthorizedError("The ingest key is not valid for this project.", "invalid_key");
  const body = validate(ingestEventSchema, await readJsonObject(c, INGEST_MAX_BYTES));
  const now = Date.now();
  await enforceProjectRateLimit(db, project, 1, now);
  const event = toNormalizedEvent(body, now);
  const outcome = await ingestEvent(db, project, event, { now: Date.now, afterIngest: alertingHook(c.env, c.executionCtx) });
  return c.json({
    id: outcome.id,
    groupId: outcome.groupId,
    shortId: outcome.shortId,
    isNew: outcome.isNew,
    isRegression: outcome.isRegression,
  });
});
