/**
 * A card click reads everything first (alongside the de-dup claim) and writes later; these interleave other work
 * between the two steps, as concurrent requests can, and check the answer and the refreshes stay truthful.
 * (Found by review: the first version built the card from counters and a posted-cards list read before the write.)
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadIssueCardInput } from "../../src/alerts/issue-card-data";
import { buildIssueCard } from "../../src/cards/issue-card";
import { cardActionPrefetch, handleCardAction } from "../../src/handlers/card-action";
import { classifyActivity } from "../../src/handlers/classify-activity";
import { botContext } from "../../src/handlers/context";
import { db, ingest, installAndSetUp, link } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg } from "../support/seed";
import { actionTitled, cardSubmit, newTeamsWorld, teamsUser } from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
});
afterEach(() => ms.stop());

async function setUp() {
  const s = await seedOrg();
  const ada = teamsUser("Ada", "ada@example.com");
  const integrationId = await installAndSetUp(ms, s, ada);
  const { issueId } = await ingest(s);
  const card = buildIssueCard((await loadIssueCardInput(db(), { issueId, integrationId, ruleIds: [], baseUrl: "https://alerts.test" }))!);
  await link(ada, integrationId, s.admin.id);
  const resolve = actionTitled(card, "Resolve");
  const data = resolve.type === "Action.ShowCard" ? resolve.card.actions[0].data : resolve.data;
  const activity = classifyActivity(cardSubmit(ms, ada, data, { resolveInput: "resolved" }, { replyToId: "card-1" }) as never);
  if (activity.kind !== "cardAction") throw new Error("not a card action");
  const ctx = botContext(env, null, "https://alerts.test/api/messages");
  // The card as D1 has it now, for the event the clicked card names (as the answer is built).
  const truth = async () =>
    buildIssueCard((await loadIssueCardInput(db(), { issueId, integrationId, ruleIds: [], eventId: data.payload.eventId, baseUrl: "https://alerts.test" }))!);
  // What dispatch does first: the click's reads as one D1 batch (here without the de-dup claim).
  const prefetch = async () => {
    const { statement, read } = cardActionPrefetch(ctx, activity)!;
    const [result] = await env.DB.batch([statement]);
    return read(result);
  };
  return { s, integrationId, issueId, activity, ctx, truth, prefetch };
}

describe("card click: work landing between the click's read and its write", () => {
  it("events ingested meanwhile are counted on the card it answers with", async () => {
    const { s, issueId, activity, ctx, truth, prefetch } = await setUp();
    const pre = await prefetch();
    await ingest(s);
    await ingest(s); // times_seen 1 → 3; the issue's version does not move for events
    const answer = (await handleCardAction(ctx, activity, pre)) as { value: unknown };
    expect(await env.DB.prepare("select times_seen, status from issues where id = ?").bind(issueId).first()).toMatchObject({ times_seen: 3, status: "resolved" });
    expect(answer.value).toEqual(await truth());
  });

  it("a card posted meanwhile is refreshed like every other posted card", async () => {
    const { integrationId, issueId, activity, ctx, prefetch } = await setUp();
    const pre = await prefetch();
    await env.DB.prepare(
      `insert into notification_messages (issue_id, rule_id, integration_id, conversation_id, activity_id, service_url, posted_at)
       values (?, null, ?, 'conv-late', 'late-card', ?, ?)`,
    )
      .bind(issueId, integrationId, ms.serviceUrl, Date.now())
      .run();
    await handleCardAction(ctx, activity, pre);
    const queued = await env.DB.prepare("select kind, data from deliveries where conversation_id = 'conv-late'").all<{ kind: string; data: string }>();
    expect(queued.results).toHaveLength(1);
    expect(queued.results[0].kind).toBe("update");
    expect(JSON.parse(queued.results[0].data)).toMatchObject({ activityId: "late-card" });
  });

  it("someone else's change meanwhile: the write re-plans, and the card is read again after it", async () => {
    const { s, issueId, activity, ctx, truth, prefetch } = await setUp();
    const pre = await prefetch();
    // Another member assigns the issue to a team between our read and our write (the version moves).
    await env.DB.batch([
      env.DB.prepare("insert into issue_assignees (issue_id, team_id, assigned_at) values (?, ?, ?)").bind(issueId, s.team.id, Date.now()),
      env.DB.prepare("update issues set version = version + 1 where id = ?").bind(issueId),
    ]);
    const answer = (await handleCardAction(ctx, activity, pre)) as { value: unknown };
    expect(answer.value).toEqual(await truth());
    expect(JSON.stringify(answer.value)).toContain(`#${s.team.slug}`);
  });
});
