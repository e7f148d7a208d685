/**
 * Concurrency through the whole Teams path: 50 card actions on one issue at once (resolve / assign / ignore /
 * unresolve / unassign mixed) must end in a consistent state with one audit row per applied change and the
 * issue's version equal to the number of changes; the same activity delivered 10× at once is processed once.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ingest, installAndSetUp, link } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg } from "../support/seed";
import { cardSubmit, dispatch, newTeamsWorld, personalMessage, teamsUser, personalChatId } from "../support/teams";
import { signedActivityRequest } from "../support/bot-tokens";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

async function world() {
  const s = await seedOrg();
  const ada = teamsUser("Ada", "ada@example.com");
  const max = teamsUser("Max", "max@example.com");
  const integrationId = await installAndSetUp(ms, s, ada);
  await link(ada, integrationId, s.admin.id);
  await link(max, integrationId, s.member.id);
  const { issueId } = await ingest(s);
  return { s, ada, max, integrationId, issueId };
}

describe("concurrent card actions on one issue", () => {
  it("50 mixed actions at once: consistent final state, one audit row per applied change, version = changes", async () => {
    const { s, ada, max, integrationId, issueId } = await world();
    const payload = (actionType: string) => ({ payload: { actionType, groupId: issueId, eventId: null, rules: [], integrationId } });
    const clicks: [string, Record<string, string>][] = [
      ["1", { resolveInput: "resolved" }],
      ["3", { assignInput: "ME" }],
      ["2", { ignoreInput: "100" }],
      ["4", {}],
      ["3", { assignInput: `team:${s.team.id}` }],
      ["5", {}],
      ["1", { resolveInput: "resolved:inNextRelease" }],
      ["2", { ignoreInput: "duration:30" }],
      ["3", { assignInput: `user:${s.member.id}` }],
      ["4", {}],
    ];
    // Build (and sign) first, then fire together: the point is that the writes overlap.
    const requests = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const [type, inputs] = clicks[i % clicks.length];
        const activity = cardSubmit(ms, i % 2 ? max : ada, payload(type), inputs, { replyToId: `card-${i}` });
        return signedActivityRequest(activity, { key: ms.signingKey });
      }),
    );
    const quiet = vi.spyOn(console, "log").mockImplementation(() => {});
    const responses = await Promise.all(requests.map((r) => dispatch(r))).finally(() => quiet.mockRestore());
    // A refused transition (already resolved, ...) is told to the user with a 200; only a lost race after all retries is 409.
    for (const r of responses) expect([200, 409]).toContain(r.status);

    const g = (await env.DB.prepare("select status, version from issues where id = ?").bind(issueId).first<{ status: string; version: number }>())!;
    const audit = (await env.DB.prepare("select type, data from issue_activity where issue_id = ? and type != 'first_seen' order by id").bind(issueId).all<{ type: string; data: string }>()).results;
    expect(audit.length).toBeGreaterThan(3);
    expect(g.version).toBe(audit.length);
    // Each card update (PUT) belongs to an applied change: no card claims a change that was not written.
    expect(ms.connector.calls.filter((c) => c.method === "PUT").length).toBe(audit.length);

    // Replaying the audit log gives the stored state: no lost update.
    let status = "unresolved";
    let assignee: string | null = null;
    for (const a of audit) {
      const data = JSON.parse(a.data);
      if (a.type.startsWith("set_resolved")) status = "resolved";
      else if (a.type === "set_ignored") status = "ignored";
      else if (a.type === "set_unresolved") status = "unresolved";
      else if (a.type === "assigned") assignee = `${data.assigneeType}:${data.assigneeId}`;
      else if (a.type === "unassigned") assignee = null;
    }
    expect(g.status).toBe(status);
    const row = await env.DB.prepare("select user_id, team_id from issue_assignees where issue_id = ?").bind(issueId).first<{ user_id: number | null; team_id: number | null }>();
    expect(row ? (row.user_id ? `user:${row.user_id}` : `team:${row.team_id}`) : null).toBe(assignee);
    // Every transition in the log is a valid one from the state before it (no two resolves in a row, ...).
    let prev = "unresolved";
    for (const a of audit.filter((x) => x.type.startsWith("set_"))) {
      const next = a.type.startsWith("set_resolved") ? "resolved" : a.type === "set_ignored" ? "ignored" : "unresolved";
      expect(next).not.toBe(prev);
      prev = next;
    }
  }, 180_000);
});

describe("the same activity delivered 10× concurrently", () => {
  it("a command is answered once", async () => {
    const user = teamsUser("Zed", "zed@example.com");
    const activity = personalMessage(ms, user, "help");
    const requests = await Promise.all(Array.from({ length: 10 }, () => signedActivityRequest(activity, { key: ms.signingKey })));
    const responses = await Promise.all(requests.map((r) => dispatch(r)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(ms.connector.sent(personalChatId(user))).toHaveLength(1);
    const rows = await env.DB.prepare("select count(*) n from processed_activities where key like ?").bind(`%|${activity.id}`).first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it("a card action changes the issue once: one audit row, one card update", async () => {
    const { ada, integrationId, issueId } = await world();
    const activity = cardSubmit(ms, ada, { payload: { actionType: "1", groupId: issueId, eventId: null, rules: [], integrationId } }, { resolveInput: "resolved" }, { replyToId: "card-x" });
    const requests = await Promise.all(Array.from({ length: 10 }, () => signedActivityRequest(activity, { key: ms.signingKey })));
    const callsBefore = ms.connector.calls.length;
    const responses = await Promise.all(requests.map((r) => dispatch(r)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const calls = ms.connector.calls.slice(callsBefore);
    const audit = await env.DB.prepare("select type from issue_activity where issue_id = ? and type != 'first_seen'").bind(issueId).all();
    expect(audit.results).toEqual([{ type: "set_resolved" }]);
    expect(calls.filter((c) => c.method === "PUT")).toHaveLength(1);
    // Nothing was refused either: the copies were recognised as copies, not as "already resolved".
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });
});
