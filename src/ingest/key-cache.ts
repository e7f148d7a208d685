/**
 * Which project an ingest key (DSN public key) opens, without a D1 read per event: a per-isolate memo (30 s), then
 * KV (60 s), then D1. Revocation bound: a revoked key stops working at once on the isolate that revoked it (the
 * admin route forgets it here and deletes its KV entry), and within ISOLATE_TTL_MS (30 s) everywhere else — KV is
 * cleared at the revocation, so only the memo of other isolates can still hold it. Settings read from the project
 * row (its rate limit) follow the same bound.
 */
import type { Db } from "../db/client";
import { findProjectByIngestKey, type ProjectRow } from "../db/projects";
import type { Env } from "../env";

export const ISOLATE_TTL_MS = 30_000;
const KV_TTL_SECONDS = 60;
/** A bounded memo: a flood of random keys cannot grow it without limit. */
const MEMO_MAX = 10_000;

const memo = new Map<string, { project: ProjectRow | null; expires: number }>();

const kvKey = (key: string) => `ingest-key:v1:${key}`;

export async function projectForIngestKey(env: Env, db: Db, key: string, now = Date.now()): Promise<ProjectRow | null> {
  const hit = memo.get(key);
  if (hit && hit.expires > now) return hit.project;
  let project = (await env.CACHE.get<ProjectRow>(kvKey(key), "json").catch(() => null)) ?? null;
  if (!project) {
    project = await findProjectByIngestKey(db, key);
    // Only live keys go to KV: a miss must not hide a key created a moment later from every isolate.
    if (project) await env.CACHE.put(kvKey(key), JSON.stringify(project), { expirationTtl: KV_TTL_SECONDS }).catch(() => {});
  }
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, { project, expires: now + ISOLATE_TTL_MS });
  return project;
}

/** After a revocation or a project change: this isolate forgets the keys and KV drops them. */
export async function forgetIngestKeys(env: Env, keys: string[]): Promise<void> {
  for (const key of keys) memo.delete(key);
  await Promise.all(keys.map((key) => env.CACHE.delete(kvKey(key))));
}
