/**
 * The EVENTS queue's wire format: one accepted event, validated and grouped at the edge (grouping is pure — it
 * needs no D1 — so the consumer gets the fingerprint and never re-derives it from a slimmed event).
 */
import type { NormalizedEvent } from "../issues/event";
import type { GroupingResult } from "../issues/grouping";

export type IngestMessage = {
  v: 1;
  projectId: number;
  /** Epoch ms when the edge accepted it. */
  receivedAt: number;
  grouping: GroupingResult;
  event: NormalizedEvent;
};

/** Cloudflare Queues take messages up to 128 KB; this leaves room for the envelope of the message. */
export const MESSAGE_MAX_BYTES = 100 * 1024;

/**
 * The message for an event, within MESSAGE_MAX_BYTES: whole when it fits, else without contexts and breadcrumbs, then with the
 * last 20 frames per exception, then without stack traces. The fields the consumer and the rules read (id, times,
 * level, release, environment, tags, user, message) are always kept; they are capped at the edge.
 */
export function ingestMessage(projectId: number, receivedAt: number, grouping: GroupingResult, event: NormalizedEvent): IngestMessage {
  const candidates: NormalizedEvent[] = [
    event,
    { ...event, contexts: undefined, breadcrumbs: undefined },
    { ...event, contexts: undefined, breadcrumbs: undefined, exceptions: event.exceptions.map((e) => ({ ...e, stacktrace: e.stacktrace && { frames: e.stacktrace.frames.slice(-20) } })) },
    { ...event, contexts: undefined, breadcrumbs: undefined, exceptions: event.exceptions.map((e) => ({ type: e.type, value: e.value })) },
  ];
  for (const candidate of candidates) {
    const message: IngestMessage = { v: 1, projectId, receivedAt, grouping, event: candidate };
    if (JSON.stringify(message).length <= MESSAGE_MAX_BYTES) return message;
  }
  return { v: 1, projectId, receivedAt, grouping, event: { ...candidates[3], exceptions: [], message: event.message?.slice(0, 4096) } };
}

/** A queue body as an IngestMessage, or null when it is not one (kept as a dead letter, never guessed at). */
export function parseIngestMessage(body: unknown): IngestMessage | null {
  if (!body || typeof body !== "object") return null;
  const m = body as Partial<IngestMessage>;
  if (m.v !== 1 || !Number.isSafeInteger(m.projectId) || typeof m.receivedAt !== "number") return null;
  if (!m.grouping || typeof m.grouping.hash !== "string" || !m.event || typeof m.event.eventId !== "string") return null;
  if (typeof m.event.timestamp !== "number" || !Array.isArray(m.event.exceptions) || typeof m.event.tags !== "object") return null;
  return m as IngestMessage;
}
