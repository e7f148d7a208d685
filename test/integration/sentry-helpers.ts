import { env } from "cloudflare:workers";
import { getDb } from "../../src/db/client";
import { organizations, projectKeys, projects } from "../../src/db/schema";
import { settleIngest } from "../support/ingest-settle";
import { workerFetch } from "../support/worker";

/** Shared by the sentry-*.test.ts files: a seeded project + DSN key, envelope builders, DB snapshots. */

export const BASE = "http://alerts.test";

let seq = 0;
function uniq(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

export type SeededProject = { projectId: number; key: string; dsn: string; keyId: number };

/** An organization, a project and a live DSN key, inserted with drizzle into the real tables. */
export async function seedProject(opts: { rateLimitPerMinute?: number } = {}): Promise<SeededProject> {
  const db = getDb(env.DB);
  const now = Date.now();
  const [org] = await db.insert(organizations).values({ name: "Acme", slug: uniq("acme"), createdAt: now }).returning();
  const [project] = await db
    .insert(projects)
    .values({
      organizationId: org.id,
      slug: uniq("api"),
      name: "API",
      shortIdPrefix: "API",
      rateLimitPerMinute: opts.rateLimitPerMinute ?? 1000,
      createdAt: now,
    })
    .returning();
  const key = crypto.randomUUID().replace(/-/g, "");
  const [row] = await db.insert(projectKeys).values({ projectId: project.id, publicKey: key, createdAt: now }).returning();
  return { projectId: project.id, key, dsn: `http://${key}@alerts.test/${project.id}`, keyId: row.id };
}

export function newEventId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

/** An envelope as SDKs write it: header line, then per item a header (with byte length) and the payload. */
export function envelope(header: Record<string, unknown>, items: [Record<string, unknown>, unknown][]): string {
  const enc = new TextEncoder();
  const lines = [JSON.stringify(header)];
  for (const [itemHeader, payload] of items) {
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    lines.push(JSON.stringify({ ...itemHeader, length: enc.encode(body).length }), body);
  }
  return lines.join("\n") + "\n";
}

/** An error event the way @sentry/node shapes one (frames oldest first, the crash frame last). */
export function errorEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    release: "api@1.0.0",
    environment: "production",
    exception: {
      values: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'id')",
          mechanism: { type: "generic", handled: true },
          stacktrace: {
            frames: [
              { filename: "node:internal/process/task_queues", function: "processTicksAndRejections", lineno: 95, in_app: false },
              { filename: "/app/src/routes/users.js", module: "routes.users", function: "handleGetUser", lineno: 12, in_app: true },
              { filename: "/app/src/users.js", module: "users", function: "loadUser", lineno: 42, in_app: true },
            ],
          },
        },
      ],
    },
    ...over,
  };
}

export function sentryAuth(key: string): Record<string, string> {
  return { "x-sentry-auth": `Sentry sentry_version=7, sentry_client=sentry.javascript.node/11.12.0, sentry_key=${key}` };
}

/** Posts an envelope; after a 200, waits until the EVENTS consumer has counted what it accepted. */
export async function postEnvelope(projectId: number | string, body: BodyInit, headers: Record<string, string> = {}, query = "") {
  const res = await workerFetch(`${BASE}/api/${projectId}/envelope/${query}`, {
    method: "POST",
    headers: { "content-type": "application/x-sentry-envelope", ...headers },
    body,
  });
  const text = await res.text();
  if (res.status === 200) await settleIngest();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : null, headers: res.headers };
}

export async function postStore(projectId: number | string, body: BodyInit, headers: Record<string, string> = {}, path = "store/") {
  const res = await workerFetch(`${BASE}/api/${projectId}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  if (res.status === 200) await settleIngest();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : null, headers: res.headers };
}

/** What the project has in D1: issues, events, and its rate-limit windows. */
export async function projectState(projectId: number) {
  const issues = await env.DB.prepare(
    "select id, short_id, title, culprit, level, type, times_seen, first_release, last_release, last_environment from issues where project_id = ? order by id",
  )
    .bind(projectId)
    .all<Record<string, any>>();
  const events = await env.DB.prepare("select id, issue_id, level, release, environment, message, tags, user from events where project_id = ? order by received_at, id")
    .bind(projectId)
    .all<Record<string, any>>();
  const windows = await env.DB.prepare("select window_start, count from rate_limit_windows where key = ?")
    .bind(`sentry:project:${projectId}`)
    .all<Record<string, any>>();
  return { issues: issues.results, events: events.results, windows: windows.results };
}

export async function compress(data: string | Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
