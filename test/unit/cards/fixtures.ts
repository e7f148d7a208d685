/**
 * Sample card inputs: the state matrix the tests check and the preview page renders (scripts/cards-preview.mjs
 * bundles this file), so what people look at is exactly what is tested. Pure data, no test framework here.
 */
import {
  buildActionResultCard,
  buildAlreadyLinkedCard,
  buildHelpCard,
  buildInstallationConfirmationCard,
  buildLinkedCard,
  buildLinkPromptCard,
  buildPersonalInstallationCard,
  buildRegressionReplyCard,
  buildUnlinkCard,
  buildUnlinkedCard,
  buildUnrecognizedCommandCard,
  buildWelcomeCard,
} from "../../../src/cards/conversation-cards";
import { buildIssueCard } from "../../../src/cards/issue-card";
import {
  buildChannelHelpCard,
  buildNotificationsCard,
  buildProjectMatchesCard,
  buildRefusalCard,
  buildSubscribedCard,
  buildSubscriptionsCard,
  buildUsageCard,
} from "../../../src/cards/subscription-cards";
import type { AdaptiveCard, CardAssignee, CardMember, CardTeam, IssueCardInput } from "../../../src/cards/types";

export const BASE_URL = "https://alerts.test";
/** 2026-11-25T10:00:00Z */
export const LAST_SEEN = Date.UTC(2026, 10, 25, 10, 0, 0);
/** 2026-11-20T08:30:00Z */
export const FIRST_SEEN = Date.UTC(2026, 10, 20, 8, 30, 0);
export const EVENT_ID = "0123456789abcdef0123456789abcdef";
/** What the "with description" states' error value adds to their title. */
export const DESCRIPTION = "Order 1234 has no customer attached";

export function makeMembers(count: number): CardMember[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 1000 + i,
    email: `member${i}@example.com`,
    name: `Member ${i}`,
  }));
}

export function makeTeams(count: number): CardTeam[] {
  return Array.from({ length: count }, (_, i) => ({ id: 500 + i, slug: `team-${i}` }));
}

export const RULES = [
  { id: 11, name: "New issues in production" },
  { id: 12, name: "Regressions" },
  { id: 13, name: "High volume" },
];

export type IssueState = {
  status: "unresolved" | "resolved" | "ignored";
  assignee: "user" | "team" | "nobody";
  description: boolean;
  rules: 0 | 1 | 3;
};

export const ASSIGNEES: Record<IssueState["assignee"], CardAssignee | null> = {
  user: { kind: "user", id: 1001, email: "ada@example.com" },
  team: { kind: "team", id: 501, slug: "backend" },
  nobody: null,
};

/** A realistic issue card input; `overrides` replace top-level fields, `issue` fields are merged. */
export function issueInput(
  overrides: Partial<Omit<IssueCardInput, "issue">> & { issue?: Partial<IssueCardInput["issue"]> } = {},
): IssueCardInput {
  const { issue, ...rest } = overrides;
  return {
    issue: {
      id: 42,
      shortId: "API-1A",
      title: "TypeError: Cannot read properties of undefined (reading 'id')",
      culprit: "handlers/checkout.ts in submitOrder",
      level: "error",
      status: "unresolved",
      substatus: "new",
      metadata: { type: "TypeError", value: "Cannot read properties of undefined (reading 'id')", function: "submitOrder" },
      timesSeen: 1234,
      usersSeen: 56,
      firstSeen: FIRST_SEEN,
      lastSeen: LAST_SEEN,
      lastRelease: "1.4.2",
      lastEnvironment: "production",
      resolution: null,
      ignoreConditions: null,
      statusChangedBy: null,
      ...issue,
    },
    project: { id: 3, slug: "api", name: "API" },
    organization: { id: 1, slug: "acme" },
    assignee: null,
    rules: RULES.slice(0, 1),
    eventId: EVENT_ID,
    integrationId: 7,
    members: makeMembers(5),
    teams: makeTeams(3),
    baseUrl: BASE_URL,
    ...rest,
  };
}

/** The issue input for one cell of the state matrix. */
export function stateInput(state: IssueState): IssueCardInput {
  const statusFields: Partial<IssueCardInput["issue"]> =
    state.status === "resolved"
      ? {
          status: "resolved",
          substatus: null,
          resolution: { kind: "inNextRelease", release: "1.4.2", releaseCreatedAt: FIRST_SEEN },
          statusChangedBy: { email: "ada@example.com" },
        }
      : state.status === "ignored"
        ? {
            status: "ignored",
            substatus: null,
            ignoreConditions: { kind: "count", count: 100, baseline: 1234 },
            statusChangedBy: { email: "grace@example.com" },
          }
        : { status: "unresolved", substatus: "regressed" };
  return issueInput({
    issue: {
      ...statusFields,
      // The value's second line is what the title (its first line) does not already say.
      metadata: state.description ? { type: "TypeError", value: `Cannot read properties of undefined (reading 'id')\n${DESCRIPTION}` } : {},
      culprit: state.description ? "handlers/checkout.ts in submitOrder" : "",
    },
    assignee: ASSIGNEES[state.assignee],
    rules: RULES.slice(0, state.rules),
  });
}

export const ISSUE_STATES: IssueState[] = (["unresolved", "resolved", "ignored"] as const).flatMap((status) =>
  (["user", "team", "nobody"] as const).flatMap((assignee) =>
    [true, false].flatMap((description) => ([0, 1, 3] as const).map((rules) => ({ status, assignee, description, rules }))),
  ),
);

export function stateName(s: IssueState): string {
  return `${s.status} / assigned to ${s.assignee} / ${s.description ? "with" : "without"} description / ${s.rules} rules`;
}

/** Text that tries every trick: markdown links, mentions, date functions, HTML, bidi, JSON breakers. */
export const HOSTILE_TEXT =
  "**boom** [click me](https://evil.example/x) <at>Everyone</at> {{DATE(2020-01-01T00:00:00Z, SHORT)}} " +
  "<script>alert(1)</script> &lt;at&gt; \u202Eevil\u202C \"}]}\\ \u0000\n- list _it_ `code` ~~s~~";

export const LARGE_ORG_INPUT = (): IssueCardInput =>
  issueInput({ members: makeMembers(1000), teams: makeTeams(200) });

/** Every conversational card with sample arguments. */
export function conversationSamples(): { name: string; card: AdaptiveCard }[] {
  return [
    { name: "welcome (team install)", card: buildWelcomeCard({ setupUrl: `${BASE_URL}/setup?token=abc.def` }) },
    {
      name: "installation confirmation",
      card: buildInstallationConfirmationCard({ organizationName: "Acme Inc", issuesUrl: `${BASE_URL}/organizations/acme/issues/` }),
    },
    { name: "personal installation", card: buildPersonalInstallationCard() },
    { name: "help", card: buildHelpCard() },
    { name: "unrecognized command", card: buildUnrecognizedCommandCard("deploy **prod** <at>Bot</at>") },
    { name: "link prompt", card: buildLinkPromptCard({ linkUrl: `${BASE_URL}/link?token=abc.def` }) },
    { name: "linked", card: buildLinkedCard() },
    { name: "unlink", card: buildUnlinkCard({ unlinkUrl: `${BASE_URL}/unlink?token=abc.def` }) },
    { name: "unlinked", card: buildUnlinkedCard() },
    { name: "already linked", card: buildAlreadyLinkedCard() },
    {
      name: "action result: refusal",
      card: buildActionResultCard({ tone: "error", title: "Not assigned", text: "You can't assign someone outside the organization." }),
    },
    { name: "action result: success", card: buildActionResultCard({ tone: "success", text: "Resolved API-1A." }) },
    { name: "regression reply", card: buildRegressionReplyCard({ release: "1.4.2", eventCount: 12, at: LAST_SEEN }) },
    ...subscriptionSamples(),
  ];
}

/** The chat's alert-command cards (subscribe / subscriptions / notifications ...) with sample arguments. */
export function subscriptionSamples(): { name: string; card: AdaptiveCard }[] {
  const rule = { conditions: { newIssue: true, regression: true }, filters: { levelAtLeast: "error", environment: "production" } };
  return [
    { name: "channel help", card: buildChannelHelpCard() },
    { name: "subscribed", card: buildSubscribedCard({ projectSlug: "api", organizationSlug: "acme", channelName: "Alerts", rule, updated: false }) },
    {
      name: "subscriptions",
      card: buildSubscriptionsCard({
        channelName: "Alerts",
        integrationId: 7,
        items: [
          { ruleId: 1, projectSlug: "api", ruleName: "Alerts (Teams)", rule, status: "active", statusReason: null, createdVia: "teams" },
          { ruleId: 2, projectSlug: "checkout-web", ruleName: "Checkout escalations", rule: { conditions: { escalation: true }, filters: {} }, status: "active", statusReason: null, createdVia: "api" },
          { ruleId: 3, projectSlug: "billing", ruleName: "Billing", rule, status: "disabled", statusReason: "Unsubscribed in Teams by ada@example.com", createdVia: "teams" },
        ],
      }),
    },
    { name: "subscriptions: empty", card: buildSubscriptionsCard({ channelName: "General", integrationId: 7, items: [] }) },
    {
      name: "project matches: unknown",
      card: buildProjectMatchesCard({ asked: "apl", command: "subscribe", ambiguous: false, matches: [{ organizationSlug: "acme", slug: "api", name: "API" }, { organizationSlug: "acme", slug: "app", name: "App" }] }),
    },
    {
      name: "project matches: ambiguous",
      card: buildProjectMatchesCard({ asked: "api", command: "subscribe", ambiguous: true, matches: [{ organizationSlug: "acme", slug: "api", name: "API" }, { organizationSlug: "globex", slug: "api", name: "Globex API" }] }),
    },
    { name: "usage", card: buildUsageCard({ reason: "the level must be one of debug, info, warning, error, fatal", usage: "subscribe <project> [level>=<level>]", example: "subscribe api level>=error" }) },
    { name: "refusal", card: buildRefusalCard({ title: "Only admins can route alerts here", text: "Ask an admin of Acme: ada@example.com.", next: "Admins can let members do it." }) },
    { name: "notifications", card: buildNotificationsCard({ settings: { assigned: true, resolvedRegressed: false, followedNew: true }, followed: ["api", "checkout-web"] }) },
    { name: "notifications: saved, none followed", card: buildNotificationsCard({ settings: { assigned: false, resolvedRegressed: true, followedNew: false }, followed: [], saved: true }) },
  ];
}

/** A sample for the preview page; `kind` groups the variants of one card into one section. */
export type PreviewSample = { kind: string; name: string; card: AdaptiveCard };

/** The issue card as an alert first posts it: new, unassigned, one rule (the preview shows it first). */
export const FIRST_ISSUE_SAMPLE = "issue: a new error as first posted (unassigned, 1 rule)";

/**
 * Everything the preview page shows, grouped by card kind, the first sample of each kind being the one shown
 * open: the issue card as first posted, the state matrix, the large org, hostile text, conversation cards.
 */
export function previewSamples(): PreviewSample[] {
  const issue = (name: string, card: AdaptiveCard): PreviewSample => ({ kind: "Issue card", name: `issue: ${name}`, card });
  return [
    { kind: "Issue card", name: FIRST_ISSUE_SAMPLE, card: buildIssueCard(issueInput()) },
    ...ISSUE_STATES.map((s) => issue(stateName(s), buildIssueCard(stateInput(s)))),
    issue(
      "ignored for 2 hours by a person",
      buildIssueCard(
        issueInput({
          issue: {
            status: "ignored",
            substatus: null,
            ignoreConditions: { kind: "duration", minutes: 120, until: LAST_SEEN + 2 * 3600_000 },
            statusChangedBy: { email: "grace@example.com" },
          },
        }),
      ),
    ),
    issue("1,000 members and 200 teams", buildIssueCard(LARGE_ORG_INPUT())),
    issue(
      "hostile text everywhere",
      buildIssueCard(
        issueInput({
          issue: { title: HOSTILE_TEXT, culprit: HOSTILE_TEXT, metadata: { value: HOSTILE_TEXT }, lastRelease: HOSTILE_TEXT },
          rules: [{ id: 11, name: HOSTILE_TEXT }],
          members: [{ id: 1, email: HOSTILE_TEXT, name: HOSTILE_TEXT }],
          teams: [{ id: 2, slug: HOSTILE_TEXT }],
        }),
      ),
    ),
    ...conversationSamples().map((s) => ({ kind: conversationKind(s.name), name: `conversation: ${s.name}`, card: s.card })),
  ];
}

/** "action result: refusal" → "Action result"; "welcome (team install)" → "Welcome". */
function conversationKind(name: string): string {
  const base = name.replace(/[:(].*$/, "").trim();
  return `${base.charAt(0).toUpperCase()}${base.slice(1)}`;
}
