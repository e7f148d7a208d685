/**
 * The SQL of aggregated ingest (src/ingest/aggregate.ts): a consumer batch of events becomes one read batch and one
 * write batch whose statement count does not grow with the number of events or issues — the rows travel as one
 * JSON parameter each and SQLite's json_each spreads them (D1 allows 100 bound parameters per statement, JSON
 * has no such limit). What a batch counted is found again by its `batch_token` on `event_ids`, so counts come from
 * the rows this transaction inserted: an event id already there (a redelivery, a twin batch) counts nothing.
 */
import { sql } from "drizzle-orm";
import { activeRulesQuery } from "./alert-rules";
import { batchRead } from "./batch-read";
import type { Db } from "./client";
import { issueFromColumns, type IssueRow } from "./issues";
import { namedBatch } from "./named-batch";
import type { ProjectRow } from "./projects";
import { projects } from "./schema";

/** An issue a batch may create (ignored when the (project, fingerprint) exists). */
export type IssueSeed = {
  projectId: number;
  hash: string;
  shortId: string;
  title: string;
  culprit: string;
  level: string;
  type: string;
  metadata: unknown;
  firstSeen: number;
  lastSeen: number;
  release: string | null;
  /** The issue's first event (for the first_seen audit row). */
  firstEventId: string;
};

/** One accepted event as counted (no payload). `seq` is its place in the batch (arrival order). */
export type CountedEvent = {
  id: string;
  projectId: number;
  hash: string;
  timestamp: number;
  receivedAt: number;
  seq: number;
  release: string | null;
  environment: string | null;
  userKey: string | null;
};

/** An event kept whole (the sample: first of an issue, latest of a batch, a regression's). */
export type SampledEvent = {
  id: string;
  projectId: number;
  hash: string;
  timestamp: number;
  receivedAt: number;
  release: string | null;
  environment: string | null;
  level: string;
  message: string;
  tags: string;
  user: string | null;
  payload: string;
};

/** The project's active rules whose integration is active, as src/db/alert-rules.ts reads them. */
export type ActiveRules = Awaited<ReturnType<typeof activeRulesQuery>>;

export type IngestLookups = {
  projects: ProjectRow[];
  issues: IssueRow[];
  releases: { projectId: number; version: string; createdAt: number }[];
  /** Each project's active rules (a project not found has none). */
  rules: Map<number, ActiveRules>;
};

const GROUP_OF = (p: string, h: string) => `(select id from issues where project_id = ${p} and fingerprint_hash = ${h})`;
/** A field of the current json_each row (`value`, or `<alias>.value`). */
const j = (field: string, alias?: string) => `json_extract(${alias ? `${alias}.` : ""}value, '$.${field}')`;

/**
 * The batch's projects, its issues that exist already, the releases its events name and each project's active
 * rules: one D1 call (the rules' read is one statement per project; a flush is one project's).
 */
export async function ingestLookups(
  db: Db,
  projectIds: number[],
  keys: { p: number; h: string }[],
  releases: { p: number; r: string }[],
): Promise<IngestLookups> {
  const d1 = db.$client;
  const projectRows = batchRead(db, db.select().from(projects).where(sql`${projects.id} in (select value from json_each(${JSON.stringify(projectIds)}))`));
  const rules = projectIds.map((id) => ({ id, read: batchRead(db, activeRulesQuery(db, id)) }));
  const res = await namedBatch(d1, {
    projects: projectRows.statement,
    issues: d1.prepare(`select g.* from issues g join json_each(?) k on g.project_id = ${j("p", "k")} and g.fingerprint_hash = ${j("h", "k")}`).bind(JSON.stringify(keys)),
    releases: releases.length
      ? d1.prepare(`select project_id as projectId, version, created_at as createdAt from releases r join json_each(?) k on r.project_id = ${j("p", "k")} and r.version = ${j("r", "k")}`).bind(JSON.stringify(releases))
      : null,
    ...Object.fromEntries(rules.map((r) => [`rules:${r.id}`, r.read.statement])),
  } as Record<string, D1PreparedStatement | null>);
  return {
    projects: projectRows.read(res.projects),
    issues: res.issues.results.map(issueFromColumns),
    releases: res.releases.results as IngestLookups["releases"],
    rules: new Map(rules.map((r) => [r.id, r.read.read(res[`rules:${r.id}`])])),
  };
}

/** Reserves `n` short-id numbers of a project; the first of them (one statement per project that opens issues). */
export function reserveShortIdsStatement(db: Db, projectId: number, n: number): D1PreparedStatement {
  return db.$client
    .prepare("update projects set next_short_id = next_short_id + ? where id = ? returning next_short_id - ? as first")
    .bind(n, projectId, n);
}

export async function reserveShortIds(db: Db, wants: { projectId: number; n: number }[]): Promise<Map<number, number>> {
  if (!wants.length) return new Map();
  const res = await db.$client.batch<{ first: number }>(wants.map((w) => reserveShortIdsStatement(db, w.projectId, w.n)));
  return new Map(wants.map((w, i) => [w.projectId, res[i].results[0]?.first ?? 1]));
}

export type IngestWrite = {
  /** The issues this batch counted, every column as of the write. */
  counted: IssueRow[];
  /** The events this batch counted (the others were counted before: redeliveries). */
  countedEvents: { id: string; issueId: number }[];
};

/**
 * One D1 batch (one transaction) writing a consumer batch: issues created, event ids recorded, distinct users,
 * counters (by the number of event ids this batch inserted), releases, the sampled events and the first-seen audit
 * rows. At most seven statements whatever the batch holds; a part with nothing to write (no new issue, no user, no
 * release not yet known) is left out of the call.
 */
export async function writeIngestBatch(
  db: Db,
  input: { token: string; now: number; seeds: IssueSeed[]; events: CountedEvent[]; samples: SampledEvent[]; knownReleases: Set<string> },
): Promise<IngestWrite> {
  const d1 = db.$client;
  const { token, now } = input;
  const users = input.events.filter((e) => e.userKey).map((e) => ({ id: e.id, userKey: e.userKey }));
  const releases = distinctReleases(input.events).filter((r) => !input.knownReleases.has(`${r.p}\u0000${r.r}`));
  const res = await namedBatch(d1, {
    seeds: input.seeds.length ? d1
      .prepare(
        `insert into issues (project_id, short_id, title, culprit, level, type, metadata, status, substatus, first_seen,
           last_seen, times_seen, users_seen, first_release, last_release, fingerprint_hash, version, write_token)
         select ${j("p")}, ${j("shortId")}, ${j("title")}, ${j("culprit")}, ${j("level")}, ${j("type")}, json(${j("metadata")}),
           'unresolved', 'new', ${j("firstSeen")}, ${j("lastSeen")}, 0, 0, ${j("release")}, ${j("release")}, ${j("h")}, 0, ?
         from json_each(?) where true
         on conflict (project_id, fingerprint_hash) do nothing`,
      )
      .bind(token, JSON.stringify(input.seeds.map((s) => ({ ...s, p: s.projectId, h: s.hash, metadata: JSON.stringify(s.metadata) })))) : null,
    // RETURNING gives the rows this statement inserted: the events this batch counts (not the ones counted before).
    countedEvents: d1
      .prepare(
        `insert into event_ids (id, project_id, issue_id, timestamp, received_at, release, environment, batch_token)
         select ${j("id")}, ${j("p")}, ${GROUP_OF(j("p"), j("h"))}, ${j("timestamp")}, ${j("receivedAt")}, ${j("release")}, ${j("environment")}, ?
         from json_each(?) where true
         on conflict (id) do nothing
         returning id, issue_id as issueId`,
      )
      .bind(token, JSON.stringify(input.events.map((e) => ({ ...e, p: e.projectId, h: e.hash })))),
    users: users.length ? d1
      .prepare(
        `insert into issue_users (issue_id, user_key, first_seen)
         select e.issue_id, json_extract(k.value, '$.userKey'), ?
         from json_each(?) k join event_ids e on e.id = json_extract(k.value, '$.id') and e.batch_token = ?
         where json_extract(k.value, '$.userKey') is not null
         on conflict do nothing`,
      )
      .bind(now, JSON.stringify(users), token) : null,
    counted: d1
      .prepare(
        // "Last" is arrival order within the batch (seq), as one-by-one ingest wrote them.
        `update issues set
           times_seen = times_seen + (select count(*) from event_ids x where x.batch_token = ?1 and x.issue_id = issues.id),
           users_seen = (select count(*) from issue_users u where u.issue_id = issues.id),
           last_seen = max(last_seen, (select max(timestamp) from event_ids x where x.batch_token = ?1 and x.issue_id = issues.id)),
           first_seen = min(first_seen, (select min(timestamp) from event_ids x where x.batch_token = ?1 and x.issue_id = issues.id)),
           last_release = coalesce((select release from event_ids x join json_each(?2) k on x.id = json_extract(k.value, '$.id')
             where x.batch_token = ?1 and x.issue_id = issues.id and x.release is not null order by json_extract(k.value, '$.seq') desc limit 1), last_release),
           first_release = coalesce(first_release, (select release from event_ids x join json_each(?2) k on x.id = json_extract(k.value, '$.id')
             where x.batch_token = ?1 and x.issue_id = issues.id and x.release is not null order by json_extract(k.value, '$.seq') limit 1)),
           last_environment = coalesce((select environment from event_ids x join json_each(?2) k on x.id = json_extract(k.value, '$.id')
             where x.batch_token = ?1 and x.issue_id = issues.id and x.environment is not null order by json_extract(k.value, '$.seq') desc limit 1), last_environment),
           last_event_id = (select x.id from event_ids x join json_each(?2) k on x.id = json_extract(k.value, '$.id')
             where x.batch_token = ?1 and x.issue_id = issues.id order by json_extract(k.value, '$.seq') desc limit 1)
         where id in (select issue_id from event_ids where batch_token = ?1)
         returning *`,
      )
      .bind(token, JSON.stringify(input.events.map((e) => ({ id: e.id, seq: e.seq })))),
    releases: releases.length ? d1
      .prepare(
        `insert into releases (project_id, version, created_at)
         select distinct ${j("p")}, ${j("r")}, ? from json_each(?) where true
         on conflict do nothing`,
      )
      .bind(now, JSON.stringify(releases)) : null,
    samples: input.samples.length ? sampledEventsStatement(db, input.samples, token) : null,
    firstSeen: input.seeds.length ? d1
      .prepare(
        `insert into issue_activity (issue_id, type, actor_user_id, actor_kind, source, data, created_at)
         select g.id, 'first_seen', null, 'system', 'ingest', json_object('eventId', ${j("firstEventId", "k")}), ?
         from json_each(?) k join issues g on g.project_id = ${j("p", "k")} and g.fingerprint_hash = ${j("h", "k")}
         where g.write_token = ?`,
      )
      .bind(now, JSON.stringify(input.seeds.map((s) => ({ p: s.projectId, h: s.hash, firstEventId: s.firstEventId }))), token) : null,
  });
  return {
    counted: res.counted.results.map(issueFromColumns),
    countedEvents: res.countedEvents.results as IngestWrite["countedEvents"],
  };
}

/**
 * Keeps whole events: those of `samples` whose id the batch `token` counted (with no token: whatever it is, for a
 * regression's event kept after the write). An event kept before is left as it was.
 */
export function sampledEventsStatement(db: Db, samples: SampledEvent[], token: string | null): D1PreparedStatement {
  return db.$client
    .prepare(
      `insert into events (id, project_id, issue_id, timestamp, received_at, release, environment, level, message, tags, user, payload)
       select ${j("id")}, ${j("p")}, ${GROUP_OF(j("p"), j("h"))}, ${j("timestamp")}, ${j("receivedAt")}, ${j("release")},
         ${j("environment")}, ${j("level")}, ${j("message")}, ${j("tags")}, ${j("user")}, ${j("payload")}
       from json_each(?1)
       where ?2 is null or exists (select 1 from event_ids e where e.id = ${j("id")} and e.batch_token = ?2)
       on conflict (id) do nothing`,
    )
    .bind(JSON.stringify(samples.map((s) => ({ ...s, p: s.projectId, h: s.hash }))), token);
}

/** Keeps the whole events of regressions (after the write: whatever batch counted them). */
export async function keepSampledEvents(db: Db, samples: SampledEvent[]): Promise<void> {
  if (samples.length) await sampledEventsStatement(db, samples, null).run();
}

function distinctReleases(events: CountedEvent[]): { p: number; r: string }[] {
  const seen = new Map<string, { p: number; r: string }>();
  for (const e of events) if (e.release) seen.set(`${e.projectId}\u0000${e.release}`, { p: e.projectId, r: e.release });
  return [...seen.values()];
}

/** Where a counted event went: its project and issue; null while it is queued (or if it never was accepted). */
export async function findCountedEvent(db: Db, eventId: string): Promise<{ id: string; projectId: number; issueId: number; receivedAt: number } | null> {
  return db.$client
    .prepare("select id, project_id as projectId, issue_id as issueId, received_at as receivedAt from event_ids where id = ?")
    .bind(eventId)
    .first();
}
