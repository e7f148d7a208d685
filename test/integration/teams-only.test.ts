/**
 * Only Teams may act. Real Bot Framework signing keys are endorsed for several channels (an Azure Bot has Web Chat
 * and Direct Line on by default), and on those channels the client picks `from.id` and `channelData` itself. So an
 * activity whose token verifies but whose `channelId` is not "msteams" is acknowledged and ignored: nothing is read
 * or written, nothing is sent. The stand-in's key here is endorsed the way real keys are.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingest, installAndSetUp, link } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, snapshotCounts } from "../support/seed";
import { cardExecute, cardSubmit, newTeamsWorld, personalMessage, sendActivity, TEAM_ID, teamInstall, teamsUser, teamUninstall } from "../support/teams";

let ms: MicrosoftStandIn;
beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn({ endorsements: ["msteams", "webchat", "directline"] });
});
afterEach(() => ms.stop());

/** Everything an ignored activity must leave alone, including the de-dup claims and the stored serviceUrl. */
async function fingerprint() {
  const extra = await env.DB.prepare(
    `select (select count(*) from processed_activities) pa, (select count(*) from used_nonces) un,
            (select group_concat(id || ':' || status || ':' || service_url || ':' || coalesce(organization_id, 0)) from integrations) it,
            (select group_concat(id || ':' || status || ':' || version) from issues) g`,
  ).first();
  return { counts: await snapshotCounts(), extra };
}

describe("activities from channels other than Teams", () => {
  it("a card click, a command, an install and a removal via Web Chat / Direct Line: 200, nothing read, written or sent", async () => {
    const s = await seedOrg();
    const ada = teamsUser("Ada", "ada@example.com");
    const integrationId = await installAndSetUp(ms, s, ada);
    await link(ada, integrationId, s.admin.id);
    const { issueId } = await ingest(s);
    const resolve = { payload: { actionType: "1", groupId: issueId, eventId: null, rules: [], integrationId } };
    const callsBefore = ms.connector.calls.length;
    const before = await fingerprint();

    // The attacker's Direct Line client claims to be Ada in the team, from another Connector region.
    const otherServiceUrl = "https://directline.botframework.test/";
    for (const channelId of ["webchat", "directline"]) {
      const activities = [
        cardSubmit(ms, ada, resolve, { resolveInput: "resolved" }, { replyToId: "card-1" }),
        cardExecute(ms, ada, resolve, { resolveInput: "resolved" }, "card-1"),
        personalMessage(ms, ada, "link"),
        teamInstall(ms, ada, { teamId: `19:other-team-${channelId}@thread.tacv2` }),
        teamUninstall(ms, ada),
        { ...cardSubmit(ms, ada, resolve, { resolveInput: "resolved" }, { replyToId: "card-1" }), serviceUrl: otherServiceUrl },
      ];
      for (const activity of activities) {
        const res = await sendActivity(ms, { ...activity, channelId });
        expect(res.status, `${channelId} ${activity.type}`).toBe(200);
        expect(await res.text(), `${channelId} ${activity.type}`).toBe("");
      }
    }
    expect(await fingerprint()).toEqual(before);
    expect(ms.connector.calls.length).toBe(callsBefore);

    // The same click from Teams does act (the activities above were refused for their channel, nothing else).
    expect((await sendActivity(ms, cardSubmit(ms, ada, resolve, { resolveInput: "resolved" }, { replyToId: "card-1" }))).status).toBe(200);
    expect((await env.DB.prepare("select status from issues where id = ?").bind(issueId).first<{ status: string }>())!.status).toBe("resolved");
  });

  it("a channel the key is not endorsed for is still a 401 (endorsements are checked first)", async () => {
    const res = await sendActivity(ms, { ...personalMessage(ms, teamsUser("Eve", "e@x"), "help"), channelId: "slack" });
    expect(res.status).toBe(401);
  });
});
