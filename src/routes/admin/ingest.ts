import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { getDb } from "../../db/client";
import { listDropCounts } from "../../db/dropped-events";
import { listIngestDeadLetters } from "../../db/ingest-dead-letters";
import { findCountedEvent } from "../../db/ingest-batch";
import { NotFoundError } from "../../errors";
import { requireProject } from "./lookups";
import { idParam } from "./request";

/** What happened to accepted events: where one was counted, and what a project's ingest refused or could not count. */
export const ingestAdminRoutes = new Hono<AppEnv>();

const DAY_MS = 24 * 60 * 60 * 1000;

/** An accepted event once the EVENTS consumer counted it (404 while it is still queued). */
ingestAdminRoutes.get("/events/:eventId", async (c) => {
  const eventId = c.req.param("eventId").toLowerCase().replace(/-/g, "");
  const found = /^[0-9a-f]{32}$/.test(eventId) ? await findCountedEvent(getDb(c.env.DB), eventId) : null;
  if (!found) throw new NotFoundError("No counted event with that id (an accepted event is counted within seconds).");
  return c.json(found);
});

/**
 * The project's dropped events of the last 24 hours per reason (refused with 429 over its rate limit) and per
 * minute, and its dead letters (accepted but not counted, with the reason) — Sentry's client outcomes, server side —
 * and its ingest buffer: events waiting for the next flush, and the flushes' totals (events, D1 statements).
 */
ingestAdminRoutes.get("/projects/:id/outcomes", async (c) => {
  const db = getDb(c.env.DB);
  const project = await requireProject(db, idParam(c, "id"));
  const since = Date.now() - DAY_MS;
  const [minutes, deadLetters, buffer] = await Promise.all([
    listDropCounts(db, project.id, since, 1440),
    listIngestDeadLetters(db, project.id, 100),
    c.env.INGEST_BUFFER.get(c.env.INGEST_BUFFER.idFromName(String(project.id))).stats(),
  ]);
  const dropped: Record<string, number> = {};
  for (const m of minutes) dropped[m.reason] = (dropped[m.reason] ?? 0) + m.count;
  return c.json({ projectId: project.id, since, dropped, minutes, deadLetters, buffer });
});
