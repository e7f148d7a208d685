import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { identities, integrations, organizations, signInIdentities } from "../../src/db/schema";
import { db, ingest, installAndSetUp, link, signedInAs } from "../support/flows";
import { Browser, csrfIn, startSignInAuthority } from "../support/web-browser";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, snapshotCounts, type SeededOrg } from "../support/seed";
import {
  actionTitled,
  ALERTS_CHANNEL,
  cardExecute,
  cardOf,
  cardSubmit,
  cardText,
  channelMention,
  dispatch,
  personalChatId,
  personalInstall,
  personalMessage,
  sendActivity,
  TEAM_ID,
  teamInstall,
  teamsUser,
  teamUninstall,
  TENANT,
  type TeamsUser,
  newTeamsWorld,
} from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

describe("install and uninstall", () => {
  it("a team install welcomes exactly once (conversationUpdate + installationUpdate), pending until setup", async () => {
    await seedOrg();
    const installer = teamsUser("Ada", "ada@example.com");
    await sendActivity(ms, teamInstall(ms, installer));
    await sendActivity(ms, teamInstall(ms, installer, { via: "installationUpdate" }));
    const welcomes = ms.connector.sent(TEAM_ID);
    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }] });
    expect(actionTitled(cardOf(welcomes[0]), "Complete setup").url).toMatch(/^https:\/\/alerts\.test\/setup\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const [row] = await db().select().from(integrations).where(eq(integrations.externalId, TEAM_ID));
    expect(row).toMatchObject({ status: "pending", tenantId: TENANT, name: "Platform", installationType: "team", installedBy: installer.id, serviceUrl: ms.serviceUrl });
  });

  it("setup: a signed-in org admin picks the organization; a member cannot; tampered and reused links are refused", async () => {
    const s = await seedOrg();
    await sendActivity(ms, teamInstall(ms, teamsUser("Ada", "a@x")));
    const setupUrl = actionTitled(cardOf(ms.connector.sent(TEAM_ID)[0]), "Complete setup").url as string;
    // Flip one character inside the signature (not the last one, whose low bits are padding).
    const i = setupUrl.length - 10;
    const tamperedUrl = setupUrl.slice(0, i) + (setupUrl[i] === "A" ? "B" : "A") + setupUrl.slice(i + 1);
    const tampered = await dispatch(new Request(tamperedUrl));
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain("invalid or has expired");
    // Signed out: the page asks to sign in with Microsoft.
    expect(await (await dispatch(new Request(setupUrl))).text()).toContain("Sign in with Microsoft");
    // A member (not an admin) is offered no organization and cannot connect it.
    const member = await signedInAs(ms, s.member);
    const memberPage = await member.fetch(setupUrl);
    expect(await memberPage.text()).toContain("not an admin of any organization");
    expect((await member.post(setupUrl, { csrf: csrfIn(await (await member.fetch(`/organizations/${s.org.slug}/issues/`)).text()), organization: s.org.slug })).status).toBe(403);
    expect((await db().select().from(integrations).where(eq(integrations.externalId, TEAM_ID)))[0].status).toBe("pending");
    const admin = await signedInAs(ms, s.admin);
    const page = await (await admin.fetch(setupUrl)).text();
    expect(page).toContain(s.org.name);
    expect((await admin.post(setupUrl, { csrf: "0".repeat(64), organization: s.org.slug })).status).toBe(403);
    const ok = await admin.post(setupUrl, { csrf: csrfIn(page), organization: s.org.slug });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("now connected");
    const [row] = await db().select().from(integrations).where(eq(integrations.externalId, TEAM_ID));
    expect(row).toMatchObject({ status: "active", organizationId: s.org.id });
    const confirmation = ms.connector.sent(TEAM_ID).at(-1)!;
    expect(cardText(cardOf(confirmation))).toContain(s.org.name);
    // Used once.
    expect((await admin.post(setupUrl, { csrf: csrfIn(page), organization: s.org.slug })).status).toBe(400);
  });

  it("removing the bot disables the integration and keeps history", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "a@x");
    const integrationId = await installAndSetUp(ms, s, ada);
    await link(ada, integrationId, s.admin.id);
    await sendActivity(ms, teamUninstall(ms, ada));
    const [row] = await db().select().from(integrations).where(eq(integrations.id, integrationId));
    expect(row.status).toBe("disabled");
    expect(await db().select().from(identities).where(eq(identities.integrationId, integrationId))).toHaveLength(1);
    // Reinstalling revives it as pending with one new welcome.
    const before = ms.connector.sent(TEAM_ID).length;
    await sendActivity(ms, teamInstall(ms, ada));
    expect(ms.connector.sent(TEAM_ID).length).toBe(before + 1);
  });

  it("a personal install greets once", async () => {
    const bob = teamsUser("Bob", "bob@example.com");
    await sendActivity(ms, personalInstall(ms, bob, "conversationUpdate"));
    await sendActivity(ms, personalInstall(ms, bob, "installationUpdate"));
    expect(ms.connector.sent(personalChatId(bob))).toHaveLength(1);
  });
});

describe("commands", () => {
  it("help / empty / unknown / link / unlink in a personal chat, help and unknown in a channel", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "a@x");
    const integrationId = await installAndSetUp(ms, s, ada);
    const chat = personalChatId(ada);
    for (const text of ["help", "  HELP ", ""]) await sendActivity(ms, personalMessage(ms, ada, text));
    for (const sent of ms.connector.sent(chat)) expect(cardText(cardOf(sent))).toMatch(/link/i);
    await sendActivity(ms, personalMessage(ms, ada, "make coffee <at>x</at> [evil](http://e.vil)"));
    const unknown = cardText(cardOf(ms.connector.sent(chat).at(-1)));
    expect(unknown).toContain("didn't understand");
    expect(unknown).not.toContain("[evil](http://e.vil)");

    await sendActivity(ms, personalMessage(ms, ada, "link"));
    const linkUrl = actionTitled(cardOf(ms.connector.sent(chat).at(-1)), "Link your account").url as string;
    expect(linkUrl).toMatch(/^https:\/\/alerts\.test\/link\//);
    // Signed out: sign in with Microsoft first.
    expect(await (await dispatch(new Request(linkUrl))).text()).toContain("Sign in with Microsoft");
    // Signed in as another Microsoft account than Ada's Teams one: nothing is linked.
    const other = await signedInAs(ms, s.member);
    const refused = await other.fetch(linkUrl);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("not the Microsoft account you use in Teams");
    // Signed in as Ada's own account (tid, oid = the Teams user's tenant and aadObjectId).
    const authority = await startSignInAuthority(ms);
    await db().insert(signInIdentities).values({ tenantId: TENANT, objectId: ada.aadObjectId, userId: s.member.id, createdAt: Date.now(), lastSignInAt: Date.now() });
    const b = new Browser();
    expect((await b.signIn(authority, { tenantId: TENANT, objectId: ada.aadObjectId, email: s.member.email }, new URL(linkUrl).pathname)).headers.get("location")).toBe(new URL(linkUrl).pathname);
    const page = await b.fetch(linkUrl);
    expect(page.status).toBe(200);
    const csrf = csrfIn(await page.text());
    const linked = await b.post(linkUrl, { csrf });
    expect(linked.status).toBe(200);
    const [identity] = await db().select().from(identities).where(eq(identities.teamsUserId, ada.id));
    expect(identity).toMatchObject({ integrationId, userId: s.member.id, tenantId: TENANT });
    expect(cardText(cardOf(ms.connector.sent(chat).at(-1)))).toMatch(/linked/i);
    // Single use.
    expect((await b.post(linkUrl, { csrf })).status).toBe(400);
    await sendActivity(ms, personalMessage(ms, ada, "link"));
    expect(cardText(cardOf(ms.connector.sent(chat).at(-1)))).toMatch(/already linked/i);

    await sendActivity(ms, personalMessage(ms, ada, "Unlink"));
    const unlinkUrl = actionTitled(cardOf(ms.connector.sent(chat).at(-1)), "Unlink account").url as string;
    expect((await other.fetch(unlinkUrl)).status).toBe(403);
    const upage = await b.fetch(unlinkUrl);
    expect((await b.post(unlinkUrl, { csrf: csrfIn(await upage.text()) })).status).toBe(200);
    expect(await db().select().from(identities).where(eq(identities.teamsUserId, ada.id))).toHaveLength(0);

    await sendActivity(ms, channelMention(ms, ada, "help"));
    await sendActivity(ms, channelMention(ms, ada, "dance"));
    const inChannel = ms.connector.calls.filter((c) => c.method === "POST" && String(c.segments[2]).startsWith(ALERTS_CHANNEL));
    expect(inChannel).toHaveLength(2);
    expect(cardText(cardOf(inChannel[1].body))).toContain("dance");
  });

  it("the same activity delivered twice is processed once", async () => {
    const ada = teamsUser("Ada", "a@x");
    const activity = personalMessage(ms, ada, "help");
    await sendActivity(ms, activity);
    await sendActivity(ms, activity);
    expect(ms.connector.sent(personalChatId(ada))).toHaveLength(1);
  });
});

describe("card actions", () => {
  async function setUpIssueCard() {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "ada@example.com");
    const integrationId = await installAndSetUp(ms, s, ada);
    const { issueId } = await ingest(s);
    // The card as the bot would post it (built by the same code the delivery path uses).
    const { loadIssueCardInput } = await import("../../src/alerts/issue-card-data");
    const { buildIssueCard } = await import("../../src/cards/issue-card");
    const card = buildIssueCard((await loadIssueCardInput(db(), { issueId, integrationId, ruleIds: [], baseUrl: "https://alerts.test" }))!);
    return { s, ada, integrationId, issueId, card };
  }

  function dataOf(card: Record<string, any>, title: string) {
    const action = actionTitled(card, title);
    if (action.type === "Action.ShowCard") return action.card.actions[0].data;
    return action.data;
  }

  async function issueRow(issueId: number) {
    return env.DB.prepare("select status, substatus, resolution, ignore_conditions from issues where id = ?").bind(issueId).first<Record<string, string>>();
  }

  async function auditTypes(issueId: number) {
    const r = await env.DB.prepare("select type, source, actor_user_id from issue_activity where issue_id = ? order by id").bind(issueId).all();
    return r.results;
  }

  it("an unlinked user gets a 1:1 link prompt and nothing changes", async () => {
    const { ada, issueId, card } = await setUpIssueCard();
    const before = await snapshotCounts();
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Resolve"), { resolveInput: "resolved" }, { replyToId: "card-1" }));
    expect((await issueRow(issueId))!.status).toBe("unresolved");
    const create = ms.connector.calls.find((c) => c.method === "POST" && c.rawPath === "v3/conversations");
    expect(create?.body).toMatchObject({ members: [{ id: ada.id }], channelData: { tenant: { id: TENANT } } });
    const prompt = ms.connector.calls.filter((c) => c.method === "POST" && c.segments[3] === "activities").at(-1)!;
    expect(actionTitled(cardOf(prompt.body), "Link your account").url).toMatch(/\/link\//);
    expect(await snapshotCounts()).toEqual(before);
  });

  it("each action type changes D1, writes an audit row and PUTs the updated card over the clicked one", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const click = async (c: Record<string, any>, title: string, inputs: Record<string, string> = {}) => {
      await sendActivity(ms, cardSubmit(ms, ada, dataOf(c, title), inputs, { replyToId: "card-1" }));
      const put = ms.connector.calls.filter((x) => x.method === "PUT").at(-1)!;
      // Over the clicked card, in the conversation the click came from (the card's thread).
      expect(put.segments).toEqual(["v3", "conversations", `${ALERTS_CHANNEL};messageid=card-1`, "activities", "card-1"]);
      return cardOf(put.body);
    };
    let c = await click(card, "Resolve", { resolveInput: "resolved:inNextRelease" });
    expect(await issueRow(issueId)).toMatchObject({ status: "resolved" });
    expect(cardText(c)).toContain("Unresolve");
    c = await click(c, "Unresolve");
    expect((await issueRow(issueId))!.status).toBe("unresolved");
    c = await click(c, "Ignore", { ignoreInput: "100" });
    expect(await issueRow(issueId)).toMatchObject({ status: "ignored" });
    expect(cardText(c)).toContain("Stop ignoring");
    c = await click(c, "Stop ignoring");
    c = await click(c, "Assign", { assignInput: "ME" });
    expect(cardText(c)).toContain(`Assigned to ${s.admin.email}`);
    c = await click(c, "Unassign");
    c = await click(c, "Assign", { assignInput: `team:${s.team.id}` });
    expect(cardText(c)).toContain(`#${s.team.slug}`);
    c = await click(c, "Unassign");
    c = await click(c, "Assign", { assignInput: `user:${s.member.id}` });
    expect(cardText(c)).toContain(`Assigned to ${s.member.email}`);
    const audit = await auditTypes(issueId);
    expect(audit.map((a) => a.type)).toEqual([
      "first_seen",
      "set_resolved_in_next_release",
      "set_unresolved",
      "set_ignored",
      "set_unresolved",
      "assigned",
      "unassigned",
      "assigned",
      "unassigned",
      "assigned",
    ]);
    expect(audit.slice(1).every((a) => a.source === "teams" && a.actor_user_id === s.admin.id)).toBe(true);
  });

  it("empty input changes nothing; assigning an outsider is refused with a message", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const before = await snapshotCounts();
    const puts = () => ms.connector.calls.filter((x) => x.method === "PUT").length;
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Resolve"), {}, { replyToId: "card-1" }));
    expect(puts()).toBe(0);
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Assign"), { assignInput: `user:${s.outsider.id}` }, { replyToId: "card-1" }));
    expect(await snapshotCounts()).toEqual(before);
    expect((await issueRow(issueId))!.status).toBe("unresolved");
    const refusal = ms.connector.calls.filter((c) => c.method === "POST" && c.segments[3] === "activities").at(-1)!;
    expect(cardText(cardOf(refusal.body))).toContain("not a member");
  });

  it("the card PUT after each click is exactly the card built from D1 afterwards (no second read, same truth)", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    // An assignee beyond the Assign list (which holds the first 100 by name) needs its label read again.
    const far = await env.DB.prepare("insert into users (email, name, created_at) values (?, 'zzz Far', 1) returning id")
      .bind(`far-${s.org.slug}@example.com`)
      .first<{ id: number }>();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'member', ?)").bind(s.org.id, far!.id, now),
      ...Array.from({ length: 100 }, (_, i) =>
        env.DB.prepare("insert into users (email, name, created_at) values (?, ?, 1)").bind(`bulk-${i}-${s.org.slug}@example.com`, `bulk ${i}`),
      ),
    ]);
    await env.DB.prepare(
      `insert into memberships (organization_id, user_id, role, created_at)
       select ?, id, 'member', ? from users where email like ?`,
    )
      .bind(s.org.id, now, `bulk-%-${s.org.slug}@example.com`)
      .run();
    const { loadIssueCardInput } = await import("../../src/alerts/issue-card-data");
    const { buildIssueMessage } = await import("../../src/cards/issue-card");
    let c: Record<string, any> = card;
    const click = async (title: string, inputs: Record<string, string> = {}) => {
      const data = dataOf(c, title);
      await sendActivity(ms, cardSubmit(ms, ada, data, inputs, { replyToId: "card-1" }));
      const { id: _id, ...put } = ms.connector.calls.filter((x) => x.method === "PUT").at(-1)!.body as Record<string, unknown>;
      const fromD1 = await loadIssueCardInput(db(), {
        issueId,
        integrationId,
        ruleIds: data.payload.rules,
        eventId: data.payload.eventId,
        baseUrl: "https://alerts.test",
      });
      expect(put, title).toEqual(JSON.parse(JSON.stringify(buildIssueMessage(fromD1!))));
      c = cardOf(put);
    };
    await click("Resolve", { resolveInput: "resolved" });
    await click("Unresolve");
    await click("Ignore", { ignoreInput: "duration:30" });
    await click("Stop ignoring");
    await click("Assign", { assignInput: "ME" });
    await click("Unassign");
    await click("Assign", { assignInput: `team:${s.team.id}` });
    await click("Unassign");
    await click("Assign", { assignInput: `user:${s.member.id}` });
    await click("Unassign");
    await click("Assign", { assignInput: `user:${far!.id}` });
    expect(cardText(c)).toContain(`Assigned to far-${s.org.slug}@example.com`);
    await click("Unassign");
    await click("Resolve", { resolveInput: "resolved:inNextRelease" });
  });

  it("a linked user who has left the organization can no longer act (404), nothing changed", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.member.id);
    await env.DB.prepare("delete from memberships where organization_id = ? and user_id = ?").bind(s.org.id, s.member.id).run();
    const before = await snapshotCounts();
    const res = await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Resolve"), { resolveInput: "resolved" }, { replyToId: "card-1" }));
    expect(res.status).toBe(404);
    expect(await snapshotCounts()).toEqual(before);
    expect((await issueRow(issueId))!.status).toBe("unresolved");
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(0);
  });

  it("'resolve in the current release' takes the project's newest release at the time of each click", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const t = Date.now() + 60_000; // newer than any release the ingest above may have recorded
    await env.DB.batch([
      env.DB.prepare("insert into releases (project_id, version, created_at) values (?, '7.0.0', ?)").bind(s.project.id, t - 1000),
      env.DB.prepare("insert into releases (project_id, version, created_at) values (?, '7.1.0', ?)").bind(s.project.id, t),
    ]);
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Resolve"), { resolveInput: "resolved:inCurrentRelease" }, { replyToId: "card-1" }));
    expect(JSON.parse((await issueRow(issueId))!.resolution)).toEqual({ kind: "inRelease", release: "7.1.0" });
    const resolvedCard = cardOf(ms.connector.calls.filter((x) => x.method === "PUT").at(-1)!.body);
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(resolvedCard, "Unresolve"), {}, { replyToId: "card-1" }));
    await env.DB.prepare("insert into releases (project_id, version, created_at) values (?, '8.0.0', ?)").bind(s.project.id, t + 1000).run();
    await sendActivity(ms, cardSubmit(ms, ada, dataOf(card, "Resolve"), { resolveInput: "resolved:inCurrentRelease" }, { replyToId: "card-1" }));
    expect(JSON.parse((await issueRow(issueId))!.resolution)).toEqual({ kind: "inRelease", release: "8.0.0" });
  });

  it("a click and its redelivery racing each other change the issue once", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const click = cardSubmit(ms, ada, dataOf(card, "Resolve"), { resolveInput: "resolved" }, { replyToId: "card-1" });
    const statuses = await Promise.all(Array.from({ length: 5 }, () => sendActivity(ms, click).then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect((await issueRow(issueId))!.status).toBe("resolved");
    expect((await auditTypes(issueId)).map((a) => a.type)).toEqual(["first_seen", "set_resolved"]);
  });

  it("cross-tenant, cross-org and edited payloads are rejected, nothing changed", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const other = await seedOrg();
    const foreign = await ingest(other);
    const before = await snapshotCounts();
    const data = dataOf(card, "Resolve");
    const edited = (patch: Record<string, unknown>) => ({ payload: { ...data.payload, ...patch } });
    const cases: [Record<string, unknown>, Record<string, unknown>, number][] = [
      [data, { tenant: "tenant-evil" }, 403],
      [edited({ groupId: foreign.issueId }), {}, 404],
      [edited({ integrationId: integrationId + 1000 }), {}, 404],
      [edited({ groupId: "1 or 1=1" }), {}, 400],
      [edited({ actionType: "9" }), {}, 400],
    ];
    for (const [d, opts, status] of cases) {
      const res = await sendActivity(ms, cardSubmit(ms, ada, d, { resolveInput: "resolved" }, { replyToId: "card-1", tenant: opts.tenant as string | undefined }));
      expect(res.status, JSON.stringify(d)).toBe(status);
    }
    expect(await snapshotCounts()).toEqual(before);
    expect((await issueRow(issueId))!.status).toBe("unresolved");
    expect((await issueRow(foreign.issueId))!.status).toBe("unresolved");
  });

  it("where the org turns it on, a Teams member with the same email is linked automatically (looked up by team id)", async () => {
    const { s, issueId, card } = await setUpIssueCard();
    const patch = await dispatch(
      new Request(`https://alerts.test/api/admin/organizations/${s.org.id}`, {
        method: "PATCH",
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: JSON.stringify({ autoLinkByEmail: true }),
      }),
    );
    expect(patch.status).toBe(200);
    // The roster lives under the team id, as in Teams; asked by the card's thread id the Connector answers 404
    // ThreadNotFound, and by the channel id alone it gives a partial roster that lacks Max (see the stand-in).
    const max = teamsUser("Max", s.member.email.toUpperCase());
    const stranger = teamsUser("Stranger", "nobody@example.com");
    ms.connector.teams.set(TEAM_ID, { details: { id: TEAM_ID, name: "Platform" }, channels: [{ id: TEAM_ID, name: null }, { id: ALERTS_CHANNEL, name: "Alerts" }] });
    ms.connector.members.set(TEAM_ID, [
      { id: stranger.id, name: "Stranger", email: "nobody@example.com" },
      { id: max.id, name: "Max", email: s.member.email.toUpperCase() },
    ]);
    await sendActivity(ms, cardSubmit(ms, max, dataOf(card, "Resolve"), { resolveInput: "resolved" }, { replyToId: "1700000000042" }));
    expect((await issueRow(issueId))!.status).toBe("resolved");
    const [identity] = await db().select().from(identities).where(eq(identities.teamsUserId, max.id));
    expect(identity.userId).toBe(s.member.id);
    const lookups = ms.connector.calls.filter((c) => c.method === "GET" && c.segments[3] === "members");
    expect(lookups.map((c) => [c.segments[2], c.segments[4], c.status])).toEqual([[TEAM_ID, max.id, 200]]);

    // Someone whose email matches nobody in the org still gets the link prompt.
    await sendActivity(ms, cardSubmit(ms, stranger, dataOf(card, "Ignore"), { ignoreInput: "-1" }, { replyToId: "1700000000042" }));
    expect((await issueRow(issueId))!.status).toBe("resolved");
    expect(await db().select().from(identities).where(eq(identities.teamsUserId, stranger.id))).toHaveLength(0);
    const prompt = ms.connector.calls.filter((c) => c.method === "POST" && c.segments[3] === "activities").at(-1)!;
    expect(actionTitled(cardOf(prompt.body), "Link your account").url).toMatch(/\/link\//);
  });

  it("in a personal or group chat, auto-link looks the clicker up in that chat's roster", async () => {
    const { s, issueId, card } = await setUpIssueCard();
    await db().update(organizations).set({ autoLinkByEmail: true }).where(eq(organizations.id, s.org.id));
    const max = teamsUser("Max", s.member.email);
    const chat = "19:group-chat-with-bot@thread.v2";
    ms.connector.members.set(chat, [{ id: max.id, name: "Max", email: s.member.email }]);
    const click = cardSubmit(ms, max, dataOf(card, "Resolve"), { resolveInput: "resolved" }, { replyToId: "1700000000043", conversationId: chat });
    await sendActivity(ms, { ...click, conversation: { id: chat, conversationType: "groupChat", tenantId: TENANT }, channelData: { tenant: { id: TENANT } } });
    expect((await issueRow(issueId))!.status).toBe("resolved");
    const lookups = ms.connector.calls.filter((c) => c.method === "GET" && c.segments[3] === "members");
    expect(lookups.map((c) => [c.segments[2], c.status])).toEqual([[chat, 200]]);
  });

  it("Action.Execute answers with the updated card in the invoke response", async () => {
    const { s, ada, integrationId, issueId, card } = await setUpIssueCard();
    await link(ada, integrationId, s.admin.id);
    const res = await sendActivity(ms, cardExecute(ms, ada, dataOf(card, "Ignore"), { ignoreInput: "duration:30" }, "card-9"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { statusCode: number; type: string; value: Record<string, unknown> };
    expect(body).toMatchObject({ statusCode: 200, type: "application/vnd.microsoft.card.adaptive" });
    expect(cardText(body.value)).toContain("Stop ignoring");
    expect(await issueRow(issueId)).toMatchObject({ status: "ignored" });
  });
});
