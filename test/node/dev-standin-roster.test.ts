/**
 * The local dev stand-in's Connector (scripts/dev-standin/connector.mjs) keeps rosters as the real Connector does,
 * like the test stand-in: a channel thread id answers 404 ThreadNotFound, a channel id alone gives only part of the
 * team's roster, and the team id gives all of it. So `npm start` cannot hide a lookup by the wrong id either.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ES module without types
import { ConnectorStandIn } from "../../scripts/dev-standin/connector.mjs";
// @ts-expect-error plain ES module without types
import { DEMO_TEAMS, DEMO_USERS, seedConnector } from "../../scripts/dev-standin/world.mjs";

const TEAM = "19:team@thread.tacv2";
const CHANNEL = "19:alerts@thread.tacv2";

function connector() {
  const c = new ConnectorStandIn({ isIssuedToken: (t: string) => t === "issued" });
  c.teams.set(TEAM, { details: { id: TEAM, name: "Platform" }, channels: [{ id: TEAM, name: null }, { id: CHANNEL, name: "Alerts" }] });
  c.members.set(TEAM, [{ id: "29:ada", email: "ada@example.com" }, { id: "29:max", email: "max@example.com" }]);
  const get = (path: string) => c.handle("GET", path, {}, null, "Bearer issued") as { status: number; body: any };
  return { get };
}

const enc = encodeURIComponent;

describe("dev stand-in Connector rosters", () => {
  it("team id: the whole roster; channel thread id: 404 ThreadNotFound; channel id: a partial roster", () => {
    const { get } = connector();
    expect(get(`v3/conversations/${enc(TEAM)}/members/${enc("29:max")}`)).toMatchObject({ status: 200, body: { id: "29:max" } });
    expect(get(`v3/conversations/${enc(`${CHANNEL};messageid=17`)}/members/${enc("29:max")}`)).toMatchObject({
      status: 404,
      body: { error: { code: "ThreadNotFound" } },
    });
    expect(get(`v3/conversations/${enc(`${CHANNEL};messageid=17`)}/pagedmembers`)).toMatchObject({ status: 404, body: { error: { code: "ThreadNotFound" } } });
    expect(get(`v3/conversations/${enc(CHANNEL)}/members/${enc("29:max")}`)).toMatchObject({ status: 404, body: { error: { code: "MemberNotFoundInConversation" } } });
    expect(get(`v3/conversations/${enc(CHANNEL)}/pagedmembers`).body.members.map((m: { id: string }) => m.id)).toEqual(["29:ada"]);
    expect(get(`v3/conversations/${enc(TEAM)}/pagedmembers`).body.members.map((m: { id: string }) => m.id)).toEqual(["29:ada", "29:max"]);
  });

  it("answers the web app's target picker for the playground's teams: the channels list and the paged team roster", () => {
    const c = new ConnectorStandIn({ isIssuedToken: (t: string) => t === "issued" });
    seedConnector(c);
    const get = (path: string, query: Record<string, string> = {}) => c.handle("GET", path, query, null, "Bearer issued") as { status: number; body: any };
    const platform = DEMO_TEAMS[0];
    const channels = get(`v3/teams/${enc(platform.id)}/conversations`);
    expect(channels.status).toBe(200);
    // General is the unnamed channel whose id is the team id, as Teams answers.
    expect(channels.body.conversations).toEqual([{ id: platform.id, name: null }, { id: "19:demo-alerts-channel@thread.tacv2", name: "Alerts" }]);
    const first = get(`v3/conversations/${enc(platform.id)}/pagedmembers`, { pageSize: "2" });
    expect(first.status).toBe(200);
    expect(first.body.members).toHaveLength(2);
    expect(first.body.continuationToken).toEqual(expect.any(String));
    const rest = get(`v3/conversations/${enc(platform.id)}/pagedmembers`, { pageSize: "2", continuationToken: first.body.continuationToken });
    const names = [...first.body.members, ...rest.body.members].map((m: { name: string }) => m.name);
    expect(names.sort()).toEqual(DEMO_USERS.map((u: { name: string }) => u.name).sort());
  });
});
