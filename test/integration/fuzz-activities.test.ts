/**
 * Fuzzing POST /api/messages with fast-check: activities generated from the shapes Teams really sends (team
 * and personal installs / removals, installationUpdate, personal and channel messages, Action.Submit with every
 * input value, Action.Execute invokes), then mutated (fields removed, retyped, replaced by arbitrary JSON,
 * payload ids and tenants edited). All are validly signed: the token is signed once for the stand-in's
 * serviceUrl and reused, since the body (not the token) is what varies; a mutated serviceUrl is then a real
 * binding failure.
 *
 * Properties, checked per activity: never a 5xx (the status is one of the documented ones); and a write
 * fingerprint of D1 (row counts of every domain table, the sum of issue versions, integration states) changes
 * only when the generator says the activity is one that may write (a valid card action by the linked user on
 * the org's own issue, an install of a new team). Everything else — tampered ids, other tenants, unlinked users,
 * unknown types, garbage values, any activity relayed from a channel other than Teams — must leave D1 exactly as
 * it was.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ingest, installAndSetUp, link } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { signBotToken } from "../support/bot-tokens";
import { seedOrg, type SeededOrg } from "../support/seed";
import { BOT_ID, dispatch, newTeamsWorld, TEAM_ID, TENANT, ALERTS_CHANNEL, teamsUser, type TeamsUser } from "../support/teams";
import { paths, setPath } from "../support/json-paths";


const RUNS = 10_000;
const ALLOWED = new Set([200, 400, 401, 403, 404, 409, 413]);

type Case = { activity: Record<string, unknown>; mayWrite: boolean; label: string };

let ms: MicrosoftStandIn;
let authorization: string;
let s: SeededOrg;
let other: SeededOrg;
let ada: TeamsUser; // linked to the org's admin
let stranger: TeamsUser; // never linked
let integrationId: number;
let issueId: number;
let foreignIssueId: number;
let seq = 0;

beforeAll(async () => {
  newTeamsWorld();
  // Endorsed as real Bot Framework keys are: Teams and the channels an Azure Bot has on by default.
  ms = await startMicrosoftStandIn({ endorsements: ["msteams", "webchat", "directline"] });
  s = await seedOrg();
  other = await seedOrg();
  ada = teamsUser("Ada", "ada@example.com");
  stranger = teamsUser("Sam", "sam@example.com");
  integrationId = await installAndSetUp(ms, s, ada);
  await link(ada, integrationId, s.admin.id);
  issueId = (await ingest(s)).issueId;
  await ingest(s, { message: "release marker", release: "2.0.0" });
  foreignIssueId = (await ingest(other)).issueId;
  authorization = `Bearer ${await signBotToken({ key: ms.signingKey, serviceUrl: ms.serviceUrl, lifetime: 3600 })}`;
}, 30_000);
afterAll(() => ms.stop());

/** Everything a refused activity must not change, as one string. */
async function fingerprint(): Promise<string> {
  const row = await env.DB.prepare(
    `select (select count(*) from issues) g, (select coalesce(sum(version), 0) from issues) v,
            (select group_concat(status || ':' || coalesce(ignore_conditions, '') || ':' || coalesce(resolution, '')) from issues) st,
            (select count(*) from issue_activity) ga, (select count(*) from issue_assignees) gs,
            (select group_concat(coalesce(user_id, 0) || '/' || coalesce(team_id, 0)) from issue_assignees) who,
            (select count(*) from events) e, (select count(*) from identities) i,
            (select group_concat(id || ':' || status || ':' || coalesce(organization_id, 0)) from integrations) it,
            (select count(*) from notification_messages) n, (select count(*) from deliveries) d,
            (select count(*) from users) u, (select count(*) from memberships) m, (select count(*) from alert_rules) r`,
  ).first();
  return JSON.stringify(row);
}

// --------------------------------------------------------------------------------------------------------
// Generators: valid Teams shapes
// --------------------------------------------------------------------------------------------------------

function base(from: TeamsUser | { id: string; name?: string; aadObjectId?: string }) {
  return {
    type: "message",
    id: "", // filled in per send (unique, so dedupe does not hide anything)
    timestamp: new Date().toISOString(),
    serviceUrl: ms.serviceUrl,
    channelId: "msteams",
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: BOT_ID(), name: "Issue Alerts" },
    locale: "en-US",
  };
}

function channelData(teamId = TEAM_ID, tenant = TENANT) {
  return { tenant: { id: tenant }, team: { id: teamId, name: "Platform" }, channel: { id: ALERTS_CHANNEL } };
}

const RESOLVE_VALUES = ["resolved", "resolved:inCurrentRelease", "resolved:inNextRelease", "", "resolved:inRelease", "unresolved", "x"];
const IGNORE_VALUES = ["-1", "1", "10", "100", "1000", "10000", "duration:30", "duration:120", "duration:1440", "duration:10080", "users:10", "users:100", "", "0", "-5", "1e9", "duration:-1", "users:abc"];
const assignValues = () => ["ME", "me", `team:${s.team.id}`, `user:${s.member.id}`, `user:${s.admin.id}`, `user:${s.outsider.id}`, `team:${other.team.id}`, `user:${other.admin.id}`, "team:", "user:0", "", "nobody"];

const userArb = fc.constantFrom<"ada" | "stranger">("ada", "ada", "ada", "stranger");
const who = (u: "ada" | "stranger") => (u === "ada" ? ada : stranger);

/** A card click as Teams delivers it: Action.Submit (message with value) or Action.Execute (invoke). */
const cardActionArb = fc
  .record({
    user: userArb,
    actionType: fc.constantFrom("1", "2", "3", "4", "5"),
    via: fc.constantFrom("submit", "execute"),
    resolveInput: fc.option(fc.constantFrom(...RESOLVE_VALUES), { nil: undefined }),
    ignoreInput: fc.option(fc.constantFrom(...IGNORE_VALUES), { nil: undefined }),
    assignIndex: fc.option(fc.nat({ max: 11 }), { nil: undefined }),
    rules: fc.array(fc.nat({ max: 10_000 }), { maxLength: 3 }),
  })
  .map((r) => {
    const inputs: Record<string, string> = {};
    if (r.resolveInput !== undefined) inputs.resolveInput = r.resolveInput;
    if (r.ignoreInput !== undefined) inputs.ignoreInput = r.ignoreInput;
    if (r.assignIndex !== undefined) inputs.assignInput = assignValues()[r.assignIndex];
    const data = { payload: { actionType: r.actionType, groupId: issueId, eventId: null, rules: r.rules.map(String), integrationId }, ...inputs };
    const common = {
      ...base(who(r.user)),
      replyToId: "1700000000001",
      conversation: { id: `${ALERTS_CHANNEL};messageid=1700000000001`, conversationType: "channel", tenantId: TENANT, isGroup: true },
      channelData: channelData(),
    };
    const activity =
      r.via === "submit"
        ? { ...common, type: "message", value: data }
        : { ...common, type: "invoke", name: "adaptiveCard/action", value: { action: { type: "Action.Execute", verb: "issueAction", data } } };
    // Only the linked user acting on their org's issue through this integration may change anything.
    return { activity, mayWrite: r.user === "ada", label: `card ${r.via} ${r.actionType}` } as Case;
  });

const textArb = fc.oneof(
  fc.constantFrom("help", "link", "unlink", "", "  HELP ", "status", "<at>Issue Alerts</at> help", "<at>Issue Alerts</at>"),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

const personalMessageArb = fc.record({ text: textArb }).map(({ text }) => ({
  activity: {
    ...base(stranger),
    text,
    conversation: { id: `a:personal-${stranger.id}`, conversationType: "personal", tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
  },
  mayWrite: false,
  label: "personal message",
}));

const channelMessageArb = fc.record({ text: textArb, user: userArb }).map(({ text, user }) => ({
  activity: {
    ...base(who(user)),
    text: `<at>Issue Alerts</at> ${text}`,
    entities: [{ type: "mention", mentioned: { id: BOT_ID(), name: "Issue Alerts" }, text: "<at>Issue Alerts</at>" }],
    conversation: { id: `${ALERTS_CHANNEL};messageid=1`, conversationType: "channel", tenantId: TENANT, isGroup: true },
    channelData: channelData(),
  },
  mayWrite: false,
  label: "channel message",
}));

/** Team member added / removed (bot or someone else), installationUpdate add / remove, personal installs. */
const membershipArb = fc
  .record({
    kind: fc.constantFrom("teamMemberAdded", "teamMemberRemoved", "installationUpdate", "personal"),
    bot: fc.boolean(),
    action: fc.constantFrom("add", "remove", "add-upgrade", "remove-upgrade", "nonsense"),
    newTeam: fc.boolean(),
  })
  .map((r) => {
    // Removing the bot from the real team would disable the integration the card actions need: those removals go
    // to a team the bot is not in (nothing to change). Adds of a new team create a pending integration.
    const teamId = r.newTeam || r.kind !== "teamMemberAdded" ? `19:fuzz-team-${++seq}@thread.tacv2` : TEAM_ID;
    const member = r.bot ? { id: BOT_ID() } : { id: `29:someone-${seq}` };
    if (r.kind === "personal") {
      return {
        activity: {
          ...base(stranger),
          type: r.action.startsWith("remove") ? "installationUpdate" : "conversationUpdate",
          action: r.action,
          membersAdded: [member],
          conversation: { id: `a:personal-${stranger.id}`, conversationType: "personal", tenantId: TENANT },
          channelData: { tenant: { id: TENANT } },
        },
        mayWrite: false,
        label: "personal install",
      } as Case;
    }
    const conversation = { id: teamId, conversationType: "channel", tenantId: TENANT, isGroup: true };
    if (r.kind === "installationUpdate") {
      return {
        activity: { ...base(ada), type: "installationUpdate", action: r.action, conversation, channelData: channelData(teamId) },
        mayWrite: r.action.startsWith("add") && teamId !== TEAM_ID,
        label: `installationUpdate ${r.action}`,
      } as Case;
    }
    const added = r.kind === "teamMemberAdded";
    return {
      activity: {
        ...base(ada),
        type: "conversationUpdate",
        conversation,
        channelData: { ...channelData(teamId), eventType: r.kind },
        ...(added ? { membersAdded: [member] } : { membersRemoved: [member] }),
      },
      mayWrite: added && r.bot && teamId !== TEAM_ID,
      label: `conversationUpdate ${r.kind}`,
    } as Case;
  });

const validArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 5, arbitrary: cardActionArb },
  { weight: 2, arbitrary: personalMessageArb },
  { weight: 2, arbitrary: channelMessageArb },
  { weight: 2, arbitrary: membershipArb },
);

// --------------------------------------------------------------------------------------------------------
// Mutations
// --------------------------------------------------------------------------------------------------------

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constant("1 or 1=1"),
  fc.constant("__proto__"),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);



/** Any field of a valid activity removed or replaced by arbitrary JSON. May or may not stay valid: only no 5xx. */
const structuralArb = fc
  .tuple(validArb, fc.nat(), junk, fc.boolean())
  .map(([c, pick, value, remove]) => {
    const ps = paths(c.activity).filter((p) => !(p.length === 1 && p[0] === "id"));
    const path = ps[pick % ps.length];
    const activity = setPath(c.activity, path, value, remove);
    // A possible writer stays one; a non-writer cannot become one by losing or retyping a field (the junk never
    // names a real issue, integration or linked user) — except an install or removal whose team id is replaced: that
    // is an install of a new team (any string is a team id to us), or the removal of a team an earlier retargeted
    // install created (the same short junk string, "" or "a", comes up again), which may write.
    const retargetedInstall =
      path[0] === "channelData" && path[1] === "team" && /^(conversationUpdate teamMember(Added|Removed)|installationUpdate (add|remove))/.test(c.label);
    return { activity, mayWrite: c.mayWrite || retargetedInstall, label: `${c.label} / ${path.join(".")}${remove ? " removed" : ""}` } as Case;
  });

/**
 * Edits that make a card action invalid for sure: another org's issue, unknown or foreign ids, another tenant,
 * an unknown action type. Must be refused with nothing changed.
 */
const tamperedArb = fc
  .tuple(cardActionArb, fc.constantFrom("foreignIssue", "missingIssue", "badIssue", "foreignIntegration", "badIntegration", "tenant", "actionType", "bothTenants"), fc.string({ maxLength: 12 }))
  .map(([c, how, str]) => {
    const a = structuredClone(c.activity) as any;
    const data = a.type === "invoke" ? a.value.action.data : a.value;
    switch (how) {
      case "foreignIssue":
        data.payload.groupId = foreignIssueId;
        break;
      case "missingIssue":
        data.payload.groupId = 900_000_000 + (str.length || 1);
        break;
      case "badIssue":
        data.payload.groupId = fc.sample(fc.constantFrom(`${issueId} or 1=1`, -issueId, 0, issueId + 0.5, `${issueId}x`, [issueId], { id: issueId }, null, str || "a"), 1)[0];
        break;
      case "foreignIntegration":
        data.payload.integrationId = integrationId + 10_000;
        break;
      case "badIntegration":
        data.payload.integrationId = fc.sample(fc.constantFrom(`${integrationId};`, -1, 0, 1.5, null, true, str || "b"), 1)[0];
        break;
      case "tenant":
        a.channelData.tenant.id = `tenant-evil-${str}`;
        break;
      case "bothTenants":
        a.channelData.tenant.id = `tenant-evil-${str}`;
        a.conversation.tenantId = `tenant-evil-${str}`;
        break;
      case "actionType":
        data.payload.actionType = fc.sample(fc.constantFrom("0", "6", "9", "", "11", 1.5, null, "RESOLVE", str || "z"), 1)[0];
        break;
    }
    return { activity: a, mayWrite: false, label: `tampered card ${how}` } as Case;
  });

/**
 * Any valid activity (a linked user's card action included) relayed from Web Chat or Direct Line, whose clients
 * write `from` and `channelData` themselves: the key is endorsed for them, but only Teams may act.
 */
const otherChannelArb = fc.tuple(validArb, fc.constantFrom("webchat", "directline")).map(([c, channelId]) => ({
  activity: { ...c.activity, channelId },
  mayWrite: false,
  label: `${c.label} via ${channelId}`,
}));

const anyArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 4, arbitrary: validArb },
  { weight: 4, arbitrary: structuralArb },
  { weight: 3, arbitrary: tamperedArb },
  { weight: 1, arbitrary: otherChannelArb },
);

async function send(activity: Record<string, unknown>): Promise<Response> {
  const body = { ...activity };
  if (body.id === "") body.id = `fuzz-${++seq}`;
  return dispatch(
    new Request("https://alerts.test/api/messages", {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

const CHUNK = 20;

/**
 * One property run = a chunk of CHUNK activities: those that may not write go first, concurrently, between two
 * fingerprints; then the possible writers, concurrently (concurrent delivery is what Teams does anyway).
 */
async function runChunk(cases: Case[], statuses: Map<number, number>): Promise<void> {
  const check = async (c: Case) => {
    const res = await send(c.activity);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (!ALLOWED.has(res.status)) throw new Error(`${c.label}: status ${res.status} ${await res.text()}`);
    if (res.status >= 400) {
      const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code !== "string" || typeof body.error?.message !== "string") throw new Error(`${c.label}: error body ${JSON.stringify(body)}`);
    } else await res.arrayBuffer();
  };
  const readers = cases.filter((c) => !c.mayWrite);
  const before = await fingerprint();
  await Promise.all(readers.map(check));
  const after = await fingerprint();
  if (after !== before) throw new Error(`one of [${readers.map((c) => c.label).join(", ")}] wrote although it may not\n${before}\n${after}`);
  await Promise.all(cases.filter((c) => c.mayWrite).map(check));
}

describe("fuzz: signed Teams activities", () => {
  it(`${RUNS} generated and mutated activities: never a 5xx, never a write unless the activity may write`, async () => {
    const statuses = new Map<number, number>();
    const started = Date.now();
    // The app logs every ignored activity: thousands of lines would cost more than the requests.
    const quiet = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(anyArb, { minLength: CHUNK, maxLength: CHUNK }), (cases) => runChunk(cases, statuses)),
        { numRuns: RUNS / CHUNK },
      );
    } finally {
      quiet.mockRestore();
    }
    console.log(`fuzz-activities: ${RUNS} activities in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
    // The mix really exercised both sides.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 10);
    expect((statuses.get(400) ?? 0) + (statuses.get(403) ?? 0) + (statuses.get(404) ?? 0)).toBeGreaterThan(RUNS / 10);
    expect(ms.unexpected).toEqual([]);
  }, 400_000); // ~35 s alone; CI runs it beside every other file on 2 cores
});
