/**
 * Seeds rows straight into the real D1 (with the committed migrations) for tests: an organization with an admin
 * and a member, a team, a project with an ingest key. Returns ids and keys.
 */
import { env } from "cloudflare:workers";
import { getDb } from "../../src/db/client";
import { memberships, organizations, projectKeys, projects, orgTeamMembers, orgTeams, users } from "../../src/db/schema";

let counter = 0;

export type SeededOrg = Awaited<ReturnType<typeof seedOrg>>;

export async function seedOrg(opts: { prefix?: string } = {}) {
  const n = ++counter + Math.floor(Math.random() * 1e6);
  const db = getDb(env.DB);
  const now = Date.now();
  const [org] = await db.insert(organizations).values({ name: `Org ${n}`, slug: `org-${n}`, createdAt: now }).returning();
  const [admin] = await db.insert(users).values({ email: `admin-${n}@example.com`, name: "Ada Admin", createdAt: now }).returning();
  const [member] = await db.insert(users).values({ email: `member-${n}@example.com`, name: "Max Member", createdAt: now }).returning();
  const [outsider] = await db.insert(users).values({ email: `outsider-${n}@example.com`, name: "Olga Outsider", createdAt: now }).returning();
  await db.insert(memberships).values([
    { organizationId: org.id, userId: admin.id, role: "admin", createdAt: now },
    { organizationId: org.id, userId: member.id, role: "member", createdAt: now },
  ]);
  const [team] = await db.insert(orgTeams).values({ organizationId: org.id, slug: `backend-${n}`, name: "Backend", createdAt: now }).returning();
  await db.insert(orgTeamMembers).values({ teamId: team.id, userId: member.id });
  const [project] = await db
    .insert(projects)
    .values({ organizationId: org.id, slug: `api-${n}`, name: "API", shortIdPrefix: opts.prefix ?? "API", createdAt: now })
    .returning();
  const ingestKey = `key${n}${crypto.randomUUID().replace(/-/g, "")}`;
  await db.insert(projectKeys).values({ projectId: project.id, publicKey: ingestKey, createdAt: now });
  return { db, org, admin, member, outsider, team, project, ingestKey };
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Counts of every table a failed request must not touch. */
export async function snapshotCounts(): Promise<Record<string, number>> {
  const tables = ["issues", "events", "issue_users", "issue_activity", "issue_assignees", "releases", "integrations", "identities", "notification_messages", "deliveries"];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await countRows(t);
  return out;
}
