/**
 * Aggregated ingest: a consumer batch of accepted events (any projects, any issues) → the issues they belong to,
 * written in one D1 batch (src/db/ingest-batch.ts) — counters by each issue's count, distinct users merged,
 * first / last seen, releases and environments, a bounded sample of whole events — then, once per issue, the state
 * machine (regression, escalation) and the alert rules.
 *
 * Exactness: an event is counted by the write that inserts its id into `event_ids`, so a redelivered message, a
 * duplicate inside a batch or a twin batch running at the same time counts nothing twice, and the counters equal
 * serial ingest of the same events (test/integration/ingest-aggregate.test.ts checks it as a property).
 */
import { alertAfterIngest, type IssueIngested } from "../alerts/after-ingest";
import type { Db } from "../db/client";
import { applyGuardedChange, findRelease, getIssue, type IssueRow } from "../db/issues";
import { ingestLookups, keepSampledEvents, reserveShortIds, writeIngestBatch, type CountedEvent, type IssueSeed, type SampledEvent } from "../db/ingest-batch";
import type { Env } from "../env";
import type { NormalizedEvent } from "../issues/event";
import { ingestTransitionChange, planBatchTransition, type IngestTransition } from "../issues/lifecycle";
import type { IngestMessage } from "./message";

/** A whole event stored per issue and batch beyond the first and a regression's: the latest (the cron keeps N). */
const PAYLOAD_MAX_BYTES = 16 * 1024;

export type Rejected = { message: IngestMessage; reason: "project_not_found" };

export type IngestBatchResult = {
  /** Per issue the batch counted something for: the issue as written and what happened to it. */
  issues: IssueIngested[];
  /** Messages that cannot be counted anywhere (their project is gone): the caller keeps them as dead letters. */
  rejected: Rejected[];
};

type IssueBatch = { projectId: number; hash: string; messages: IngestMessage[] };

export async function ingestBatch(env: Env, db: Db, messages: IngestMessage[], now: number): Promise<IngestBatchResult> {
  // The same event id twice in one batch counts once (the first); across batches event_ids decides.
  const seen = new Set<string>();
  const ordered = messages.filter((m) => !seen.has(m.event.eventId) && !!seen.add(m.event.eventId));
  if (!ordered.length) return { issues: [], rejected: [] };

  const issuesByKey = new Map<string, IssueBatch>();
  for (const m of ordered) {
    const key = `${m.projectId}\u0000${m.grouping.hash}`;
    const batch = issuesByKey.get(key) ?? { projectId: m.projectId, hash: m.grouping.hash, messages: [] };
    batch.messages.push(m);
    issuesByKey.set(key, batch);
  }
  const projectIds = [...new Set(ordered.map((m) => m.projectId))];
  const lookups = await ingestLookups(
    db,
    projectIds,
    [...issuesByKey.values()].map((b) => ({ p: b.projectId, h: b.hash })),
    [...new Map(ordered.filter((m) => m.event.release).map((m) => [`${m.projectId}\u0000${m.event.release}`, { p: m.projectId, r: m.event.release! }])).values()],
  );
  const projects = new Map(lookups.projects.map((p) => [p.id, p]));
  const existing = new Set(lookups.issues.map((g) => `${g.projectId}\u0000${g.fingerprintHash}`));
  const rejected: Rejected[] = ordered.filter((m) => !projects.has(m.projectId)).map((message) => ({ message, reason: "project_not_found" as const }));
  const batches = [...issuesByKey.entries()].filter(([, b]) => projects.has(b.projectId));
  if (!batches.length) return { issues: [], rejected };

  // New issues: short ids reserved per project in one call, then created by the write (or by a twin batch first).
  const fresh = batches.filter(([key]) => !existing.has(key)).map(([, b]) => b);
  const wants = projectIds.map((projectId) => ({ projectId, n: fresh.filter((b) => b.projectId === projectId).length })).filter((w) => w.n > 0);
  const firstNumbers = await reserveShortIds(db, wants);
  const seeds: IssueSeed[] = fresh.map((b) => {
    const project = projects.get(b.projectId)!;
    const n = firstNumbers.get(b.projectId)!;
    firstNumbers.set(b.projectId, n + 1);
    const first = b.messages[0];
    const timestamps = b.messages.map((m) => m.event.timestamp);
    return {
      projectId: b.projectId,
      hash: b.hash,
      shortId: `${project.shortIdPrefix}-${n.toString(36).toUpperCase()}`,
      title: first.grouping.title,
      culprit: first.grouping.culprit,
      level: first.event.level,
      type: first.grouping.type,
      metadata: first.grouping.metadata,
      firstSeen: Math.min(Math.min(...timestamps), first.receivedAt),
      lastSeen: Math.max(...timestamps),
      release: first.event.release ?? null,
      firstEventId: first.event.eventId,
    };
  });

  const counted: CountedEvent[] = [];
  const samples: SampledEvent[] = [];
  for (const [key, b] of batches) {
    for (const m of b.messages) counted.push(countedEvent(m, counted.length));
    if (!existing.has(key)) samples.push(sampledEvent(b.messages[0]));
    if (b.messages.length > 1 || existing.has(key)) samples.push(sampledEvent(b.messages.at(-1)!));
  }
  const token = crypto.randomUUID();
  const knownReleases = new Set(lookups.releases.map((r) => `${r.projectId}\u0000${r.version}`));
  const written = await writeIngestBatch(db, { token, now, seeds, events: counted, samples, knownReleases });

  const countedIds = new Set(written.countedEvents.map((e) => e.id));
  const releaseCreatedAt = new Map(lookups.releases.map((r) => [`${r.projectId}\u0000${r.version}`, r.createdAt]));
  const issues: IssueIngested[] = [];
  for (const issue of written.counted) {
    const b = issuesByKey.get(`${issue.projectId}\u0000${issue.fingerprintHash}`)!;
    const events = b.messages.filter((m) => countedIds.has(m.event.eventId)).map((m) => m.event);
    const isNew = issue.writeToken === token;
    const { transition, issue: after, event } = issue.status === "unresolved"
      ? { transition: { kind: "none" } as IngestTransition, issue, event: null }
      : await applyTransition(db, issue, events, (release) => releaseCreatedAt.get(`${issue.projectId}\u0000${release}`) ?? null, now);
    if (event && transition.kind === "regression") {
      // Every regression's event is kept whole (the cron's pruning spares it: its audit row names it).
      await keepSampledEvents(db, [sampledEvent(b.messages.find((m) => m.event.eventId === event.eventId)!)]);
    }
    issues.push({
      issue: after,
      events,
      trigger: event ?? events.at(-1)!,
      isNew,
      isRegression: transition.kind === "regression",
      isEscalation: transition.kind === "escalation",
    });
  }
  await alertAfterIngest(env, db, issues, (projectId) => lookups.rules.get(projectId) ?? [], now);
  return { issues, rejected };
}

/** Regression / escalation as a version-guarded change; re-planned if someone changed the issue meanwhile. */
async function applyTransition(
  db: Db,
  counted: IssueRow,
  events: NormalizedEvent[],
  releaseCreatedAt: (release: string) => number | null,
  now: number,
): Promise<{ transition: IngestTransition; issue: IssueRow; event: NormalizedEvent | null }> {
  let issue = counted;
  for (let attempt = 0; attempt < 5; attempt++) {
    const resolution = issue.resolution;
    const resolutionRelease = resolution?.kind === "inRelease" ? await findRelease(db, issue.projectId, resolution.release) : null;
    const planned = planBatchTransition(issue, { timesSeen: issue.timesSeen, usersSeen: issue.usersSeen }, events, releaseCreatedAt, resolutionRelease?.createdAt ?? null, now);
    if (!planned) return { transition: { kind: "none" }, issue, event: null };
    const change = ingestTransitionChange(planned.transition, planned.event.eventId);
    const written = await applyGuardedChange(db, { issue, changes: [change], actor: { kind: "system" }, source: "ingest", now });
    if (written) return { transition: planned.transition, issue: written.issue, event: planned.event };
    issue = (await getIssue(db, issue.id))!;
    if (issue.status === "unresolved") return { transition: { kind: "none" }, issue, event: null };
  }
  return { transition: { kind: "none" }, issue, event: null };
}

function countedEvent(m: IngestMessage, seq: number): CountedEvent {
  return {
    id: m.event.eventId,
    projectId: m.projectId,
    hash: m.grouping.hash,
    timestamp: m.event.timestamp,
    receivedAt: m.receivedAt,
    seq,
    release: m.event.release ?? null,
    environment: m.event.environment ?? null,
    userKey: userKeyOf(m.event),
  };
}

function sampledEvent(m: IngestMessage): SampledEvent {
  const e = m.event;
  return {
    id: e.eventId,
    projectId: m.projectId,
    hash: m.grouping.hash,
    timestamp: e.timestamp,
    receivedAt: m.receivedAt,
    release: e.release ?? null,
    environment: e.environment ?? null,
    level: e.level,
    message: e.message ?? "",
    tags: JSON.stringify(e.tags),
    user: e.user ? JSON.stringify(e.user) : null,
    payload: boundedPayload(e),
  };
}

function userKeyOf(event: NormalizedEvent): string | null {
  const u = event.user;
  if (!u) return null;
  if (u.id) return `id:${u.id}`;
  if (u.email) return `email:${u.email.toLowerCase()}`;
  if (u.username) return `username:${u.username}`;
  if (u.ipAddress) return `ip:${u.ipAddress}`;
  return null;
}

/** The event as stored: whole when small, else without the bulkiest parts, never over the cap. */
function boundedPayload(event: NormalizedEvent): string {
  let json = JSON.stringify(event);
  if (json.length <= PAYLOAD_MAX_BYTES) return json;
  const slim: NormalizedEvent = {
    ...event,
    contexts: undefined,
    breadcrumbs: undefined,
    exceptions: event.exceptions.map((e) => ({ ...e, stacktrace: e.stacktrace ? { frames: e.stacktrace.frames.slice(-20) } : undefined })),
  };
  json = JSON.stringify(slim);
  if (json.length <= PAYLOAD_MAX_BYTES) return json;
  return JSON.stringify({ eventId: event.eventId, truncated: true, message: event.message?.slice(0, 4096) });
}
