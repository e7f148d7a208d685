/**
 * What a Sentry request contributes: the error events of an envelope (or of a legacy store body), mapped to
 * NormalizedEvent. Everything else an SDK sends — transactions, sessions, client reports, attachments,
 * check-ins, profiles, replays, metrics, spans, logs, any type invented later — is accepted and dropped, so SDKs
 * never see an error for data we do not keep (and never retry it).
 */
import { MalformedBodyError } from "../errors";
import type { NormalizedEvent } from "../issues/event";
import { decodeLegacyStoreBody, type DecodeBudget } from "./body";
import { parseJsonObject, type Envelope } from "./envelope";
import { eventId, isErrorEventPayload, mapSentryEvent, type MapOptions } from "./map-event";

export type Submission = {
  /** Error/message events to ingest (an envelope carries at most one). */
  events: NormalizedEvent[];
  /** The id Sentry would answer with: the event's, else the envelope header's; null if neither. */
  id: string | null;
};

/** Item types that carry an error or message event. */
export const EVENT_ITEM_TYPES: ReadonlySet<string> = new Set(["event"]);

export function submissionFromEnvelope(envelope: Envelope, opts: Omit<MapOptions, "fallbackEventId">): Submission {
  const eventItems = envelope.items.filter((item) => EVENT_ITEM_TYPES.has(item.type));
  // Sentry rejects these too: one envelope is one event plus its attachments.
  if (eventItems.length > 1) throw new MalformedBodyError("An envelope carries at most one event item.");
  const events: NormalizedEvent[] = [];
  for (const item of eventItems) {
    const payload = parseJsonObject(item.payload, "event item payload");
    if (!isErrorEventPayload(payload)) continue;
    events.push(mapSentryEvent(payload, { ...opts, fallbackEventId: envelope.headers.event_id }));
  }
  return { events, id: events[0]?.eventId ?? eventId(envelope.headers.event_id) };
}

/**
 * A store-endpoint body: a JSON event, or (old raven clients) base64 of a zlib-compressed JSON event.
 * Non-error types (a transaction posted to store) are acknowledged and dropped.
 */
export async function submissionFromStoreBody(
  body: Uint8Array,
  budget: DecodeBudget,
  opts: Omit<MapOptions, "fallbackEventId">,
): Promise<Submission> {
  const json = startsWithBrace(body) ? body : await decodeLegacyStoreBody(body, budget);
  const payload = parseJsonObject(json, "event");
  if (!isErrorEventPayload(payload)) return { events: [], id: eventId(payload.event_id) };
  const event = mapSentryEvent(payload, opts);
  return { events: [event], id: event.eventId };
}

function startsWithBrace(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x7b;
  }
  return true; // empty: let the JSON parser name the problem
}
