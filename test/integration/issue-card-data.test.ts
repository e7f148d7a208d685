import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadIssueCardInput } from "../../src/alerts/issue-card-data";
import { buildIssueCard } from "../../src/cards/issue-card";
import { getDb } from "../../src/db/client";
import { issueAssignees, memberships, orgTeams, users } from "../../src/db/schema";
import { ingest } from "../support/flows";
import { seedOrg } from "../support/seed";

describe("issue card data for a large organization", () => {
  it("loads only the first members and teams, says how many exist, and still names an assignee beyond them", async () => {
    const s = await seedOrg();
    const db = getDb(env.DB);
    const now = Date.now();
    // D1 binds at most 100 parameters per statement: insert in small chunks.
    const extra: { id: number }[] = [];
    for (let i = 0; i < 150; i += 15) {
      const batch = Array.from({ length: 15 }, (_, k) => ({ email: `zz-${i + k}-${s.org.slug}@example.com`, name: `Zed ${String(i + k).padStart(3, "0")}`, createdAt: now }));
      extra.push(...(await db.insert(users).values(batch).returning({ id: users.id })));
    }
    for (let i = 0; i < extra.length; i += 20) {
      await db.insert(memberships).values(extra.slice(i, i + 20).map((u) => ({ organizationId: s.org.id, userId: u.id, role: "member" as const, createdAt: now })));
    }
    const moreTeams: { id: number }[] = [];
    for (let i = 0; i < 60; i += 20) {
      const batch = Array.from({ length: 20 }, (_, k) => ({ organizationId: s.org.id, slug: `zz-team-${i + k}`, name: `T${i + k}`, createdAt: now }));
      moreTeams.push(...(await db.insert(orgTeams).values(batch).returning({ id: orgTeams.id })));
    }
    const { issueId } = await ingest(s);
    const unassigned = (await loadIssueCardInput(db, { issueId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(JSON.stringify(buildIssueCard(unassigned))).toContain("Showing 100 of 152 people and 50 of 61 teams");
    const last = extra.at(-1)!;
    await db.insert(issueAssignees).values({ issueId, userId: last.id, assignedAt: now });

    const input = (await loadIssueCardInput(db, { issueId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(input.members).toHaveLength(100);
    expect(input.memberTotal).toBe(152); // admin + member + 150
    expect(input.teams).toHaveLength(50);
    expect(input.teamTotal).toBe(61);
    expect(input.assignee).toEqual({ kind: "user", id: last.id, email: `zz-149-${s.org.slug}@example.com` });
    const card = JSON.stringify(buildIssueCard(input));
    expect(card).toContain("Assigned to");
    expect(card).toContain("zz-149-");

    await db.update(issueAssignees).set({ userId: null, teamId: moreTeams.at(-1)!.id });
    const byTeam = (await loadIssueCardInput(db, { issueId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(byTeam.assignee).toEqual({ kind: "team", id: moreTeams.at(-1)!.id, slug: "zz-team-59" });
  });

  it("offers members and teams in SQLite's order (byte order, astral characters after U+FFFF-range letters), names and slugs intact", async () => {
    const s = await seedOrg();
    const db = getDb(env.DB);
    const now = Date.now();
    const names = ["\u{1F600} Smile", "\uFB00 Ligature", "Émile", "zoë", "Zed", "adam", "Adam", 'Quote "q" \\ back'];
    const added = await db
      .insert(users)
      .values(names.map((name, i) => ({ email: `order-${i}-${s.org.slug}@example.com`, name, createdAt: now })))
      .returning({ id: users.id });
    await db.insert(memberships).values(added.map((u) => ({ organizationId: s.org.id, userId: u.id, role: "member" as const, createdAt: now })));
    await db.insert(orgTeams).values(["\u{1F600}-team", "\uFB00-team", "b-team"].map((slug) => ({ organizationId: s.org.id, slug, name: slug, createdAt: now })));
    const { issueId } = await ingest(s);
    const input = (await loadIssueCardInput(db, { issueId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;

    const expected = await env.DB.prepare(
      "select u.id, u.email, u.name from memberships m join users u on u.id = m.user_id where m.organization_id = ? order by u.name, u.email",
    )
      .bind(s.org.id)
      .all<{ id: number; email: string; name: string }>();
    expect(input.members).toEqual(expected.results);
    expect(input.members.map((m) => m.name)).toEqual(expect.arrayContaining(names));
    const ligature = input.members.findIndex((m) => m.name.startsWith("\uFB00"));
    const smile = input.members.findIndex((m) => m.name.startsWith("\u{1F600}"));
    expect(ligature).toBeLessThan(smile); // code point order, not UTF-16 unit order
    const expectedTeams = await env.DB.prepare("select id, slug from org_teams where organization_id = ? order by slug").bind(s.org.id).all();
    expect(input.teams).toEqual(expectedTeams.results);
    expect(input.memberTotal).toBe(expected.results.length);
    expect(input.teamTotal).toBe(expectedTeams.results.length);
  });

  it("names the rules that fired, in the order given, and only this project's", async () => {
    const s = await seedOrg();
    const other = await seedOrg();
    const db = getDb(env.DB);
    const now = Date.now();
    const integration = await env.DB.prepare(
      `insert into integrations (tenant_id, external_id, name, service_url, installation_type, status, organization_id, created_at, updated_at)
       values ('t', ?, 'Team', 'https://smba.trafficmanager.test/amer/', 'team', 'active', ?, ?, ?) returning id`,
    )
      .bind(`19:rules-${s.org.slug}@thread.tacv2`, s.org.id, now, now)
      .first<{ id: number }>();
    const rule = (projectId: number, name: string) =>
      env.DB.prepare(
        `insert into alert_rules (project_id, name, conditions, filters, integration_id, target_name, target_type, conversation_id, frequency_minutes, created_at)
         values (?, ?, '{"newIssue":true}', '{}', ?, 'alerts', 'channel', '19:alerts@thread.tacv2', 30, ?) returning id`,
      )
        .bind(projectId, name, integration!.id, now)
        .first<{ id: number }>();
    const a = (await rule(s.project.id, "Checkout \"errors\""))!.id;
    const b = (await rule(s.project.id, "All new issues"))!.id;
    const foreign = (await rule(other.project.id, "Not ours"))!.id;
    const { issueId } = await ingest(s);
    const input = (await loadIssueCardInput(db, { issueId, integrationId: 1, ruleIds: [b, foreign, a, 999_999], baseUrl: "https://alerts.test" }))!;
    expect(input.rules).toEqual([
      { id: b, name: "All new issues" },
      { id: a, name: 'Checkout "errors"' },
    ]);
  });
});
