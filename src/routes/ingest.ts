import { Hono } from "hono";
import type { AppEnv } from "../env";
import { getDb } from "../db/client";
import { NotFoundError, UnauthorizedError } from "../errors";
import { bearerToken } from "../http/bearer";
import { readJsonObject } from "../http/json-body";
import { validate } from "../http/validate";
import { acceptEvents } from "../ingest/accept";
import { projectForIngestKey } from "../ingest/key-cache";
import { ingestEventSchema, toNormalizedEvent } from "../issues/ingest-schema";

export const INGEST_MAX_BYTES = 200 * 1024;

/**
 * POST /api/projects/{projectId}/events — Bearer <project ingest key>, one JSON event. Checks in order: key (401),
 * body (413/400), the project's rate limit shared with the Sentry routes (429 with Retry-After and
 * X-Sentry-Rate-Limits), then the event goes to the EVENTS queue and the answer `{"id": …}` comes before it is
 * written (the issue appears when the consumer has counted it). A refused request writes nothing but, past
 * validation, its rate-limit count.
 */
export const ingestRoutes = new Hono<AppEnv>();

ingestRoutes.post("/:projectId/events", async (c) => {
  const projectId = Number(c.req.param("projectId"));
  if (!Number.isSafeInteger(projectId) || projectId <= 0) throw new NotFoundError("No such project.");
  const key = bearerToken(c.req.header("authorization"));
  if (!key) throw new UnauthorizedError("Send the project's ingest key as `Authorization: Bearer <key>`.", "missing_key");
  const db = getDb(c.env.DB);
  const project = await projectForIngestKey(c.env, db, key);
  // A key of another project is as wrong as no key: 401 either way, and nothing about other projects leaks.
  if (!project || project.id !== projectId) throw new UnauthorizedError("The ingest key is not valid for this project.", "invalid_key");
  const body = validate(ingestEventSchema, await readJsonObject(c, INGEST_MAX_BYTES));
  const now = Date.now();
  const event = toNormalizedEvent(body, now);
  await acceptEvents(c.env, db, c.executionCtx, project, [event], now);
  return c.json({ id: event.eventId });
});
