import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseCardAction } from "../../../src/cards/action-payload";
import { CARD_BYTE_BUDGET, jsonByteLength, MAX_MESSAGE_BYTES } from "../../../src/cards/card-size";
import { buildIssueCard, buildIssueMessage, issueCardSummary } from "../../../src/cards/issue-card";
import { issueUrl, ruleUrl } from "../../../src/cards/links";
import type { AdaptiveCard, Container, ShowCardAction, SubmitAction } from "../../../src/cards/types";
import type { IgnoreConditions } from "../../../src/db/schema";
import {
  choiceSet,
  issueButtons,
  linkTargets,
  markdownTexts,
  schemaErrors,
  submits,
  textBlocks,
  walk,
} from "./card-helpers";
import {
  BASE_URL,
  DESCRIPTION,
  EVENT_ID,
  HOSTILE_TEXT,
  ISSUE_STATES,
  issueInput,
  LARGE_ORG_INPUT,
  makeMembers,
  makeTeams,
  RULES,
  stateInput,
  stateName,
} from "./fixtures";

const ISSUE_LINK = "https://alerts.test/organizations/acme/issues/42/";
const RULE_LINK = "https://alerts.test/organizations/acme/alerts/rules/api/11/details/";
const LAST_SEEN_DATE = "{{DATE(2026-11-25T10:00:00Z, SHORT)}} at {{TIME(2026-11-25T10:00:00Z)}}";
const FIRST_SEEN_DATE = "{{DATE(2026-11-20T08:30:00Z, SHORT)}} at {{TIME(2026-11-20T08:30:00Z)}}";

const byText = (card: AdaptiveCard, pattern: RegExp) => textBlocks(card).filter((t) => pattern.test(t.text));
const header = (card: AdaptiveCard) => card.body[0] as Container;

describe("issue card: every state", () => {
  for (const state of ISSUE_STATES) {
    describe(stateName(state), () => {
      const input = stateInput(state);
      const card = buildIssueCard(input);

      it("is a valid Adaptive Card 1.5 with the Teams root", () => {
        expect(schemaErrors(card)).toEqual([]);
        expect(card.version).toBe("1.5");
        expect(card.$schema).toBe("http://adaptivecards.io/schemas/adaptive-card.json");
        expect(card.msteams).toEqual({ width: "Full" });
        expect(jsonByteLength(card)).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
      });

      it("shows the status colour and line", () => {
        const expected = { unresolved: ["attention", "Attention"], ignored: ["warning", "Warning"], resolved: ["good", "Good"] }[
          state.status
        ];
        expect(header(card).style).toBe(expected[0]);
        const statusLine = header(card).items[0];
        expect(statusLine).toMatchObject({ type: "TextBlock", color: expected[1], weight: "Bolder" });
        expect((statusLine as { text: string }).text).toBe(
          { unresolved: "Unresolved · Regressed", ignored: "Ignored", resolved: "Resolved" }[state.status],
        );
      });

      it("links the title to the issue", () => {
        const title = header(card).items[1];
        expect(title).toEqual({
          type: "TextBlock",
          text: `[TypeError: Cannot read properties of undefined (reading 'id')](${ISSUE_LINK})`,
          wrap: true,
          size: "Large",
          weight: "Bolder",
          spacing: "Small",
        });
      });

      it(state.description ? "shows the description and culprit" : "has no description line", () => {
        const description = byText(card, new RegExp(`^${DESCRIPTION}$`));
        const culprit = byText(card, /^handlers\/checkout\.ts in submitOrder$/);
        expect(description).toHaveLength(state.description ? 1 : 0);
        expect(culprit).toHaveLength(state.description ? 1 : 0);
        expect(header(card).items).toHaveLength(state.description ? 4 : 2);
      });

      it("says who changed the status and how", () => {
        const lines = byText(card, /^(Resolved|Ignored|Reopened)\b./);
        if (state.status === "resolved") expect(lines.map((l) => l.text)).toEqual(["Resolved by ada@example.com · in the next release (after 1.4.2)"]);
        if (state.status === "ignored") expect(lines.map((l) => l.text)).toEqual(["Ignored by grace@example.com · until 100 more events"]);
        if (state.status === "unresolved") expect(lines).toEqual([]);
      });

      it("lists the facts", () => {
        const facts = walk(card).find((n) => n.type === "FactSet");
        expect(facts).toEqual({
          type: "FactSet",
          spacing: "Medium",
          facts: [
            { title: "Project", value: "API" },
            { title: "Level", value: "error" },
            { title: "Events", value: "1,234" },
            { title: "Users", value: "56" },
            { title: "First seen", value: FIRST_SEEN_DATE },
            { title: "Last seen", value: LAST_SEEN_DATE },
            { title: "Release", value: "1.4.2" },
            { title: "Environment", value: "production" },
          ],
        });
      });

      it("has the footer: short id, rule and other rules; the date is labelled (the Last seen fact), nowhere bare", () => {
        const expected =
          state.rules === 0
            ? "API-1A"
            : state.rules === 1
              ? `API-1A via [New issues in production](${RULE_LINK})`
              : `API-1A via [New issues in production](${RULE_LINK}) (+2 other)`;
        expect(byText(card, /^API-1A/).map((t) => t.text)).toEqual([expected]);
        expect(byText(card, /\{\{DATE/)).toEqual([]);
      });

      it("says who it is assigned to", () => {
        const assigned = byText(card, /Assigned to/).map((t) => t.text);
        expect(assigned).toEqual(
          { user: ["**Assigned to ada@example.com**"], team: ["**Assigned to #backend**"], nobody: [] }[state.assignee],
        );
      });

      it("has Resolve/Unresolve, Ignore/Stop ignoring, Assign/Unassign", () => {
        const [resolve, ignore, assign] = issueButtons(card);
        expect(issueButtons(card)).toHaveLength(3);
        expect([resolve.type, resolve.title]).toEqual(
          state.status === "resolved" ? ["Action.Submit", "Unresolve"] : ["Action.ShowCard", "Resolve"],
        );
        expect([ignore.type, ignore.title]).toEqual(
          state.status === "ignored" ? ["Action.Submit", "Stop ignoring"] : ["Action.ShowCard", "Ignore"],
        );
        expect([assign.type, assign.title]).toEqual(
          state.assignee === "nobody" ? ["Action.ShowCard", "Assign"] : ["Action.Submit", "Unassign"],
        );
        // The ActionSet sits in a Container at the end of the body, as on Sentry's card.
        const last = card.body[card.body.length - 1] as Container;
        expect(last.type).toBe("Container");
        expect(last.items[0].type).toBe("ActionSet");
      });

      it("every submit carries the payload, and what Teams sends back parses to the intended action", () => {
        const payload = (actionType: string) => ({
          payload: { actionType, groupId: 42, eventId: EVENT_ID, rules: RULES.slice(0, state.rules).map((r) => r.id), integrationId: 7 },
        });
        const [resolve, ignore, assign] = issueButtons(card);
        const context = { issueId: 42, eventId: EVENT_ID, rules: RULES.slice(0, state.rules).map((r) => r.id), integrationId: 7 };

        if (state.status === "resolved") {
          expect((resolve as SubmitAction).data).toEqual(payload("4"));
          expect(parseCardAction((resolve as SubmitAction).data)).toEqual({ ...context, kind: "unresolve" });
        } else {
          const submit = (resolve as ShowCardAction).card.actions![0] as SubmitAction;
          expect(submit.data).toEqual(payload("1"));
          // Teams merges the chosen input value next to the payload.
          expect(parseCardAction({ ...submit.data, resolveInput: "resolved:inNextRelease" })).toEqual({
            ...context,
            kind: "resolve",
            mode: "inNextRelease",
          });
        }
        if (state.status === "ignored") {
          expect((ignore as SubmitAction).data).toEqual(payload("4"));
        } else {
          const submit = (ignore as ShowCardAction).card.actions![0] as SubmitAction;
          expect(submit.data).toEqual(payload("2"));
          expect(parseCardAction({ ...submit.data, ignoreInput: "duration:120" })).toEqual({
            ...context,
            kind: "ignore",
            condition: { kind: "duration", minutes: 120 },
          });
        }
        if (state.assignee !== "nobody") {
          expect((assign as SubmitAction).data).toEqual(payload("5"));
          expect(parseCardAction((assign as SubmitAction).data)).toEqual({ ...context, kind: "unassign" });
        } else {
          const submit = (assign as ShowCardAction).card.actions![0] as SubmitAction;
          expect(submit.data).toEqual(payload("3"));
          expect(parseCardAction({ ...submit.data, assignInput: "team:501" })).toEqual({
            ...context,
            kind: "assign",
            target: { kind: "team", id: 501 },
          });
        }
      });
    });
  }
});

describe("issue card: action inputs", () => {
  const card = buildIssueCard(issueInput());

  it("Resolve offers the three resolutions, immediate by default", () => {
    const input = choiceSet(card, "resolveInput");
    expect(input?.choices).toEqual([
      { title: "Immediately", value: "resolved" },
      { title: "In the current release", value: "resolved:inCurrentRelease" },
      { title: "In the next release", value: "resolved:inNextRelease" },
    ]);
    expect(input?.value).toBe("resolved");
  });

  it("Ignore offers forever, counts, durations and user counts, and requires a choice", () => {
    const input = choiceSet(card, "ignoreInput");
    expect(input?.choices.map((c) => c.value)).toEqual([
      "-1",
      "1",
      "10",
      "100",
      "1000",
      "10000",
      "duration:30",
      "duration:120",
      "duration:1440",
      "duration:10080",
      "users:10",
      "users:100",
    ]);
    expect(input?.choices.find((c) => c.value === "1000")?.title).toBe("Until it happens 1,000 more times");
    expect(input?.isRequired).toBe(true);
  });

  it("every offered choice parses to a non-empty action", () => {
    for (const submit of submits(card)) {
      const inputId = { "1": "resolveInput", "2": "ignoreInput", "3": "assignInput" }[submit.data.payload.actionType as "1" | "2" | "3"];
      const choices = choiceSet(card, inputId)!.choices;
      for (const choice of choices) {
        const parsed = parseCardAction({ ...submit.data, [inputId]: choice.value });
        expect(parsed.kind, `${inputId}=${choice.value}`).toBe({ resolveInput: "resolve", ignoreInput: "ignore", assignInput: "assign" }[inputId]);
      }
    }
  });

  it("Assign offers Me, every team and every member, filterable, Me by default", () => {
    const input = choiceSet(card, "assignInput")!;
    expect(input.style).toBe("filtered");
    expect(input.value).toBe("ME");
    expect(input.choices).toEqual([
      { title: "Me", value: "ME" },
      { title: "#team-0", value: "team:500" },
      { title: "#team-1", value: "team:501" },
      { title: "#team-2", value: "team:502" },
      ...makeMembers(5).map((m) => ({ title: `${m.name} (${m.email})`, value: `user:${m.id}` })),
    ]);
    // Nothing capped: no "Showing N of M" note.
    expect(byText(card, /^Showing/)).toEqual([]);
  });

  it("a member without a name is listed by email", () => {
    const c = buildIssueCard(issueInput({ members: [{ id: 9, email: "noname@example.com", name: "" }], teams: [] }));
    expect(choiceSet(c, "assignInput")!.choices).toEqual([
      { title: "Me", value: "ME" },
      { title: "noname@example.com", value: "user:9" },
    ]);
  });
});

describe("issue card: status change texts", () => {
  const line = (issue: Parameters<typeof issueInput>[0]) =>
    byText(buildIssueCard(issueInput(issue)), /^(Resolved|Ignored|Reopened)\b./).map((t) => t.text);

  it("resolutions", () => {
    expect(line({ issue: { status: "resolved", resolution: { kind: "immediate" }, statusChangedBy: { email: "ada@example.com" } } })).toEqual([
      "Resolved by ada@example.com",
    ]);
    expect(line({ issue: { status: "resolved", resolution: { kind: "inRelease", release: "2.0.0" } } })).toEqual([
      "Resolved · in release 2.0.0",
    ]);
    expect(line({ issue: { status: "resolved", resolution: { kind: "inNextRelease", release: null, releaseCreatedAt: null } } })).toEqual([
      "Resolved · in the next release",
    ]);
    expect(line({ issue: { status: "resolved", resolution: null } })).toEqual([]);
  });

  it("ignore conditions", () => {
    const ignored = (ignoreConditions: IgnoreConditions) =>
      line({ issue: { status: "ignored", ignoreConditions, statusChangedBy: { email: "grace@example.com" } } });
    expect(ignored({ kind: "forever" })).toEqual(["Ignored by grace@example.com · forever"]);
    expect(ignored({ kind: "count", count: 1, baseline: 5 })).toEqual(["Ignored by grace@example.com · until 1 more event"]);
    expect(ignored({ kind: "userCount", count: 100, baseline: 5 })).toEqual(["Ignored by grace@example.com · until 100 more users"]);
    expect(ignored({ kind: "duration", minutes: 30, until: Date.UTC(2026, 10, 25, 10, 30, 0) })).toEqual([
      "Ignored by grace@example.com · for 30 minutes (until {{DATE(2026-11-25T10:30:00Z, SHORT)}} at {{TIME(2026-11-25T10:30:00Z)}})",
    ]);
    expect(ignored({ kind: "duration", minutes: 10080, until: Date.UTC(2026, 11, 2, 10, 0, 0) })[0]).toMatch(/ · for 1 week \(until/);
  });

  it("a person reopening it", () => {
    expect(line({ issue: { status: "unresolved", statusChangedBy: { email: "ada@example.com" } } })).toEqual(["Reopened by ada@example.com"]);
  });

  it("omits release and environment facts when unknown, and the date when invalid", () => {
    const card = buildIssueCard(issueInput({ issue: { lastRelease: null, lastEnvironment: null, firstSeen: Number.NaN, lastSeen: 8.7e15 } }));
    const facts = walk(card).find((n) => n.type === "FactSet");
    expect(facts && "facts" in facts ? facts.facts.map((f) => f.title) : []).toEqual(["Project", "Level", "Events", "Users"]);
    expect(JSON.stringify(card)).not.toContain("{{DATE");
    expect(schemaErrors(card)).toEqual([]);
  });
});

describe("issue card: the header says each thing once", () => {
  const headerTexts = (input: Parameters<typeof issueInput>[0]) =>
    header(buildIssueCard(issueInput(input))).items.slice(2).map((t) => (t as { text: string }).text);

  it("an error value the title already ends with is not repeated; the culprit still shows", () => {
    // Sentry's title is "<type>: <value>": the value alone would repeat the end of the title.
    expect(headerTexts({})).toEqual(["handlers/checkout.ts in submitOrder"]);
  });

  it("a function the culprit already names is not shown as the description", () => {
    const texts = headerTexts({ issue: { metadata: { type: "TypeError", function: "submitOrder" } } });
    expect(texts).toEqual(["handlers/checkout.ts in submitOrder"]);
  });

  it("a multi-line value shows the lines after the one in the title", () => {
    const value = "Cannot read properties of undefined (reading 'id')\nOrder 1234 has no customer\nretry 3";
    expect(headerTexts({ issue: { metadata: { value } } })).toEqual([
      "Order 1234 has no customer retry 3",
      "handlers/checkout.ts in submitOrder",
    ]);
  });

  it("a value the title does not hold is shown in full", () => {
    expect(headerTexts({ issue: { title: "Checkout failed", metadata: { value: "card declined" }, culprit: "" } })).toEqual(["card declined"]);
  });

  it("a message event: the first line is the title, the rest is the description; a culprit the title holds is left out", () => {
    const texts = headerTexts({
      issue: { title: "Payment provider timed out", culprit: "Payment provider", metadata: { message: "Payment provider timed out\nafter 3 retries" } },
    });
    expect(texts).toEqual(["after 3 retries"]);
  });

  it("names the project, by name, else by slug", () => {
    const projectFact = (project: { id: number; slug: string; name: string }) => {
      const facts = walk(buildIssueCard(issueInput({ project }))).find((n) => n.type === "FactSet");
      return facts && "facts" in facts ? facts.facts[0] : undefined;
    };
    expect(projectFact({ id: 3, slug: "api", name: "Payments API" })).toEqual({ title: "Project", value: "Payments API" });
    expect(projectFact({ id: 3, slug: "api", name: "" })).toEqual({ title: "Project", value: "api" });
  });
});

describe("issue card: summary, fallback and message", () => {
  it("summary and fallbackText name the issue in plain words", () => {
    const input = issueInput();
    expect(issueCardSummary(input)).toBe("API-1A: TypeError: Cannot read properties of undefined (reading 'id')");
    expect(issueCardSummary(stateInput({ status: "resolved", assignee: "nobody", description: true, rules: 1 }))).toBe(
      "[Resolved] API-1A: TypeError: Cannot read properties of undefined (reading 'id')",
    );
    expect(buildIssueCard(input).fallbackText).toBe("API-1A: TypeError: Cannot read properties of undefined (reading 'id') (Unresolved)");
  });

  it("buildIssueMessage wraps the card in a message activity", () => {
    const message = buildIssueMessage(issueInput());
    expect(message).toEqual({
      type: "message",
      summary: "API-1A: TypeError: Cannot read properties of undefined (reading 'id')",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: buildIssueCard(issueInput()) }],
    });
  });

  it("is deterministic", () => {
    expect(JSON.stringify(buildIssueCard(LARGE_ORG_INPUT()))).toBe(JSON.stringify(buildIssueCard(LARGE_ORG_INPUT())));
  });
});

describe("issue card: links", () => {
  it("issue and rule paths, slugs encoded, trailing slash on the base tolerated", () => {
    expect(issueUrl("https://alerts.test/", "acme", 42)).toBe(ISSUE_LINK);
    expect(ruleUrl(BASE_URL, "acme", "api", 11)).toBe(RULE_LINK);
    expect(issueUrl(BASE_URL, "a b/(c)", 1)).toBe("https://alerts.test/organizations/a%20b%2F(c)/issues/1/");
  });

  it("refuses a base URL that is not http(s)", () => {
    expect(() => buildIssueCard(issueInput({ baseUrl: "javascript:alert(1)" }))).toThrow(RangeError);
    expect(() => buildIssueCard(issueInput({ baseUrl: "not a url" }))).toThrow(RangeError);
  });

  it("parentheses in a slug cannot end the markdown link early", () => {
    const card = buildIssueCard(issueInput({ organization: { id: 1, slug: "evil)(x" } }));
    const title = (header(card).items[1] as { text: string }).text;
    expect(linkTargets(title)).toEqual(["https://alerts.test/organizations/evil%29%28x/issues/42/"]);
  });
});

describe("issue card: size", () => {
  it("an organization with 1,000 members and 200 teams stays under 28 KB and says the list is capped", () => {
    const input = LARGE_ORG_INPUT();
    const card = buildIssueCard(input);
    const message = buildIssueMessage(input);
    expect(jsonByteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(schemaErrors(card)).toEqual([]);
    const choices = choiceSet(card, "assignInput")!.choices;
    expect(choices.length).toBeGreaterThan(1);
    expect(choices.length).toBeLessThanOrEqual(151);
    const listedTeams = choices.filter((c) => c.value.startsWith("team:")).length;
    const listedMembers = choices.filter((c) => c.value.startsWith("user:")).length;
    const note = byText(card, /^Showing/).map((t) => t.text);
    expect(note).toEqual([
      `Showing ${listedMembers} of 1,000 people and ${listedTeams} of 200 teams. Type to filter these, or [assign on the web](${ISSUE_LINK}) to pick anyone.`,
    ]);
  });

  it.each([
    ["multi-byte", "漢字🙂".repeat(2000)],
    ["escape-heavy", '\\<{*"&a_['.repeat(2000)],
  ])("worst case texts (%s, everywhere; 1,000 members; 80 rules) still fit and stay valid", (_kind, long) => {
    const input = issueInput({
      issue: { title: long, culprit: long, metadata: { value: long }, lastRelease: long, lastEnvironment: long, shortId: long, statusChangedBy: { email: long } },
      members: makeMembers(1000).map((m) => ({ ...m, name: long, email: long })),
      teams: makeTeams(200).map((t) => ({ ...t, slug: long })),
      rules: Array.from({ length: 80 }, (_, i) => ({ id: Number.MAX_SAFE_INTEGER - i, name: long })),
      eventId: EVENT_ID,
    });
    for (const status of ["unresolved", "resolved", "ignored"] as const) {
      const card = buildIssueCard({ ...input, issue: { ...input.issue, status, resolution: { kind: "inRelease", release: long }, ignoreConditions: { kind: "forever" } } });
      expect(jsonByteLength(buildIssueMessage({ ...input, issue: { ...input.issue, status } }))).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(jsonByteLength(card)).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
      expect(schemaErrors(card)).toEqual([]);
    }
  });

  it("when the lists do not fit, it offers fewer choices and says how many", () => {
    const long = "漢".repeat(200);
    const input = issueInput({
      members: makeMembers(1000).map((m) => ({ ...m, name: long })),
      teams: makeTeams(200).map((t) => ({ ...t, slug: long })),
    });
    const card = buildIssueCard(input);
    expect(jsonByteLength(card)).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
    const choices = choiceSet(card, "assignInput")!.choices;
    expect(choices.filter((c) => c.value.startsWith("user:"))).toHaveLength(50);
    expect(choices.filter((c) => c.value.startsWith("team:"))).toHaveLength(25);
    expect(byText(card, /^Showing/)[0].text).toMatch(/^Showing 50 of 1,000 people and 25 of 200 teams\./);
  });

  it("without the lists, even worst-case texts are far under the budget (why the last step always fits)", () => {
    for (const long of ["🙂".repeat(5000), "<".repeat(5000), "\\".repeat(5000), '"'.repeat(5000)]) {
      const input = issueInput({
        issue: { title: long, culprit: `${long}x`, metadata: { value: `${long}y` }, lastRelease: long, lastEnvironment: long, shortId: long, statusChangedBy: { email: long }, status: "resolved", resolution: { kind: "inRelease", release: long } },
        assignee: { kind: "team", id: 1, slug: long },
        members: [],
        teams: [],
        rules: Array.from({ length: 80 }, (_, i) => ({ id: Number.MAX_SAFE_INTEGER - i, name: long })),
      });
      expect(jsonByteLength(buildIssueCard(input))).toBeLessThan(CARD_BYTE_BUDGET / 2);
    }
  });

  it("long titles are cut to 200 characters with an ellipsis", () => {
    const card = buildIssueCard(issueInput({ issue: { title: "x".repeat(10_000) } }));
    const title = (header(card).items[1] as { text: string }).text;
    expect(title).toBe(`[${"x".repeat(199)}…](${ISSUE_LINK})`);
  });

  it("the payload carries at most 50 rule ids", () => {
    const rules = Array.from({ length: 80 }, (_, i) => ({ id: i + 1, name: `r${i}` }));
    const card = buildIssueCard(issueInput({ rules }));
    for (const s of submits(card)) expect(s.data.payload.rules).toEqual(rules.slice(0, 50).map((r) => r.id));
    expect(byText(card, /^API-1A via/)[0].text).toMatch(/\(\+79 other\)$/);
  });
});

describe("issue card: escaping user text", () => {
  const hostile = issueInput({
    issue: {
      title: HOSTILE_TEXT,
      culprit: `${HOSTILE_TEXT} culprit`,
      metadata: { value: `${HOSTILE_TEXT} value` },
      lastRelease: HOSTILE_TEXT,
      lastEnvironment: HOSTILE_TEXT,
      shortId: HOSTILE_TEXT,
      status: "resolved",
      resolution: { kind: "inRelease", release: HOSTILE_TEXT },
      statusChangedBy: { email: HOSTILE_TEXT },
    },
    assignee: { kind: "team", id: 1, slug: HOSTILE_TEXT },
    rules: [{ id: 11, name: HOSTILE_TEXT }],
    members: [{ id: 1, email: HOSTILE_TEXT, name: HOSTILE_TEXT }],
    teams: [{ id: 2, slug: HOSTILE_TEXT }],
  });
  const card = buildIssueCard(hostile);
  const json = JSON.stringify(card);

  it("is still a valid card that round-trips through JSON", () => {
    expect(schemaErrors(card)).toEqual([]);
    expect(JSON.parse(json)).toEqual(card);
  });

  it("user text cannot add links: every link on the card is ours", () => {
    const targets = markdownTexts(card).flatMap(linkTargets);
    expect(targets).toEqual([`${BASE_URL}/organizations/acme/issues/42/`, RULE_LINK]);
  });

  it("user text cannot add mentions, tags or entities", () => {
    expect(json).not.toMatch(/<(?!\u200B)/);
    expect(json).not.toMatch(/&(?=[#A-Za-z])/);
  });

  it("user text cannot add date functions: the only ones are ours", () => {
    const functions = [...json.matchAll(/\{\{[^}]*\}\}/g)].map((m) => m[0]);
    expect(functions.every((f) => /^\{\{(DATE|TIME)\(2026-11-(20|25)T\d\d:\d\d:00Z(, SHORT)?\)\}\}$/.test(f))).toBe(true);
  });

  it("markdown is escaped, controls and bidi overrides removed", () => {
    const title = (header(card).items[1] as { text: string }).text;
    expect(title.startsWith("[\\*\\*boom\\*\\* \\[click me\\](https://evil.example/x) <\u200Bat>Everyone<\u200B/at> {\u200B{DATE(")).toBe(true);
    expect(json).not.toMatch(/[\u0000\u202E\u202C]/);
    expect(title).toContain("\\_it\\_ \\`code\\` \\~\\~s\\~\\~");
    // Newlines collapse: no line can start a list.
    for (const text of markdownTexts(card)) expect(text).not.toMatch(/[\r\n]/);
  });

  it("a description starting with a list or heading marker is escaped", () => {
    for (const [value, expected] of [
      ["- item", "\\- item"],
      ["1. first", "1\\. first"],
      ["# title", "\\# title"],
      ["> quote", "\\> quote"],
    ]) {
      const c = buildIssueCard(issueInput({ issue: { metadata: { value } } }));
      expect(header(c).items[2]).toMatchObject({ type: "TextBlock", text: expected });
    }
  });

  it("property: any text in any user field keeps the card valid, small and free of injected links or functions", () => {
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 }), fc.constantFrom(HOSTILE_TEXT, "", " "));
    fc.assert(
      fc.property(text, text, text, text, text, fc.constantFrom("unresolved", "resolved", "ignored"), (title, value, name, slug, release, status) => {
        const input = issueInput({
          issue: { title, culprit: value, metadata: { value, function: name }, lastRelease: release, status: status as "resolved", statusChangedBy: { email: name } },
          assignee: null,
          rules: [{ id: 11, name }],
          members: [{ id: 1, email: name, name }],
          teams: [{ id: 2, slug }],
        });
        const c = buildIssueCard(input);
        const j = JSON.stringify(c);
        expect(schemaErrors(c)).toEqual([]);
        expect(jsonByteLength(c)).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
        expect(markdownTexts(c).flatMap(linkTargets)).toEqual([ISSUE_LINK, RULE_LINK]);
        expect([...j.matchAll(/\{\{/g)]).toHaveLength(4); // DATE+TIME for first seen and last seen
        expect(j).not.toMatch(/<(?!\u200B)/);
      }),
      { numRuns: 150 },
    );
  });

  it("assignee of either kind is escaped", () => {
    const user = buildIssueCard(issueInput({ assignee: { kind: "user", id: 3, email: "a_b*c@example.com" } }));
    expect(byText(user, /Assigned/).map((t) => t.text)).toEqual(["**Assigned to a\\_b\\*c@example.com**"]);
    const team = buildIssueCard(issueInput({ assignee: { kind: "team", id: 4, slug: "back_end*[x](https://evil.example)" } }));
    expect(byText(team, /Assigned/).map((t) => t.text)).toEqual(["**Assigned to #back\\_end\\*\\[x\\](https://evil.example)**"]);
    expect(markdownTexts(team).flatMap(linkTargets)).toEqual([ISSUE_LINK, RULE_LINK]);
  });
});
