/**
 * Alert routing from the chat, end to end: signed activities through the worker, the Connector stand-in answering,
 * real D1. Channel commands (subscribe / unsubscribe / subscriptions / help and the Unsubscribe button), each
 * refusal, a rule made in a channel that then fires on ingest into that channel, and the personal chat's follow /
 * notifications commands with their toggles and the personal alerts they govern.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { admin, db, ingest, installAndSetUp, link, settleDeliveries, signedInAs } from "../support/flows";
import { csrfIn } from "../support/web-browser";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import {
  actionTitled,
  allActions,
  ALERTS_CHANNEL,
  cardOf,
  cardSubmit,
  cardText,
  channelMention,
  newTeamsWorld,
  personalChatId,
  personalMessage,
  sendActivity,
  TEAM_ID,
  teamInstall,
  teamsUser,
  type TeamsUser,
} from "../support/teams";
import { projects } from "../../src/db/schema";

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
});
afterEach(async () => {
  await settleDeliveries().catch(() => {});
  ms.stop();
});

/** The thread a channel mention arrives in (support/teams.ts's channelMention): answers go there. */
const THREAD = () => `${ALERTS_CHANNEL};messageid=1`;

async function say(user: TeamsUser, text: string) {
  const res = await sendActivity(ms, channelMention(ms, user, text));
  expect(res.status).toBe(200);
  const answer = ms.connector.sent(THREAD()).at(-1);
  expect(answer, `no answer to "${text}"`).toBeDefined();
  return cardOf(answer);
}

async function tell(user: TeamsUser, text: string) {
  const res = await sendActivity(ms, personalMessage(ms, user, text));
  expect(res.status).toBe(200);
  return cardOf(ms.connector.sent(personalChatId(user)).at(-1));
}

async function channelRules(projectId: number) {
  const res = await admin(`/projects/${projectId}/rules`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { rules: Record<string, any>[] }).rules;
}

/** An organization installed in this team with Ada linked as its admin. */
async function setUp() {
  const s = await seedOrg();
  const ada = teamsUser("Ada", "ada@example.com");
  const integrationId = await installAndSetUp(ms, s, ada);
  await link(ada, integrationId, s.admin.id);
  return { s, ada, integrationId };
}

/** Another team of the same tenant, connected to `org`. */
async function connectAnotherTeam(s: SeededOrg, teamId: string) {
  const installer = teamsUser("Ian", "ian@example.com");
  await sendActivity(ms, teamInstall(ms, installer, { teamId, teamName: "Other" }));
  const setupUrl = actionTitled(cardOf(ms.connector.sent(teamId).at(-1)), "Complete setup").url as string;
  // A later team's setup: the organization's admin signs in and picks the organization.
  const b = await signedInAs(ms, s.admin);
  const page = await b.fetch(setupUrl);
  const res = await b.post(setupUrl, { csrf: csrfIn(await page.text()), organization: s.org.slug });
  expect(res.status, await res.clone().text()).toBe(200);
}

const posts = (conversationId: string) =>
  ms.connector.calls.filter((c) => c.method === "POST" && c.segments[2] === conversationId && c.segments[3] === "activities" && c.segments.length === 4 && c.status < 300);

describe("channel commands", () => {
  it("subscribe by an admin creates the channel's rule (who, from where), the API sees and edits it, and it fires on ingest into the channel", async () => {
    const { s, ada, integrationId } = await setUp();
    const card = await say(ada, `subscribe ${s.project.slug}`);
    expect(cardText(card)).toContain(`Subscribed: ${s.project.slug} alerts come to this channel`);
    expect(cardText(card)).toContain('"value":"Alerts"');
    expect(cardText(card)).toContain("New issues, regressions");

    const [rule] = await channelRules(s.project.id);
    expect(rule).toMatchObject({
      conditions: { newIssue: true, regression: true },
      filters: {},
      action: { integrationId, target: "Alerts", targetType: "channel", conversationId: ALERTS_CHANNEL },
      frequencyMinutes: 30,
      status: "active",
      createdBy: { userId: s.admin.id },
      createdVia: "teams",
    });
    // Editable through the API like any rule.
    const patched = await admin(`/rules/${rule.id}`, { method: "PATCH", body: { name: "Renamed in the API" } });
    expect(patched.status).toBe(200);

    const { issueId } = await ingest(s, { message: "Checkout crashed" });
    await settleDeliveries();
    const posted = posts(ALERTS_CHANNEL);
    expect(posted).toHaveLength(1);
    expect(cardText(cardOf(posted[0].body))).toContain("Checkout crashed");
    const row = await env.DB.prepare("select rule_id, conversation_id from notification_messages where issue_id = ?").bind(issueId).first();
    expect(row).toEqual({ rule_id: rule.id, conversation_id: ALERTS_CHANNEL });
  });

  it("subscribe again with options updates the same rule; its filters hold on ingest", async () => {
    const { s, ada } = await setUp();
    await say(ada, `subscribe ${s.project.slug}`);
    const card = await say(ada, `subscribe ${s.project.slug} escalations level>=error env="prod eu"`);
    expect(cardText(card)).toContain(`Updated: ${s.project.slug} alerts in this channel`);
    const rules = await channelRules(s.project.id);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ conditions: { escalation: true }, filters: { levelAtLeast: "error", environment: "prod eu" } });
    expect(rules[0].conditions).not.toHaveProperty("newIssue");

    await say(ada, `subscribe ${s.project.slug} new level>=error env="prod eu"`);
    await ingest(s, { message: "Only a warning", level: "warning", environment: "prod eu" });
    await ingest(s, { message: "Wrong environment", level: "fatal", environment: "staging" });
    await ingest(s, { message: "This one counts", level: "error", environment: "prod eu" });
    await settleDeliveries();
    const texts = posts(ALERTS_CHANNEL).map((c) => cardText(cardOf(c.body)));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("This one counts");
  });

  it("subscriptions lists the channel's rules; Unsubscribe disables one and updates the list in place; nothing fires after", async () => {
    const { s, ada, integrationId } = await setUp();
    await say(ada, `subscribe ${s.project.slug} regressions`);
    const list = await say(ada, "subscriptions");
    expect(cardText(list)).toContain(s.project.slug);
    expect(cardText(list)).toContain("Regressions");
    const button = actionTitled(list, "Unsubscribe");
    const [rule] = await channelRules(s.project.id);
    expect(button.data).toEqual({ payload: { actionType: "6", ruleId: rule.id, integrationId } });

    const res = await sendActivity(ms, cardSubmit(ms, ada, button.data, {}, { replyToId: "list-1" }));
    expect(res.status).toBe(200);
    const put = ms.connector.calls.filter((c) => c.method === "PUT").at(-1)!;
    // As issue cards: the PUT goes to the click's conversation (the card's thread) over the clicked activity.
    expect(put.segments).toEqual(["v3", "conversations", `${ALERTS_CHANNEL};messageid=list-1`, "activities", "list-1"]);
    const updated = cardOf(put.body);
    expect(cardText(updated)).toContain("(disabled)");
    expect(allActions(updated).filter((a) => a.title === "Unsubscribe")).toHaveLength(0);
    expect((await channelRules(s.project.id))[0]).toMatchObject({ status: "disabled", statusReason: `Unsubscribed in Teams by ${s.admin.email}` });

    await ingest(s, { message: "After unsubscribing" });
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(0);
  });

  it("unsubscribe disables the rule and keeps it (history stays); unsubscribing again says there is nothing to stop", async () => {
    const { s, ada } = await setUp();
    await say(ada, `subscribe ${s.project.slug}`);
    const { issueId } = await ingest(s, { message: "Before" });
    await settleDeliveries();
    expect(posts(ALERTS_CHANNEL)).toHaveLength(1);
    expect(cardText(await say(ada, `unsubscribe ${s.project.slug}`))).toContain("Unsubscribed from");
    const rules = await channelRules(s.project.id);
    expect(rules).toHaveLength(1);
    expect(rules[0].status).toBe("disabled");
    const kept = await env.DB.prepare("select count(*) as n from notification_messages where issue_id = ?").bind(issueId).first<{ n: number }>();
    expect(kept?.n).toBe(1);
    expect(cardText(await say(ada, `unsubscribe ${s.project.slug}`))).toContain("nothing to stop");
    // Subscribing again re-enables the same rule.
    await say(ada, `subscribe ${s.project.slug}`);
    expect(await channelRules(s.project.id)).toMatchObject([{ id: rules[0].id, status: "active", statusReason: null }]);
  });

  it("help (and a bare mention) answer with the channel's command reference, in the command's thread", async () => {
    const { ada } = await setUp();
    for (const text of ["help", ""]) {
      const card = await say(ada, text);
      expect(cardText(card)).toContain("**subscribe <\u200Bproject> [new] [regressions] [escalations] [level>=<\u200Blevel>] [env=<\u200Benvironment>]**");
      expect(cardText(card)).toContain("Example: @Issue Alerts subscribe api escalations level>=error env=production");
    }
    expect(posts(ALERTS_CHANNEL)).toHaveLength(0);
  });
});

describe("channel refusals", () => {
  it("an unlinked user is told to link; nothing is created", async () => {
    const { s } = await setUp();
    const bob = teamsUser("Bob", "bob@example.com");
    const card = await say(bob, `subscribe ${s.project.slug}`);
    expect(cardText(card)).toContain("Link your account first");
    expect(cardText(card)).toContain("type **link**");
    expect(await channelRules(s.project.id)).toHaveLength(0);
  });

  it("a member is refused with the admins to ask, until the organization lets members subscribe channels", async () => {
    const { s, integrationId } = await setUp();
    const max = teamsUser("Max", "max@example.com");
    await link(max, integrationId, s.member.id);
    const card = await say(max, `subscribe ${s.project.slug}`);
    expect(cardText(card)).toContain(`Only admins of ${s.org.name} can route alerts to a channel`);
    expect(cardText(card)).toContain(s.admin.email);
    expect(await channelRules(s.project.id)).toHaveLength(0);
    // Members may list.
    expect(cardText(await say(max, "subscriptions"))).toContain("Nothing is routed here yet");

    const res = await admin(`/organizations/${s.org.id}`, { method: "PATCH", body: { membersCanSubscribeChannels: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ membersCanSubscribeChannels: true });
    expect(cardText(await say(max, `subscribe ${s.project.slug}`))).toContain("Subscribed");
    expect((await channelRules(s.project.id))[0]).toMatchObject({ createdBy: { userId: s.member.id }, createdVia: "teams" });
  });

  it("a linked user outside the organization is refused", async () => {
    const { s, integrationId } = await setUp();
    const olga = teamsUser("Olga", "olga@example.com");
    await link(olga, integrationId, s.outsider.id);
    expect(cardText(await say(olga, `subscribe ${s.project.slug}`))).toContain(`You are not a member of ${s.org.name}`);
    expect(await channelRules(s.project.id)).toHaveLength(0);
  });

  it("in a group chat (no team) the commands say where they work", async () => {
    const { s, ada } = await setUp();
    const mention = channelMention(ms, ada, `subscribe ${s.project.slug}`);
    const groupChat = `19:group-${Date.now()}@thread.v2`;
    mention.conversation = { id: groupChat, conversationType: "groupChat", tenantId: mention.conversation!.tenantId };
    mention.channelData = { tenant: mention.channelData!.tenant };
    expect((await sendActivity(ms, mention)).status).toBe(200);
    expect(cardText(cardOf(ms.connector.sent(groupChat).at(-1)))).toContain("Alerts go to team channels");
    expect(await channelRules(s.project.id)).toHaveLength(0);
  });

  it("a team that is not set up says so", async () => {
    await seedOrg();
    const ada = teamsUser("Ada", "ada@example.com");
    await sendActivity(ms, teamInstall(ms, ada));
    expect(cardText(await say(ada, "subscribe api"))).toContain("is not set up for this team");
  });

  it("unknown and ambiguous names get the close matches; a project of another connected organization is refused", async () => {
    const { s, ada } = await setUp();
    const typo = s.project.slug.replace(/^api/, "apl");
    const unknown = await say(ada, `subscribe ${typo}`);
    expect(cardText(unknown)).toContain(`No project called ${typo}`);
    expect(cardText(unknown)).toContain(`**subscribe ${s.project.slug}**`);
    expect(cardText(await say(ada, "subscribe zzzzzzzzzz"))).toContain("No project of the organizations connected");

    // A second organization connected to the same tenant (another team), with a project of the same slug.
    const other = await seedOrg();
    await db().update(projects).set({ slug: s.project.slug }).where(eq(projects.id, other.project.id));
    await connectAnotherTeam(other, `19:other-${Date.now()}@thread.tacv2`);
    const ambiguous = await say(ada, `subscribe ${s.project.slug}`);
    expect(cardText(ambiguous)).toContain(`Several projects are called ${s.project.slug}`);
    expect(cardText(ambiguous)).toContain(`**subscribe ${s.org.slug}/${s.project.slug}**`);
    expect(cardText(ambiguous)).toContain(`**subscribe ${other.org.slug}/${s.project.slug}**`);
    expect(cardText(await say(ada, `subscribe ${other.org.slug}/${s.project.slug}`))).toContain("belongs to another organization");
    expect(cardText(await say(ada, `subscribe ${s.org.slug}/${s.project.slug}`))).toContain("Subscribed");
    expect(await channelRules(other.project.id)).toHaveLength(0);
  });

  it("usage mistakes get a usage card; Unsubscribe on another channel's rule, or by a member, changes nothing", async () => {
    const { s, ada, integrationId } = await setUp();
    const usage = await say(ada, "subscribe api level>=loud");
    expect(cardText(usage)).toContain("the level must be one of debug, info, warning, error, fatal");
    expect(cardText(usage)).toContain("Usage");
    expect(cardText(await say(ada, "notifications"))).toContain("works in a personal chat");

    await say(ada, `subscribe ${s.project.slug}`);
    const [rule] = await channelRules(s.project.id);
    const max = teamsUser("Max", "max@example.com");
    await link(max, integrationId, s.member.id);
    const data = { payload: { actionType: "6", ruleId: rule.id, integrationId } };
    await sendActivity(ms, cardSubmit(ms, max, data, {}, { replyToId: "list-2" }));
    expect(cardText(cardOf(ms.connector.sent(`${ALERTS_CHANNEL};messageid=list-2`).at(-1)))).toContain("Only admins");
    await sendActivity(ms, cardSubmit(ms, ada, { payload: { actionType: "6", ruleId: rule.id + 1000, integrationId } }, {}, { replyToId: "list-3" }));
    expect(cardText(cardOf(ms.connector.sent(`${ALERTS_CHANNEL};messageid=list-3`).at(-1)))).toContain("not one of this channel's");
    await sendActivity(ms, cardSubmit(ms, ada, { payload: { actionType: "6", ruleId: "x" } }, {}, { replyToId: "list-4" }));
    expect(cardText(cardOf(ms.connector.sent(`${ALERTS_CHANNEL};messageid=list-4`).at(-1)))).toContain("could not be read");
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(0);
    expect((await channelRules(s.project.id))[0].status).toBe("active");
  });

  it("fuzzed: any mention text gets 200 and one card in the thread, never a 500", async () => {
    const { ada } = await setUp();
    const word = fc.constantFrom("subscribe", "unsubscribe", "subscriptions", "help", "new", "level>=", "env=", '"', "/", "&quot;", "<b>", "level>=error");
    const text = fc.array(fc.oneof(word, fc.string({ maxLength: 12 })), { maxLength: 6 }).map((p) => p.join(" "));
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const before = ms.connector.sent(THREAD()).length;
        const res = await sendActivity(ms, channelMention(ms, ada, t));
        expect(res.status).toBe(200);
        const sent = ms.connector.sent(THREAD());
        expect(sent.length).toBe(before + 1);
        expect(cardOf(sent.at(-1))).toMatchObject({ type: "AdaptiveCard", version: "1.5" });
      }),
      { numRuns: 40 },
    );
  });
});

describe("personal chat", () => {
  it("subscribe follows a project, notifications shows the toggles, Save stores them and updates the card", async () => {
    const { s, ada } = await setUp();
    expect(cardText(await tell(ada, `subscribe ${s.project.slug}`))).toContain(`You follow ${s.project.slug}`);
    expect(cardText(await tell(ada, `subscribe ${s.project.slug}`))).toContain(`You already follow ${s.project.slug}`);
    const card = await tell(ada, "notifications");
    const toggles = JSON.parse(cardText(card)).body.filter((e: any) => e.type === "Input.Toggle");
    expect(toggles.map((t: any) => [t.id, t.value])).toEqual([
      ["notifyAssigned", "true"],
      ["notifyResolvedRegressed", "true"],
      ["notifyFollowedNew", "true"],
    ]);
    expect(cardText(card)).toContain(`Projects you follow: ${s.project.slug}`);

    const save = actionTitled(card, "Save");
    const submit = { ...cardSubmit(ms, ada, save.data, { notifyAssigned: "false", notifyResolvedRegressed: "true", notifyFollowedNew: "false" }, { replyToId: "settings-1" }) };
    submit.conversation = { id: personalChatId(ada), conversationType: "personal", tenantId: submit.conversation!.tenantId };
    submit.channelData = { tenant: submit.channelData!.tenant };
    expect((await sendActivity(ms, submit)).status).toBe(200);
    const put = ms.connector.calls.filter((c) => c.method === "PUT").at(-1)!;
    expect(put.segments).toEqual(["v3", "conversations", personalChatId(ada), "activities", "settings-1"]);
    expect(cardText(cardOf(put.body))).toContain("Saved.");
    const stored = await env.DB.prepare(
      "select u.notify_on_assign a, n.resolved_regressed r, n.followed_new f from users u join notification_settings n on n.user_id = u.id where u.id = ?",
    )
      .bind(s.admin.id)
      .first();
    expect(stored).toEqual({ a: 0, r: 1, f: 0 });

    expect(cardText(await tell(ada, `unsubscribe ${s.project.slug}`))).toContain(`You no longer follow ${s.project.slug}`);
    expect(cardText(await tell(ada, `unsubscribe ${s.project.slug}`))).toContain("nothing to stop");
    expect(cardText(await tell(ada, "subscribe api new"))).toContain("options are for channels");
  });

  it("an unlinked person is told to link; unknown projects get close matches", async () => {
    const { s, ada } = await setUp();
    const bob = teamsUser("Bob", "bob@example.com");
    expect(cardText(await tell(bob, `subscribe ${s.project.slug}`))).toContain("Link your account first");
    expect(cardText(await tell(bob, "notifications"))).toContain("Link your account first");
    // A Save from someone not (or no longer) linked: a refusal card, the card stays, nothing is stored.
    const settingsRows = () => env.DB.prepare("select count(*) as n from notification_settings").first<{ n: number }>();
    const before = await settingsRows();
    const save = cardSubmit(ms, bob, { payload: { actionType: "7" } }, { notifyAssigned: "false", notifyResolvedRegressed: "false", notifyFollowedNew: "false" }, { replyToId: "s-1" });
    save.conversation = { id: personalChatId(bob), conversationType: "personal", tenantId: save.conversation!.tenantId };
    save.channelData = { tenant: save.channelData!.tenant };
    expect((await sendActivity(ms, save)).status).toBe(200);
    expect(cardText(cardOf(ms.connector.sent(personalChatId(bob)).at(-1)))).toContain("Link your account first");
    expect(ms.connector.calls.filter((c) => c.method === "PUT")).toHaveLength(0);
    expect(await settingsRows()).toEqual(before);
    expect(cardText(await tell(ada, "subscribe nope-nope"))).toContain("No project called nope-nope");
  });

  it("a linked person outside every connected organization, and a tenant with nothing set up, are told why", async () => {
    const { s, integrationId } = await setUp();
    const olga = teamsUser("Olga", "olga@example.com");
    await link(olga, integrationId, s.outsider.id);
    expect(cardText(await tell(olga, `subscribe ${s.project.slug}`))).toContain("You are not a member of any organization here");
    const carl = teamsUser("Carl", "carl@example.com");
    await sendActivity(ms, personalMessage(ms, carl, "notifications", "tenant-with-nothing"));
    expect(cardText(cardOf(ms.connector.sent(personalChatId(carl)).at(-1)))).toContain("is not set up yet");
  });

  it("a followed project's new issue comes to the follower's chat; turned off, it doesn't; a regression of what I resolved does", async () => {
    const { s, ada } = await setUp();
    await tell(ada, `subscribe ${s.project.slug}`);
    const { issueId } = await ingest(s, { message: "Followed and new" });
    await settleDeliveries();
    const personal = await env.DB.prepare("select kind, status from deliveries where issue_id = ? and kind = 'personal'").bind(issueId).all();
    expect(personal.results).toEqual([{ kind: "personal", status: "delivered" }]);
    const chat = `a:standin-personal-${ada.id}`;
    expect(cardText(cardOf(ms.connector.sent(chat).at(-1)))).toContain("Followed and new");

    // Resolve it as Ada (from the personal card), then a new event regresses it: Ada hears about it.
    const card = cardOf(ms.connector.sent(chat).at(-1));
    const resolve = actionTitled(card, "Resolve");
    await sendActivity(ms, cardSubmit(ms, ada, resolve.card.actions[0].data, { resolveInput: "resolved" }, { replyToId: "p-1", conversationId: chat }));
    await settleDeliveries();
    const beforeRegression = ms.connector.sent(chat).length;
    const again = await ingest(s, { message: "Followed and new" });
    expect(again).toMatchObject({ issueId, isRegression: true });
    await settleDeliveries();
    expect(ms.connector.sent(chat).length).toBe(beforeRegression + 1);

    // With both settings off: nothing personal for a new issue.
    await env.DB.prepare("insert into notification_settings (user_id, resolved_regressed, followed_new, updated_at) values (?, 0, 0, 0)").bind(s.admin.id).run();
    const quiet = await ingest(s, { message: "Followed but muted" });
    await settleDeliveries();
    const none = await env.DB.prepare("select count(*) as n from deliveries where issue_id = ? and kind = 'personal'").bind(quiet.issueId).first<{ n: number }>();
    expect(none?.n).toBe(0);
  });
});
