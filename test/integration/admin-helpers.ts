import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { workerFetch } from "../support/worker";

/** Shared by the admin-*.test.ts files: requests through the worker with the admin token, and DB snapshots. */

export const ADMIN = `Bearer ${env.ADMIN_TOKEN}`;

export async function admin(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { authorization: ADMIN, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await workerFetch(`http://alerts.test/api/admin${path}`, init);
  const text = await res.text();
  const json = text ? (JSON.parse(text) as any) : null;
  return { status: res.status, json, headers: res.headers };
}

/** Expects a status and returns the JSON body (with a readable failure when the status differs). */
export async function ok(method: string, path: string, body?: unknown, status = method === "POST" ? 201 : 200) {
  const res = await admin(method, path, body);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.json)}`).toBe(status);
  return res.json;
}

let seq = 0;
/** A unique suffix: storage is shared by the tests of one file. */
export function uniq(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createOrg(name = uniq("Org")) {
  return ok("POST", "/organizations", { name });
}

export async function createUser(email = `${uniq("user")}@example.com`) {
  return ok("POST", "/users", { email, name: "Test User" });
}

export async function createMember(orgId: number, role: "member" | "admin" = "member") {
  const user = await createUser();
  await ok("POST", `/organizations/${orgId}/members`, { userId: user.id, role });
  return user;
}

const TABLES = [
  "organizations",
  "users",
  "memberships",
  "api_tokens",
  "org_teams",
  "org_team_members",
  "projects",
  "project_keys",
  "releases",
];

/** Every row of every table the admin API writes, to prove a failed request changed nothing. */
export async function dumpTables(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const { results } = await env.DB.prepare(`select * from ${t} order by rowid`).all();
    out[t] = results;
  }
  return out;
}
