/**
 * Reads sent in a D1 batch (db/batch-read.ts) give what awaiting them gives. D1 batches answer rows as objects keyed
 * by column name, and both queries here join tables that share column names (id, name, status, created_at), so the
 * statement selects through a subquery to keep the repeats apart: the card click query and the rules query.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activeRulesQuery } from "../../src/db/alert-rules";
import { batchRead } from "../../src/db/batch-read";
import { cardClickStatement, loadCardClick } from "../../src/db/card-click";
import { db, ingest } from "../support/flows";
import { seedOrg } from "../support/seed";

async function bothWays(input: Parameters<typeof loadCardClick>[1]) {
  const alone = await loadCardClick(db(), input);
  const { statement, read } = cardClickStatement(db(), input);
  const [, result] = await env.DB.batch([env.DB.prepare("select 1"), statement]);
  return { alone, batched: read(result) };
}

describe("card click query", () => {
  it("alone and batched agree: linked member, assignee, latest release, rules; and the misses", async () => {
    const s = await seedOrg();
    const now = Date.now();
    const { issueId } = await ingest(s);
    const integration = await env.DB.prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('t-q', ?, 'Team', 'https://smba.trafficmanager.test/amer/', 'team', 'active', ?, ?, ?) returning id`,
    )
      .bind(`19:q-${s.org.slug}@thread.tacv2`, s.org.id, now, now)
      .first<{ id: number }>();
    await env.DB.batch([
      env.DB.prepare("insert into identities (integration_id, tenant_id, teams_user_id, user_id, linked_at) values (?, 't-q', '29:q', ?, ?)").bind(integration!.id, s.member.id, now),
      env.DB.prepare("insert into issue_assignees (issue_id, team_id, assigned_at) values (?, ?, ?)").bind(issueId, s.team.id, now),
      env.DB.prepare("insert into releases (project_id, version, created_at) values (?, 'q-9.9.9', ?)").bind(s.project.id, now + 60_000),
    ]);
    const input = { integrationId: integration!.id, issueId, teamsUserId: "29:q", ruleIds: [] };
    const { alone, batched } = await bothWays(input);
    expect(batched).toEqual(alone);
    expect(alone).toMatchObject({
      integration: { id: integration!.id, tenantId: "t-q", status: "active" },
      linkedUserId: s.member.id,
      linkedUserEmail: s.member.email,
      linkedUserIsMember: true,
      issue: { issue: { id: issueId }, organizationId: s.org.id, assignee: { teamId: s.team.id }, latestRelease: { version: "q-9.9.9" } },
    });
    expect(alone!.issue!.card).toMatchObject({ issue: { id: issueId }, project: { id: s.project.id }, org: { id: s.org.id }, assigneeSlug: s.team.slug });

    const stranger = await bothWays({ ...input, teamsUserId: "29:nobody" });
    expect(stranger.batched).toEqual(stranger.alone);
    expect(stranger.alone).toMatchObject({ linkedUserId: null, linkedUserEmail: null, linkedUserIsMember: false });
    const noIssue = await bothWays({ ...input, issueId: 987_654_321 });
    expect(noIssue.batched).toEqual(noIssue.alone);
    expect(noIssue.alone!.issue).toBeNull();
    const noIntegration = await bothWays({ ...input, integrationId: 987_654_321 });
    expect(noIntegration).toEqual({ alone: null, batched: null });
  });

  it("batchRead gives the rows awaiting the query gives, for a join whose tables share column names", async () => {
    const s = await seedOrg();
    const now = Date.now();
    // Make the integration's id, name, status and created_at differ from the rule's.
    await env.DB.prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('t-b', ?, 'Spare', 'https://smba.trafficmanager.test/amer/', 'team', 'active', ?, 1, 1)`,
    )
      .bind(`19:spare-${s.org.slug}@thread.tacv2`, s.org.id)
      .run();
    const integration = await env.DB.prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('t-b', ?, 'Integration name', 'https://smba.trafficmanager.test/emea/', 'team', 'active', ?, 2, 2) returning id`,
    )
      .bind(`19:b-${s.org.slug}@thread.tacv2`, s.org.id)
      .first<{ id: number }>();
    for (const name of ["Rule one", "Rule two"]) {
      await env.DB.prepare(
        `insert into alert_rules (project_id, name, conditions, filters, integration_id, target_name, target_type, conversation_id, frequency_minutes, created_at)
         values (?, ?, '{"newIssue":true}', '{"levelAtLeast":"error"}', ?, 'alerts', 'channel', '19:alerts@thread.tacv2', 15, ?)`,
      )
        .bind(s.project.id, name, integration!.id, now)
        .run();
    }
    const awaited = await activeRulesQuery(db(), s.project.id);
    const { statement, read } = batchRead(db(), activeRulesQuery(db(), s.project.id));
    const [result] = await env.DB.batch([statement]);
    expect(read(result)).toEqual(awaited);
    expect(awaited).toHaveLength(2);
    expect(awaited[0]).toMatchObject({
      rule: { name: "Rule one", integrationId: integration!.id, conditions: { newIssue: true }, filters: { levelAtLeast: "error" }, createdAt: now },
      serviceUrl: "https://smba.trafficmanager.test/emea/",
      tenantId: "t-b",
    });
  });
});
