/**
 * The click query read two ways gives the same result: alone (drizzle maps the row) and inside a D1 batch (rows come
 * back as objects keyed by column name, so the statement selects through a subquery to keep repeated names apart).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
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
    const { groupId } = await ingest(s);
    const integration = await env.DB.prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('t-q', ?, 'Team', 'https://smba.trafficmanager.test/amer/', 'team', 'active', ?, ?, ?) returning id`,
    )
      .bind(`19:q-${s.org.slug}@thread.tacv2`, s.org.id, now, now)
      .first<{ id: number }>();
    await env.DB.batch([
      env.DB.prepare("insert into identities (integration_id, tenant_id, teams_user_id, user_id, linked_at) values (?, 't-q', '29:q', ?, ?)").bind(integration!.id, s.member.id, now),
      env.DB.prepare("insert into group_assignees (group_id, team_id, assigned_at) values (?, ?, ?)").bind(groupId, s.team.id, now),
      env.DB.prepare("insert into releases (project_id, version, created_at) values (?, 'q-9.9.9', ?)").bind(s.project.id, now + 60_000),
    ]);
    const input = { integrationId: integration!.id, groupId, teamsUserId: "29:q", ruleIds: [] };
    const { alone, batched } = await bothWays(input);
    expect(batched).toEqual(alone);
    expect(alone).toMatchObject({
      integration: { id: integration!.id, tenantId: "t-q", status: "active" },
      linkedUserId: s.member.id,
      linkedUserEmail: s.member.email,
      linkedUserIsMember: true,
      issue: { group: { id: groupId }, organizationId: s.org.id, assignee: { teamId: s.team.id }, latestRelease: { version: "q-9.9.9" } },
    });
    expect(alone!.issue!.card).toMatchObject({ group: { id: groupId }, project: { id: s.project.id }, org: { id: s.org.id }, assigneeSlug: s.team.slug });

    const stranger = await bothWays({ ...input, teamsUserId: "29:nobody" });
    expect(stranger.batched).toEqual(stranger.alone);
    expect(stranger.alone).toMatchObject({ linkedUserId: null, linkedUserEmail: null, linkedUserIsMember: false });
    const noIssue = await bothWays({ ...input, groupId: 987_654_321 });
    expect(noIssue.batched).toEqual(noIssue.alone);
    expect(noIssue.alone!.issue).toBeNull();
    const noIntegration = await bothWays({ ...input, integrationId: 987_654_321 });
    expect(noIntegration).toEqual({ alone: null, batched: null });
  });
});
