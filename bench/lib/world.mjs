/**
 * The real worker (Miniflare/workerd, local D1 with the committed migrations) wired to the HTTP stand-in for
 * Microsoft, with a Teams world seeded by SQL: an organization with a member, a project with an ingest key,
 * an active team integration whose serviceUrl is the stand-in's Connector, the member's linked Teams identity,
 * and `issues` unresolved issues to click on. Also builds the signed activities both bots receive.
 */
import { loadHarness } from "./common.mjs";

export const APP_ID = "11111111-2222-3333-4444-555555555555";
export const TENANT = "bench-tenant-0001";
export const TEAM_ID = "19:bench-team@thread.tacv2";
export const CHANNEL = "19:bench-alerts@thread.tacv2";
export const TEAMS_USER = { id: "29:bench-user-1", aadObjectId: "00000000-0000-0000-0000-00000000a11a", name: "Ada" };

/** The bindings that point a worker at stand-in `ms`. */
export function worldBindings(ms) {
  return { MICROSOFT_APP_ID: APP_ID, BOT_OPENID_METADATA_URL: ms.metadataUrl, BOT_TOKEN_URL: ms.tokenUrl };
}

/**
 * Starts the worker against stand-in `ms` and seeds the world. `d1Gateway`: also serve its D1 over HTTP, for a
 * second worker process started with `remoteD1` (test/node/support/d1-over-http.ts).
 */
export async function startWorld(ms, { issues = 2000, queueConsumer = false, rules = 0, eventsBatchTimeoutSeconds, d1Gateway = false } = {}) {
  const { startWorker } = await loadHarness();
  const worker = await startWorker({ bindings: worldBindings(ms), queueConsumer, eventsBatchTimeoutSeconds, d1Gateway });
  const project = await worker.seed.project({ rateLimitPerMinute: 100_000_000, shortIdPrefix: "BEN" });
  const { db } = worker;
  const now = Date.now();
  const user = await db.prepare("insert into users (email, name, created_at) values ('ada@example.com', 'Ada', ?) returning id").bind(now).first();
  await db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'admin', ?)").bind(project.organizationId, user.id, now).run();
  const integration = await db
    .prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values (?, ?, 'Bench', ?, 'team', 'active', ?, ?, ?) returning id`,
    )
    .bind(TENANT, TEAM_ID, ms.serviceUrl, project.organizationId, now, now)
    .first();
  await db
    .prepare("insert into identities (integration_id, tenant_id, teams_user_id, aad_object_id, user_id, linked_at) values (?, ?, ?, ?, ?, ?)")
    .bind(integration.id, TENANT, TEAMS_USER.id, TEAMS_USER.aadObjectId, user.id, now)
    .run();
  const insertIssue = db.prepare(
    `insert into issues (project_id, short_id, title, culprit, first_seen, last_seen, times_seen, fingerprint_hash)
     values (?, ?, ?, 'checkout/pay.ts in charge', ?, ?, 1, ?)`,
  );
  for (let i = 0; i < issues; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(issues, i + 500); j++) {
      batch.push(insertIssue.bind(project.projectId, `BEN-${j + 1}`, `TimeoutError: Payment provider timeout #${j}`, now, now, `bench-fp-${j}`));
    }
    await db.batch(batch);
  }
  await db.prepare("update projects set next_short_id = ? where id = ?").bind(issues + 1, project.projectId).run();
  const issueIds = (await worker.query("select id from issues where project_id = ? order by id", project.projectId)).map((r) => r.id);
  const ruleIds = [];
  for (let r = 0; r < rules; r++) {
    const row = await db
      .prepare(
        `insert into alert_rules (project_id, name, conditions, filters, integration_id, target_name, target_type, conversation_id, frequency_minutes, created_at)
         values (?, ?, '{"newIssue":true}', '{}', ?, ?, 'channel', ?, 30, ?) returning id`,
      )
      .bind(project.projectId, `Rule ${r + 1}`, integration.id, `alerts-${r + 1}`, `19:bench-rule-${r + 1}@thread.tacv2`, now)
      .first();
    ruleIds.push(row.id);
  }
  return { worker, project, integrationId: integration.id, userId: user.id, issueIds, ruleIds };
}

let seq = 0;
const common = (serviceUrl) => ({
  timestamp: new Date().toISOString(),
  serviceUrl,
  channelId: "msteams",
  from: { id: TEAMS_USER.id, aadObjectId: TEAMS_USER.aadObjectId, name: TEAMS_USER.name },
  recipient: { id: `28:${APP_ID}`, name: "Issue Alerts" },
  conversation: { id: CHANNEL, conversationType: "channel", tenantId: TENANT },
  channelData: { tenant: { id: TENANT }, team: { id: TEAM_ID, name: "Bench" }, channel: { id: CHANNEL } },
});

/** A typing activity without an id: verified, parsed and ignored (the transport's own cost). */
export function noOpActivity(serviceUrl) {
  return JSON.stringify({ type: "typing", ...common(serviceUrl) });
}

/**
 * A card click (Action.Submit on the issue card): resolve, or unresolve when `undo`. Every call has a fresh
 * activity id (Teams' retries are deduplicated by it).
 */
export function cardActionActivity(serviceUrl, { issueId, integrationId, undo = false }) {
  const payload = { actionType: undo ? "4" : "1", groupId: issueId, eventId: null, rules: [], integrationId };
  return JSON.stringify({
    type: "message",
    id: `bench-${process.pid}-${++seq}`,
    replyToId: `1:card-${issueId}`,
    ...common(serviceUrl),
    value: undo ? { payload } : { payload, resolveInput: "resolved" },
  });
}

/** Cycles resolve → unresolve over the issues, so every click is a real state change (D1 write + PUT). */
export function cardActionCycler(serviceUrl, issueIds, integrationId) {
  let i = 0;
  return () => {
    const n = i++;
    const issueId = issueIds[n % issueIds.length];
    return cardActionActivity(serviceUrl, { issueId, integrationId, undo: Math.floor(n / issueIds.length) % 2 === 1 });
  };
}
