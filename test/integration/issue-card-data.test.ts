import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadIssueCardInput } from "../../src/alerts/issue-card-data";
import { buildIssueCard } from "../../src/cards/issue-card";
import { getDb } from "../../src/db/client";
import { groupAssignees, memberships, teams, users } from "../../src/db/schema";
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
      moreTeams.push(...(await db.insert(teams).values(batch).returning({ id: teams.id })));
    }
    const { groupId } = await ingest(s);
    const unassigned = (await loadIssueCardInput(db, { groupId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(JSON.stringify(buildIssueCard(unassigned))).toContain("Showing 100 of 152 people and 50 of 61 teams");
    const last = extra.at(-1)!;
    await db.insert(groupAssignees).values({ groupId, userId: last.id, assignedAt: now });

    const input = (await loadIssueCardInput(db, { groupId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(input.members).toHaveLength(100);
    expect(input.memberTotal).toBe(152); // admin + member + 150
    expect(input.teams).toHaveLength(50);
    expect(input.teamTotal).toBe(61);
    expect(input.assignee).toEqual({ kind: "user", id: last.id, email: `zz-149-${s.org.slug}@example.com` });
    const card = JSON.stringify(buildIssueCard(input));
    expect(card).toContain("Assigned to");
    expect(card).toContain("zz-149-");

    await db.update(groupAssignees).set({ userId: null, teamId: moreTeams.at(-1)!.id });
    const byTeam = (await loadIssueCardInput(db, { groupId, integrationId: 1, ruleIds: [], baseUrl: "https://alerts.test" }))!;
    expect(byTeam.assignee).toEqual({ kind: "team", id: moreTeams.at(-1)!.id, slug: "zz-team-59" });
  });
});
