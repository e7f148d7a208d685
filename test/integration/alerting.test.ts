import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { admin, db, ingest, installAndSetUp, link, settleDeliveries } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import { actionTitled, allActions, ALERTS_CHANNEL, cardOf, cardSubmit, cardText, newTeamsWorld, sendActivity, TEAM_ID, teamsUser } from "../support/teams";
import { issues, notificationMessages } from "../../src/db/schema";
import { eq } from "drizzle-orm";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  ms.connector.teams.set(TEAM_ID, {
    details: { id: TEAM_ID, name: "Platform" },
    channels: [
      { id: TEAM_ID, name: null },
      { id: ALERTS_CHANNEL, name: "Alerts" },
    ],
  });
  ms.connector.members.set(TEAM_ID, [
    { id: "29:bob", name: "Bob Builder", email: "bob@example.com" },
    { id: "29:carol", name: "Carol", email: "carol@example.com" },
  ]);
});
afterEach(async () => {
  await settleDeliveries().catch(() => {});
  ms.stop();
});

async function setUp(rule: Record<string, unknown> = {}) {
  const s = await seedOrg();
  const ada = teamsUser("Ada", "ada@example.com");
  const integrationId = await installAndSetUp(ms, s, ada);
  const res = await admin(`/projects/${s.project.id}/rules`, {
    method: "POST",
    body: { name: "New and regressed errors", conditions: { newIssue: true, regression: true }, action: { integrationId, target: "alerts" }, ...rule },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { s, ada, integrationId, rule: (await res.json()) as { id: number; action: { conversationId: string } } };
}

const posts = (conversationId: string) =>
  ms.connector.calls.filter((c) => c.method === "POST" && c.segments[2] === conversationId && c.segments[3] === "activities" && c.segments.length === 4 && c.status < 300);
const puts = () => ms.connector.calls.filter((c) => c.method === "PUT" && c.status < 300);

/** Deliveries of these issues (D1 is shared by the tests of a file). */
async function deliveries(...issueIds: number[]) {
  const res = await admin(`/deliveries?limit=200${issueIds.length === 1 ? `&issue=${issueIds[0]}` : ""}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: { id: number; kind: string; status: string; attempts: number; lastError: string | null }[] }).deliveries;
}

describe("alert rules", () => {
  it("resolves targets by name when saved: channel (case-insensitive), General, a member → 1:1; unknown → 400", async () => {
    const { s, integrationId, rule } = await setUp();
    expect(rule.action.conversationId).toBe(ALERTS_CHANNEL);
    const make = (target: string) =>
      admin(`/projects/${s.project.id}/rules`, { method: "POST", body: { name: target, conditions: { newIssue: true }, action: { integrationId, target } } });
    const general = await make("general");
    expect(((await general.json()) as any).action).toMatchObject({ conversationId: TEAM_ID, targetType: "channel" });
    const bob = await make("Bob Builder");
    expect(((await bob.json()) as any).action).toMatchObject({ targetType: "user", conversationId: expect.stringMatching(/^a:/) });
    const unknown = await make("Nowhere");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toBe('The channel or user "Nowhere" could not be found in the Platform Team.');
    const bad = await admin(`/projects/${s.project.id}/rules`, { method: "POST", body: { name: "x", conditions: {}, action: { integrationId, target: "alerts" } } });
    expect(bad.status).toBe(400);
    const foreign = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "x", conditions: { newIssue: true }, action: { integrationId: integrationId + 999, target: "alerts" } },
    });
    expect(foreign.status).toBe(400);
    const installs = ((await (await admin("/integrations")).json()) as any).integrations;
    expect(installs.find((i: any) => i.id === integrationId)).toMatchObject({ teamId: TEAM_ID, status: "active", organizationId: s.org.id });
    const list = await admin(`/projects/${s.project.id}/rules`);
    expect(((await list.json()) as any).rules).toHaveLength(3);
  });

  it("ingest → rule fires → card posted to the channel, stored, and not again within the frequency", async () => {
    const { s, rule } = await setUp();
    const first = await ingest(s, { level: "error", environment: "production" });
    await settleDeliveries();
    const posted = posts(ALERTS_CHANNEL);
    expect(posted).toHaveLength(1);
    const card = cardOf(posted[0].body);
    expect(cardText(card)).toContain("Payment provider timeout");
    expect(cardText(card)).toContain("New and regressed errors");
    // The message Teams shows in notifications and search: "<short id>: <title>" of this issue.
    const [issue] = await db().select().from(issues).where(eq(issues.id, first.issueId));
    expect(posted[0].body).toMatchObject({
      type: "message",
      summary: `${issue.shortId}: Payment provider timeout`,
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }],
    });
    expect(issue.shortId).toMatch(/^[A-Z0-9]+-[0-9A-Z]+$/);
    const notes = await db().select().from(notificationMessages).where(eq(notificationMessages.issueId, first.issueId));
    expect(notes).toMatchObject([{ ruleId: rule.id, conversationId: ALERTS_CHANNEL, serviceUrl: ms.serviceUrl }]);
    // Same issue again: not new, no second card.
    await ingest(s);
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
    expect((await deliveries(first.issueId)).map((d) => [d.kind, d.status])).toEqual([["post", "delivered"]]);
  });

  it("a change landing while a new card is being posted (before it is recorded) still reaches that card", async () => {
    const { s } = await setUp();
    let changedWhilePosting = false;
    ms.connector.beforeAnswer = async (call) => {
      if (call.method !== "POST" || call.segments[2] !== ALERTS_CHANNEL || changedWhilePosting) return;
      changedWhilePosting = true;
      // The card on its way was built from the unresolved issue; resolve it now, before the post is recorded.
      const row = await env.DB.prepare("select id from issues where project_id = ? order by id desc limit 1").bind(s.project.id).first<{ id: number }>();
      expect((await admin(`/issues/${row!.id}`, { method: "PUT", body: { status: "resolved" } })).status).toBe(200);
    };
    const { issueId } = await ingest(s, { level: "error" });
    await settleDeliveries();
    ms.connector.beforeAnswer = null;
    expect(changedWhilePosting).toBe(true);
    const [post] = posts(ALERTS_CHANNEL);
    expect(cardText(cardOf(post.body))).not.toContain('"title":"Unresolve"');
    const postedId = (await db().select().from(notificationMessages).where(eq(notificationMessages.issueId, issueId)))[0].activityId;
    const update = ms.connector.calls.filter((c) => c.method === "PUT" && c.segments.at(-1) === postedId);
    expect(update).toHaveLength(1);
    expect(cardText(cardOf(update[0].body))).toContain('"title":"Unresolve"');
    expect((await deliveries(issueId)).map((d) => `${d.kind} ${d.status}`).sort()).toEqual(["post delivered", "update delivered"]);
  });

  it("frequency: fires when the issue is seen more than `count` times in the window, alongside an immediate rule, each once", async () => {
    const { s, integrationId } = await setUp({ name: "New only", conditions: { newIssue: true } });
    const res = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "Busy", conditions: { frequency: { count: 2, windowMinutes: 60 } }, action: { integrationId, target: "alerts" } },
    });
    expect(res.status).toBe(201);
    const busy = (await res.json()) as { id: number };
    const first = await ingest(s, { message: "Busy endpoint" });
    await settleDeliveries();
    // The new issue: only the immediate rule fires (seen once, not more than twice).
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
    await ingest(s, { message: "Busy endpoint" });
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
    await ingest(s, { message: "Busy endpoint" }); // third event: more than 2 in the window
    await settleDeliveries();
    const cards = posts(ALERTS_CHANNEL);
    expect(cards).toHaveLength(2);
    expect(cardText(cardOf(cards[1].body))).toContain("Busy");
    await ingest(s, { message: "Busy endpoint" }); // still busy, but the rule already fired within its frequency
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(2);
    const fires = await env.DB.prepare("select rule_id from rule_fires where issue_id = ?").bind(first.issueId).all<{ rule_id: number }>();
    expect(fires.results.map((r) => r.rule_id)).toContain(busy.id);
  });

  it("filters: level and environment must match", async () => {
    const { s } = await setUp({ filters: { levelAtLeast: "error", environment: "production" } });
    await ingest(s, { message: "just a warning", level: "warning", environment: "production" });
    await ingest(s, { message: "staging error", level: "error", environment: "staging" });
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(0);
    await ingest(s, { message: "real error", level: "fatal", environment: "production" });
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
  });

  it("resolving via the admin API updates every posted card; a regression replies in the thread and updates", async () => {
    const { s } = await setUp();
    const { issueId } = await ingest(s);
    await settleDeliveries();
    const activityId = (await db().select().from(notificationMessages).where(eq(notificationMessages.issueId, issueId)))[0].activityId;
    const res = await admin(`/issues/${issueId}`, { method: "PUT", body: { status: "resolved" } });
    expect(res.status).toBe(200);
    await settleDeliveries();
    const put = puts().at(-1)!;
    expect(put.segments).toEqual(["v3", "conversations", ALERTS_CHANNEL, "activities", activityId]);
    expect(allActions(cardOf(put.body)).map((a) => a.title)).toContain("Unresolve");

    // Time passes beyond the rule's frequency (the reply is subject to the rule's rate limit).
    await env.DB.prepare("update rule_fires set last_fired_at = last_fired_at - 3600000 where issue_id = ?").bind(issueId).run();
    const again = await ingest(s, { release: "1.4.2" });
    expect(again.isRegression).toBe(true);
    await settleDeliveries();
    const reply = ms.connector.calls.find((c) => c.method === "POST" && c.segments.length === 5 && c.segments[4] === activityId);
    expect(reply).toBeTruthy();
    expect(cardText(cardOf(reply!.body))).toContain("1.4.2");
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1); // no second card
    const lastPut = puts().at(-1)!;
    const titles = allActions(cardOf(lastPut.body)).map((a) => a.title);
    expect(titles).not.toContain("Unresolve");
    expect(titles).toContain("Resolve");
  });

  it("a Teams action updates the other posted cards and personally notifies a linked assignee", async () => {
    const { s, ada, integrationId } = await setUp();
    const bob = teamsUser("Bob", "bob@example.com");
    await link(ada, integrationId, s.admin.id);
    await link(bob, integrationId, s.member.id);
    const second = await admin(`/projects/${s.project.id}/rules`, {
      method: "POST",
      body: { name: "To General", conditions: { newIssue: true }, action: { integrationId, target: "General" } },
    });
    expect(second.status).toBe(201);
    const { issueId } = await ingest(s);
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
    expect(posts(TEAM_ID).length).toBeGreaterThanOrEqual(1);
    const posted = posts(ALERTS_CHANNEL)[0];
    const activityId = (await db().select().from(notificationMessages).where(eq(notificationMessages.conversationId, ALERTS_CHANNEL)))[0].activityId;
    const assign = actionTitled(cardOf(posted.body), "Assign").card.actions[0].data;
    const putsBefore = puts().length;
    await sendActivity(
      ms,
      cardSubmit(ms, ada, assign, { assignInput: `user:${s.member.id}` }, { replyToId: activityId, conversationId: `${ALERTS_CHANNEL};messageid=${activityId}` }),
    );
    await settleDeliveries();
    const newPuts = puts().slice(putsBefore);
    // The clicked card directly (in its thread), the General channel card through the queue; each exactly once.
    expect(newPuts.map((p) => p.segments[2]).sort()).toEqual([`${ALERTS_CHANNEL};messageid=${activityId}`, TEAM_ID].sort());
    for (const p of newPuts) expect(cardText(cardOf(p.body))).toContain(`Assigned to ${s.member.email}`);
    const personal = ms.connector.calls.filter((c) => c.method === "POST" && c.rawPath === "v3/conversations");
    expect(personal.some((c) => JSON.stringify(c.body).includes("29:user") && JSON.stringify(c.body).includes(bob.id))).toBe(true);
    const notes = await db().select().from(notificationMessages).where(eq(notificationMessages.issueId, issueId));
    expect(notes.some((n) => n.userId === s.member.id)).toBe(true);
  });
});

describe("ignores that run out", () => {
  it("the cron unresolves an issue whose ignore duration passed and updates its posted card", async () => {
    const { s } = await setUp();
    const { issueId } = await ingest(s);
    await settleDeliveries();
    expect((await admin(`/issues/${issueId}`, { method: "PUT", body: { status: "ignored", statusDetails: { ignoreDuration: 30 } } })).status).toBe(200);
    await settleDeliveries();
    const putsBefore = puts().length;
    const until = ((await env.DB.prepare("select ignore_conditions from issues where id = ?").bind(issueId).first<{ ignore_conditions: string }>())!.ignore_conditions);
    const { runScheduled } = await import("../../src/maintenance/scheduled");
    // Before the time: nothing happens.
    await runScheduled(env, JSON.parse(until).until - 1000);
    expect((await env.DB.prepare("select status from issues where id = ?").bind(issueId).first())!.status).toBe("ignored");
    await runScheduled(env, JSON.parse(until).until + 1000);
    expect(await env.DB.prepare("select status, substatus from issues where id = ?").bind(issueId).first()).toEqual({ status: "unresolved", substatus: "ongoing" });
    const audit = await env.DB.prepare("select type, source, data from issue_activity where issue_id = ? order by id desc limit 1").bind(issueId).first<any>();
    expect(audit).toMatchObject({ type: "set_unresolved", source: "system" });
    expect(JSON.parse(audit.data)).toMatchObject({ reason: "ignoreExpired" });
    await settleDeliveries();
    // This issue's card: its actions name the issue (the cron may also refresh the counts of other issues' cards in
    // this file's shared D1, and activity ids repeat across tests).
    const issuesNamed = (body: unknown) => [...JSON.stringify(cardOf(body)).matchAll(/"groupId":(\d+)/g)].map((m) => Number(m[1]));
    const newPuts = puts().slice(putsBefore).filter((c) => issuesNamed(c.body).includes(issueId));
    expect(newPuts).toHaveLength(1);
    expect(allActions(cardOf(newPuts[0].body)).map((a) => a.title)).toContain("Ignore");
  });
});

describe("personal notifications", () => {
  it("a user who turned them off gets none; turned on, each linked assignee gets one", async () => {
    const { s, ada, integrationId } = await setUp();
    const bob = teamsUser("Bob", "bob@example.com");
    await link(ada, integrationId, s.admin.id);
    await link(bob, integrationId, s.member.id);
    const off = await admin(`/users/${s.member.id}`, { method: "PATCH", body: { notifyOnAssign: false } });
    expect(off.status).toBe(200);
    const { issueId } = await ingest(s);
    await settleDeliveries();
    expect((await admin(`/issues/${issueId}`, { method: "PUT", body: { assignedTo: `user:${s.member.id}` } })).status).toBe(200);
    await settleDeliveries();
    expect((await deliveries(issueId)).filter((d) => d.kind === "personal")).toHaveLength(0);
    const on = await admin(`/users/${s.member.id}`, { method: "PATCH", body: { notifyOnAssign: true } });
    expect(on.status).toBe(200);
    expect((await admin(`/issues/${issueId}`, { method: "PUT", body: { assignedTo: `user:${s.admin.id}` } })).status).toBe(200);
    expect((await admin(`/issues/${issueId}`, { method: "PUT", body: { assignedTo: `user:${s.member.id}` } })).status).toBe(200);
    await settleDeliveries();
    const personal = (await deliveries(issueId)).filter((d) => d.kind === "personal");
    // One for the admin (linked as Ada), one for the member now that it is on.
    expect(personal.map((d) => d.status)).toEqual(["delivered", "delivered"]);
  });
});

describe("delivery", () => {
  it("a 429 storm: everything is delivered, in order per conversation", async () => {
    const { s } = await setUp();
    for (let i = 0; i < 6; i++) ms.connector.enqueue({ status: 429, headers: { "Retry-After": "1" } }, { method: "POST" });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await ingest(s, { message: `distinct failure ${"abcd"[i]}` })).issueId);
    await settleDeliveries(60_000);
    const ds = (await deliveries()).filter((d) => ids.includes((d as any).issueId));
    expect(ds).toHaveLength(4);
    expect(ds.every((d) => d.status === "delivered")).toBe(true);
    expect(ds.some((d) => d.attempts > 1)).toBe(true);
    const titles = posts(ALERTS_CHANNEL).map((p) => /distinct failure (\w)/.exec(cardText(cardOf(p.body)))?.[1]);
    expect(titles).toEqual(["a", "b", "c", "d"]);
  });

  it("pacing: a burst to one conversation stays within 7 per second and 8 per 2 seconds", async () => {
    const { s } = await setUp();
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await ingest(s, { message: `burst ${i} ${"x".repeat(i)}` })).issueId);
    await settleDeliveries(60_000);
    const ds = (await deliveries()).filter((d) => ids.includes((d as any).issueId));
    expect(ds.map((d) => d.status)).toEqual(Array(12).fill("delivered"));
    const times = posts(ALERTS_CHANNEL).map((p) => p.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // Fixed windows aligned to the clock: at most 7 sends per second-window and 8 per 2-second window.
    const perWindow = (ms: number) => {
      const counts = new Map<number, number>();
      for (const t of times) counts.set(Math.floor(t / ms), (counts.get(Math.floor(t / ms)) ?? 0) + 1);
      return Math.max(...counts.values());
    };
    expect(perWindow(1000)).toBeLessThanOrEqual(7);
    expect(perWindow(2000)).toBeLessThanOrEqual(8);
  });

  it("a terminal error ends in a dead-letter record and disables the rule's target", async () => {
    const { s, rule } = await setUp();
    ms.connector.enqueue({ status: 403, body: { error: { code: "BotNotInConversationRoster", message: "gone" } } }, { method: "POST" });
    const { issueId } = await ingest(s);
    await settleDeliveries();
    const [d] = await deliveries(issueId);
    expect(d).toMatchObject({ status: "dead" });
    expect(d.lastError).toContain("BotNotInConversationRoster");
    const r = await admin(`/rules/${rule.id}`);
    expect(((await r.json()) as any)).toMatchObject({ status: "disabled", statusReason: expect.stringContaining("BotNotInConversationRoster") });
    // A disabled rule sends nothing more.
    const another = await ingest(s, { message: "another one" });
    await settleDeliveries();
    expect(await deliveries(another.issueId)).toHaveLength(0);
  });
});
