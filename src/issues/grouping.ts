/**
 * Grouping: which issue an event belongs to, and how that issue is titled. Pure apart from hashing.
 *
 * Rules, in order: an explicit fingerprint (where "{{ default }}" expands to the default components); else the
 * exception chain's types plus in-app frames (module or filename + function — never line numbers, so the
 * same bug stays one issue across deploys); else the message with numbers and ids normalised.
 */
import type { IssueMetadata } from "../db/schema";
import type { ExceptionValue, NormalizedEvent, StackFrame } from "./event";

export type GroupingResult = {
  hash: string;
  title: string;
  culprit: string;
  type: "error" | "default";
  metadata: IssueMetadata;
};

const TITLE_MAX = 200;

export async function groupEvent(event: NormalizedEvent): Promise<GroupingResult> {
  const defaults = defaultComponents(event);
  const components = event.fingerprint?.length
    ? event.fingerprint.flatMap((part) => (isDefaultToken(part) ? defaults : [`fp:${part}`]))
    : defaults;
  const hash = await sha256Hex(JSON.stringify(components));
  return { hash, ...describe(event) };
}

function isDefaultToken(part: string): boolean {
  return /^\{\{\s*default\s*\}\}$/.test(part);
}

function defaultComponents(event: NormalizedEvent): string[] {
  if (event.exceptions.length) {
    return event.exceptions.flatMap((exc) => {
      const frames = groupingFrames(exc);
      // No frames at all: the exception type and its normalised value are all we have.
      if (!frames.length) return [`type:${exc.type}`, `value:${normaliseMessage(exc.value ?? "")}`];
      return [`type:${exc.type}`, ...frames.map((f) => `frame:${f.module || f.filename || "?"}:${f.function || "?"}`)];
    });
  }
  return [`message:${normaliseMessage(event.message ?? "")}`];
}

/** In-app frames when there are any, else all frames (as Sentry does). */
function groupingFrames(exc: ExceptionValue): StackFrame[] {
  const frames = exc.stacktrace?.frames ?? [];
  const inApp = frames.filter((f) => f.inApp === true);
  return inApp.length ? inApp : frames;
}

/**
 * Replaces the variable parts of a message so "Timeout after 30s for user 81f2…" and "Timeout after 45s for user
 * 9ab0…" group together: UUIDs, hex ids, emails, IPs, numbers.
 */
export function normaliseMessage(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g, "<email>")
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, "<ip>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]{12,}\b/gi, "<hex>")
    .replace(/\d+(?:\.\d+)?/g, "<int>")
    .replace(/\s+/g, " ")
    .trim();
}

function describe(event: NormalizedEvent): Omit<GroupingResult, "hash"> {
  // Sentry lists the chain outermost-last; the last exception is the one that surfaced.
  const exc = event.exceptions[event.exceptions.length - 1];
  if (exc) {
    const frames = exc.stacktrace?.frames ?? [];
    const crash = [...frames].reverse().find((f) => f.inApp) ?? frames[frames.length - 1];
    const value = exc.value ?? "";
    return {
      type: "error",
      title: truncateUnits(value ? `${exc.type}: ${firstLine(value)}` : exc.type, TITLE_MAX),
      culprit: truncateUnits(event.culprit ?? (crash ? culpritOf(crash) : ""), TITLE_MAX),
      metadata: compact({
        type: exc.type,
        value: truncateUnits(value, 1000),
        function: crash?.function,
        filename: crash?.filename ?? crash?.module,
      }),
    };
  }
  const message = event.message?.trim() || "<unlabeled event>";
  return {
    type: "default",
    title: truncateUnits(firstLine(message), TITLE_MAX),
    culprit: truncateUnits(event.culprit ?? "", TITLE_MAX),
    metadata: { message: truncateUnits(message, 1000) },
  };
}

function culpritOf(frame: StackFrame): string {
  const where = frame.module || frame.filename || "?";
  return frame.function ? `${where} in ${frame.function}` : where;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i === -1 ? s : s.slice(0, i);
}

/** Cuts `s` to at most `max` UTF-16 code units, ending in "…" (stored titles; cards cut by code points: cards/escape.ts). */
function truncateUnits(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === "") delete o[k];
  return o;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
