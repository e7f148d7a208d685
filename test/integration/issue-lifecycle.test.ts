import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getIssue } from "../../src/db/issues";
import { releases } from "../../src/db/schema";
import { ingestBatch } from "../../src/ingest/aggregate";
import { ingestMessage } from "../../src/ingest/message";
import { groupEvent } from "../../src/issues/grouping";
import { toNormalizedEvent } from "../../src/issues/ingest-schema";
import { ingestOutcome } from "../support/ingest-settle";
import { seedOrg, snapshotCounts, type SeededOrg } from "../support/seed";
import { workerFetch } from "../support/worker";

const ADMIN = { authorization: "Bearer test-admin-token", "content-type": "application/json" };

async function ingest(s: SeededOrg, body: Record<string, unknown>) {
  const res = await workerFetch(`https://alerts.test/api/projects/${s.project.id}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.ingestKey}`, "content-type": "application/json" },
    body: JSON.stringify({ message: "Database unavailable", ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ingestOutcome(((await res.json()) as { id: string }).id);
}

function update(issueId: number, body: unknown) {
  return workerFetch(`https://alerts.test/api/admin/issues/${issueId}`, { method: "PUT", headers: ADMIN, body: JSON.stringify(body) });
}

async function updateOk(issueId: number, body: unknown) {
  const res = await update(issueId, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { issue: Record<string, unknown>; assigneeLabel: string | null };
}

async function audit(issueId: number) {
  const rows = await env.DB.prepare("select type, source, actor_kind, data from issue_activity where issue_id = ? order by id")
    .bind(issueId)
    .all<{ type: string; source: string; actor_kind: string; data: string }>();
  return rows.results.map((r) => ({ ...r, data: JSON.parse(r.data) }));
}

async function addRelease(s: SeededOrg, version: string, createdAt: number) {
  await s.db.insert(releases).values({ projectId: s.project.id, version, createdAt });
}

describe("resolve and regress", () => {
  it("resolved immediately → any new event regresses it, once, with an audit row", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const r = await updateOk(issueId, { status: "resolved" });
    expect(r.issue).toMatchObject({ status: "resolved", resolution: { kind: "immediate" } });
    const again = await ingest(s, {});
    expect(again).toMatchObject({ issueId, isRegression: true });
    expect(await getIssue(s.db, issueId)).toMatchObject({ status: "unresolved", substatus: "regressed", resolution: null });
    const next = await ingest(s, {});
    expect(next.isRegression).toBe(false);
    expect((await audit(issueId)).map((a) => [a.type, a.source])).toEqual([
      ["first_seen", "ingest"],
      ["set_resolved", "api"],
      ["set_regression", "ingest"],
    ]);
  });

  it("resolved in the next release: same or older release does not regress, a newer one does", async () => {
    const s = await seedOrg();
    const t = Date.now() - 60_000;
    await addRelease(s, "1.0.0", t - 1000);
    await addRelease(s, "1.1.0", t);
    const { issueId } = await ingest(s, { release: "1.1.0" });
    await updateOk(issueId, { status: "resolved", statusDetails: { inNextRelease: true } });
    expect((await getIssue(s.db, issueId))!.resolution).toMatchObject({ kind: "inNextRelease", release: "1.1.0" });
    expect((await ingest(s, { release: "1.1.0" })).isRegression).toBe(false);
    expect((await ingest(s, { release: "1.0.0" })).isRegression).toBe(false);
    expect((await ingest(s, {})).isRegression).toBe(false);
    expect((await getIssue(s.db, issueId))!.status).toBe("resolved");
    const r = await ingest(s, { release: "1.2.0" });
    expect(r.isRegression).toBe(true);
    const rows = await audit(issueId);
    expect(rows.at(-1)).toMatchObject({ type: "set_regression", data: { release: "1.2.0" } });
  });

  it("resolved in the next release with no releases yet: the first event with a release regresses", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    await updateOk(issueId, { status: "resolvedInNextRelease" });
    expect((await ingest(s, {})).isRegression).toBe(false);
    expect((await ingest(s, { release: "2.0.0" })).isRegression).toBe(true);
  });

  it("resolved in the current release: that release or newer regresses, older does not", async () => {
    const s = await seedOrg();
    const t = Date.now() - 60_000;
    await addRelease(s, "1.0.0", t - 1000);
    await addRelease(s, "1.1.0", t);
    const { issueId } = await ingest(s, { release: "1.0.0" });
    const r = await updateOk(issueId, { status: "resolved", statusDetails: { inRelease: "latest" } });
    expect(r.issue.resolution).toEqual({ kind: "inRelease", release: "1.1.0" });
    expect((await ingest(s, { release: "1.0.0" })).isRegression).toBe(false);
    expect((await ingest(s, { release: "1.1.0" })).isRegression).toBe(true);
  });

  it("resolve in the current release without releases is a 400; resolving twice is a 409; nothing written", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const before = await snapshotCounts();
    const res = await update(issueId, { status: "resolved", statusDetails: { inRelease: "latest" } });
    expect(res.status).toBe(400);
    expect(await snapshotCounts()).toEqual(before);
    await updateOk(issueId, { status: "resolved" });
    const mid = await snapshotCounts();
    const twice = await update(issueId, { status: "resolved" });
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { error: { code: string } }).error.code).toBe("invalid_transition");
    expect(await snapshotCounts()).toEqual(mid);
    const unres = await updateOk(issueId, { status: "unresolved" });
    expect(unres.issue).toMatchObject({ status: "unresolved", substatus: "ongoing" });
    expect((await update(issueId, { status: "unresolved" })).status).toBe(409);
  });
});

describe("ignore conditions", () => {
  it("until N more occurrences → escalates on the Nth", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    await updateOk(issueId, { status: "ignored", statusDetails: { ignoreCount: 3 } });
    await ingest(s, {});
    await ingest(s, {});
    expect((await getIssue(s.db, issueId))!.status).toBe("ignored");
    await ingest(s, {});
    expect(await getIssue(s.db, issueId)).toMatchObject({ status: "unresolved", substatus: "escalating", ignoreConditions: null });
    expect((await audit(issueId)).at(-1)).toMatchObject({ type: "set_escalating", data: { reason: "count" } });
  });

  it("until N more distinct users", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, { user: { id: "a" } });
    await updateOk(issueId, { status: "ignored", statusDetails: { ignoreUserCount: 2 } });
    await ingest(s, { user: { id: "a" } });
    await ingest(s, { user: { id: "b" } });
    await ingest(s, { user: { id: "b" } });
    expect((await getIssue(s.db, issueId))!.status).toBe("ignored");
    await ingest(s, { user: { id: "c" } });
    expect((await getIssue(s.db, issueId))!.substatus).toBe("escalating");
  });

  it("for a duration: an event before it ends keeps it ignored, after it ends escalates", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const r = await updateOk(issueId, { status: "ignored", statusDetails: { ignoreDuration: 30 } });
    const until = (r.issue.ignoreConditions as { until: number }).until;
    expect(until).toBeGreaterThan(Date.now() + 29 * 60_000);
    // The consumer's own function, with the clock moved to either side of the ignore's end.
    const consumeAt = async (at: number) => {
      const event = toNormalizedEvent({ message: "Database unavailable" }, at);
      return ingestBatch(env, s.db, [ingestMessage(s.project.id, at, await groupEvent(event), event)], at);
    };
    await consumeAt(until - 1000);
    expect((await getIssue(s.db, issueId))!.status).toBe("ignored");
    const { issues } = await consumeAt(until + 1000);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ isEscalation: true, isRegression: false });
    expect((await getIssue(s.db, issueId))!.status).toBe("unresolved");
  });

  it("forever: never escalates; stop ignoring works; re-ignoring an ignored issue is a 409", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    await updateOk(issueId, { status: "ignored" });
    for (let i = 0; i < 3; i++) await ingest(s, {});
    expect((await getIssue(s.db, issueId))!.ignoreConditions).toEqual({ kind: "forever" });
    expect((await update(issueId, { status: "ignored", statusDetails: { ignoreCount: 5 } })).status).toBe(409);
    expect((await updateOk(issueId, { status: "unresolved" })).issue.status).toBe("unresolved");
  });

  it("rejects conflicting or invalid ignore details", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const before = await snapshotCounts();
    for (const body of [
      { status: "ignored", statusDetails: { ignoreCount: 5, ignoreDuration: 30 } },
      { status: "ignored", statusDetails: { ignoreCount: 0 } },
      { status: "ignored", statusDetails: { ignoreDuration: 10_000_000 } },
      // Sentry's windows ("100 times in 60 minutes") are refused, not silently dropped.
      { status: "ignored", statusDetails: { ignoreCount: 100, ignoreWindow: 60 } },
      { status: "ignored", statusDetails: { ignoreUserCount: 10, ignoreUserWindow: 60 } },
      { status: "sleeping" },
      { statusDetails: { ignoreCount: 1 } },
      {},
    ]) {
      expect((await update(issueId, body)).status, JSON.stringify(body)).toBe(400);
    }
    const windowed = await update(issueId, { status: "ignored", statusDetails: { ignoreCount: 100, ignoreWindow: 60 } });
    expect(((await windowed.json()) as { error: { message: string } }).error.message).toContain("ignoreWindow and ignoreUserWindow are not supported");
    expect(await snapshotCounts()).toEqual(before);
  });
});

describe("assignment", () => {
  it("assigns to a user and a team, labels them, unassigns; refuses outsiders and foreign teams", async () => {
    const s = await seedOrg();
    const other = await seedOrg();
    const { issueId } = await ingest(s, {});
    const u = await updateOk(issueId, { assignedTo: `user:${s.member.id}` });
    expect(u.assigneeLabel).toBe(s.member.email);
    const t = await updateOk(issueId, { assignedTo: `team:${s.team.id}` });
    expect(t.assigneeLabel).toBe(`#${s.team.slug}`);
    const before = await snapshotCounts();
    expect((await update(issueId, { assignedTo: `team:${s.team.id}` })).status).toBe(409);
    const outsider = await update(issueId, { assignedTo: `user:${s.outsider.id}` });
    expect(outsider.status).toBe(400);
    expect(await outsider.text()).toContain("not a member");
    expect((await update(issueId, { assignedTo: `team:${other.team.id}` })).status).toBe(400);
    expect((await update(issueId, { assignedTo: "bob" })).status).toBe(400);
    expect(await snapshotCounts()).toEqual(before);
    const un = await updateOk(issueId, { assignedTo: "" });
    expect(un.assigneeLabel).toBeNull();
    expect((await update(issueId, { assignedTo: "" })).status).toBe(409);
    expect((await audit(issueId)).map((a) => [a.type, a.data])).toEqual([
      ["first_seen", expect.anything()],
      ["assigned", { assigneeType: "user", assigneeId: s.member.id }],
      ["assigned", { assigneeType: "team", assigneeId: s.team.id }],
      ["unassigned", {}],
    ]);
  });

  it("status and assignee in one request are applied together, or not at all", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const before = await snapshotCounts();
    const refused = await update(issueId, { status: "resolved", assignedTo: `user:${s.outsider.id}` });
    expect(refused.status).toBe(400);
    expect(await snapshotCounts()).toEqual(before);
    expect((await getIssue(s.db, issueId))!.status).toBe("unresolved");
    const both = await updateOk(issueId, { status: "resolved", assignedTo: `user:${s.member.id}` });
    expect(both.issue).toMatchObject({ status: "resolved" });
    expect(both.assigneeLabel).toBe(s.member.email);
    expect((await audit(issueId)).map((a) => a.type)).toEqual(["first_seen", "set_resolved", "assigned"]);
    expect((await getIssue(s.db, issueId))!.version).toBe(2);
  });

  it("lists and shows issues with filters, assignee and activity", async () => {
    const s = await seedOrg();
    const a = await ingest(s, { message: "Payment failed for order 17" });
    const b = await ingest(s, { message: "Cache miss storm" });
    await updateOk(a.issueId, { assignedTo: `user:${s.admin.id}` });
    await updateOk(b.issueId, { status: "resolved" });
    const get = async (q: string) => {
      const res = await workerFetch(`https://alerts.test/api/admin/issues?project=${s.project.id}${q}`, { headers: ADMIN });
      expect(res.status).toBe(200);
      return ((await res.json()) as { issues: { id: number }[] }).issues.map((i) => i.id);
    };
    expect(await get("")).toEqual([b.issueId, a.issueId]);
    expect(await get("&status=resolved")).toEqual([b.issueId]);
    expect(await get(`&assignee=user:${s.admin.id}`)).toEqual([a.issueId]);
    expect(await get("&assignee=none")).toEqual([b.issueId]);
    expect(await get("&query=payment")).toEqual([a.issueId]);
    expect((await workerFetch(`https://alerts.test/api/admin/issues?status=nope`, { headers: ADMIN })).status).toBe(400);
    const detail = await workerFetch(`https://alerts.test/api/admin/issues/${a.issueId}`, { headers: ADMIN });
    const d = (await detail.json()) as Record<string, any>;
    expect(d.assigneeLabel).toBe(s.admin.email);
    expect(d.activity.map((x: { type: string }) => x.type)).toEqual(["assigned", "first_seen"]);
    expect(d.latestEvent.message).toBe("Payment failed for order 17");
    expect(d.issue.fingerprintHash).toBeUndefined();
    expect((await workerFetch(`https://alerts.test/api/admin/issues/999999`, { headers: ADMIN })).status).toBe(404);
    expect((await workerFetch(`https://alerts.test/api/admin/issues/${a.issueId}`)).status).toBe(401);
  });
});

describe("concurrency", () => {
  it("concurrent changes on one issue: every applied change has exactly one audit row, final state consistent", async () => {
    const s = await seedOrg();
    const { issueId } = await ingest(s, {});
    const bodies = [
      { status: "resolved" },
      { status: "ignored" },
      { assignedTo: `user:${s.member.id}` },
      { status: "unresolved" },
      { assignedTo: `team:${s.team.id}` },
      { status: "resolved", statusDetails: { inNextRelease: true } },
    ];
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => update(issueId, bodies[i % bodies.length])));
    const applied = results.filter((r) => r.status === 200).length;
    for (const r of results) expect([200, 409]).toContain(r.status);
    const rows = await audit(issueId);
    expect(rows.length - 1).toBe(applied);
    const g = (await getIssue(s.db, issueId))!;
    expect(g.version).toBe(applied);
  });
});
