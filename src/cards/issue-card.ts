/**
 * The issue card: what an alert posts to a channel (and what every card action rebuilds in place).
 *
 * Layout, top to bottom:
 * - a Container in the status colour (unresolved = attention, ignored = warning, resolved = good) holding the
 *   status line, the title (Large, Bolder, linking to the issue), the description (the error's value,
 *   function or message) and the culprit, each only when it says something the title does not;
 * - who made the last status change and how ("Resolved by ada@example.com · in the next release");
 * - facts: project, level, events, users, first seen, last seen, release, environment;
 * - the footer: short id, "via <rule>" linking to the rule, "(+N other)";
 * - "**Assigned to <email | #team-slug>**" when assigned;
 * - the actions (issue-actions.ts).
 *
 * Size: the card is kept under CARD_BYTE_BUDGET whatever the organization's size: the Assign list is capped
 * (and the card says so), then shortened further if the texts are extreme.
 */
import { CARD_BYTE_BUDGET, jsonByteLength } from "./card-size";
import { container, factSet, rootCard, textBlock, TONE_STYLE, type Tone } from "./elements";
import { cleanLine, markdownLink, markdownText, truncate } from "./escape";
import { dateTimeText, formatCount, formatMinutes, plural } from "./format";
import { DEFAULT_ASSIGN_CAPS, type AssignListCaps } from "../issues/assign-list";
import { buildIssueActions } from "./issue-actions";
import { issueUrl, ruleUrl } from "./links";
import { cardMessage } from "./message";
import type { AdaptiveCard, AdaptiveElement, CardIssue, CardMessage, Fact, IssueCardInput } from "./types";

/** Text limits (code points) for user-supplied fields. */
type TextLimits = { title: number; description: number; culprit: number; ruleName: number; fact: number; person: number };
const LIMITS: TextLimits = { title: 200, description: 300, culprit: 120, ruleName: 80, fact: 80, person: 100 };

/**
 * Assign-list sizes tried in turn until the card fits the budget. The last step always fits: without the
 * lists, every user text is capped (≤ 300 code points, at most 4 UTF-8 bytes each even when escaped) and the
 * payloads carry ≤ 50 rule ids, which bounds the card near 10 KB (the worst-case tests measure it).
 */
const CAP_STEPS: AssignListCaps[] = [
  DEFAULT_ASSIGN_CAPS,
  { members: 50, teams: 25 },
  { members: 20, teams: 10 },
  { members: 0, teams: 0 },
];

const STATUS_TONE: Record<CardIssue["status"], Tone> = { unresolved: "error", ignored: "warning", resolved: "success" };

/** Builds the issue card. Pure: the same input always gives the same card. */
export function buildIssueCard(input: IssueCardInput): AdaptiveCard {
  let card = composeIssueCard(input, CAP_STEPS[0], LIMITS);
  for (const caps of CAP_STEPS.slice(1)) {
    if (jsonByteLength(card) <= CARD_BYTE_BUDGET) break;
    card = composeIssueCard(input, caps, LIMITS);
  }
  return card;
}

/** One line for notifications and search (the activity's `summary`), plain text (cardMessage neutralises it). */
export function issueCardSummary(input: IssueCardInput): string {
  const { issue } = input;
  const prefix = issue.status === "unresolved" ? "" : `[${statusWord(issue.status)}] `;
  const shortId = cleanLine(issue.shortId, 40);
  const title = cleanLine(issue.title, 150) || "(no title)";
  return truncate(`${prefix}${shortId}: ${title}`, 180);
}

/** The message activity for an issue alert: the card plus its summary. */
export function buildIssueMessage(input: IssueCardInput): CardMessage {
  return cardMessage(buildIssueCard(input), issueCardSummary(input));
}

function composeIssueCard(input: IssueCardInput, caps: AssignListCaps, limits: TextLimits): AdaptiveCard {
  const { issue } = input;
  const tone = TONE_STYLE[STATUS_TONE[issue.status]];
  const link = issueUrl(input.baseUrl, input.organization.slug, issue.id);

  const title = cleanLine(issue.title, limits.title);
  const header: AdaptiveElement[] = [
    textBlock(statusLine(issue), { size: "Small", weight: "Bolder", color: tone.color, spacing: "None" }),
    textBlock(markdownLink(title || "(no title)", link, limits.title), { size: "Large", weight: "Bolder", spacing: "Small" }),
  ];
  // Sentry's title is "<type>: <first line of the value>": the value, a function named in the culprit, or a
  // culprit the title already holds would only repeat it. (Compared before shortening, shown shortened.)
  const said = { title: cleanLine(issue.title, 1000), culprit: cleanLine(issue.culprit, 1000) };
  const description = describe(issue, [said.title, said.culprit]);
  if (description) {
    header.push(textBlock(markdownText(description, limits.description), { size: "Medium", spacing: "Small" }));
  }
  if (said.culprit && !alreadySaid(said.culprit, [said.title, description])) {
    header.push(textBlock(markdownText(said.culprit, limits.culprit), { size: "Small", isSubtle: true, spacing: "Small" }));
  }

  const body: AdaptiveElement[] = [container(header, { style: tone.container })];

  const change = statusChangeLine(issue, limits);
  if (change) body.push(textBlock(change, { isSubtle: true, spacing: "Small" }));

  body.push(factSet(facts(input, limits), { spacing: "Medium" }));
  body.push(footer(input, limits));

  const assigned = assigneeText(input, limits);
  if (assigned) body.push(textBlock(`**Assigned to ${assigned}**`, { spacing: "Small" }));

  body.push(buildIssueActions(input, caps));

  const fallback = `${markdownText(issue.shortId, 40)}: ${markdownText(issue.title, limits.title) || "(no title)"} (${statusWord(issue.status)})`;
  return rootCard({ body, fallbackText: fallback });
}

/**
 * The error's value, else its function, else the message (Sentry shows value or function), keeping only what
 * `shown` does not already say: leading lines already in the title are dropped (a multi-line value keeps the
 * lines after the one the title shows), and a candidate that adds nothing is skipped.
 */
function describe(issue: CardIssue, shown: string[]): string {
  const m = issue.metadata ?? {};
  for (const candidate of [m.value, m.function, m.message]) {
    const lines = (typeof candidate === "string" ? candidate : "").split(/\r\n|\r|\n/);
    while (lines.length > 0 && alreadySaid(cleanLine(lines[0], 1000), shown)) lines.shift();
    const rest = cleanLine(lines.join("\n"), 1000);
    if (rest) return rest;
  }
  return "";
}

/** True when `text` is empty or contained in one of the texts already on the card. */
function alreadySaid(text: string, shown: string[]): boolean {
  return text === "" || shown.some((s) => s.includes(text));
}

function statusWord(status: CardIssue["status"]): string {
  return status === "resolved" ? "Resolved" : status === "ignored" ? "Ignored" : "Unresolved";
}

const SUBSTATUS_WORD: Record<string, string> = { new: "New", ongoing: "Ongoing", regressed: "Regressed", escalating: "Escalating" };

/** "Unresolved · Regressed", "Resolved", "Ignored". */
function statusLine(issue: CardIssue): string {
  const word = statusWord(issue.status);
  const sub = issue.status === "unresolved" && issue.substatus ? SUBSTATUS_WORD[issue.substatus] : undefined;
  return sub ? `${word} · ${sub}` : word;
}

/** "Resolved by ada@example.com · in the next release", "Ignored · until 100 more events", ... */
function statusChangeLine(issue: CardIssue, limits: TextLimits): string | null {
  const by = issue.statusChangedBy ? markdownText(issue.statusChangedBy.email, limits.person) : "";
  const byText = by ? ` by ${by}` : "";
  // A bare "Resolved"/"Ignored" would only repeat the status line: say nothing then.
  if (issue.status === "resolved") {
    const how = resolutionText(issue, limits);
    return byText || how ? `Resolved${byText}${how ? ` · ${how}` : ""}` : null;
  }
  if (issue.status === "ignored") {
    const how = ignoreText(issue);
    return byText || how ? `Ignored${byText}${how ? ` · ${how}` : ""}` : null;
  }
  // Unresolved: only worth a line when a person reopened it.
  return by ? `Reopened${byText}` : null;
}

function resolutionText(issue: CardIssue, limits: TextLimits): string {
  const r = issue.resolution;
  if (!r) return "";
  switch (r.kind) {
    case "immediate":
      return "";
    case "inRelease":
      return `in release ${markdownText(r.release, limits.fact)}`;
    case "inNextRelease":
      return r.release ? `in the next release (after ${markdownText(r.release, limits.fact)})` : "in the next release";
  }
}

function ignoreText(issue: CardIssue): string {
  const c = issue.ignoreConditions;
  if (!c) return "";
  switch (c.kind) {
    case "forever":
      return "forever";
    case "count":
      return `until ${plural(c.count, "more event", "more events")}`;
    case "userCount":
      return `until ${plural(c.count, "more user", "more users")}`;
    case "duration": {
      const until = dateTimeText(c.until);
      return `for ${formatMinutes(c.minutes)}${until ? ` (until ${until})` : ""}`;
    }
  }
}

function facts(input: IssueCardInput, limits: TextLimits): Fact[] {
  const { issue, project } = input;
  const list: Fact[] = [];
  // The short id's prefix is an abbreviation: say which project in words.
  const projectName = markdownText(project.name, limits.fact) || markdownText(project.slug, limits.fact);
  if (projectName) list.push({ title: "Project", value: projectName });
  const level = markdownText(issue.level, 20);
  if (level) list.push({ title: "Level", value: level });
  list.push({ title: "Events", value: formatCount(issue.timesSeen) });
  list.push({ title: "Users", value: formatCount(issue.usersSeen) });
  const firstSeen = dateTimeText(issue.firstSeen);
  if (firstSeen) list.push({ title: "First seen", value: firstSeen });
  const lastSeen = dateTimeText(issue.lastSeen);
  if (lastSeen) list.push({ title: "Last seen", value: lastSeen });
  const release = markdownText(issue.lastRelease, limits.fact);
  if (release) list.push({ title: "Release", value: release });
  const environment = markdownText(issue.lastEnvironment, limits.fact);
  if (environment) list.push({ title: "Environment", value: environment });
  return list;
}

/** `SHORT-ID via [rule](url) (+N other)`. */
function footer(input: IssueCardInput, limits: TextLimits): AdaptiveElement {
  let text = markdownText(input.issue.shortId, 40);
  const [first, ...others] = input.rules;
  if (first) {
    const url = ruleUrl(input.baseUrl, input.organization.slug, input.project.slug, first.id);
    text += ` via ${markdownLink(cleanLine(first.name, limits.ruleName) || `rule ${first.id}`, url, limits.ruleName)}`;
    if (others.length > 0) text += ` (+${formatCount(others.length)} other)`;
  }
  return textBlock(text, { size: "Small", isSubtle: true, spacing: "Medium", separator: true });
}

function assigneeText(input: IssueCardInput, limits: TextLimits): string | null {
  const a = input.assignee;
  if (!a) return null;
  if (a.kind === "team") return `#${markdownText(a.slug, limits.person)}`;
  return markdownText(a.email, limits.person) || `user ${a.id}`;
}
