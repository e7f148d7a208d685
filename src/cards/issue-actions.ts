/**
 * The issue card's buttons: Resolve ↔ Unresolve, Ignore ↔ Stop ignoring, Assign ↔ Unassign, in a Container
 * holding an ActionSet (as Sentry's card does, so the ShowCards open inline under the card body).
 *
 * Every Action.Submit carries the same payload (action-payload.ts); the ShowCards hold the choice inputs whose
 * values Teams merges next to it.
 */
import {
  ASSIGN_INPUT_ID,
  IGNORE_CHOICES,
  IGNORE_INPUT_ID,
  RESOLVE_CHOICES,
  RESOLVE_INPUT_ID,
  assignInputValue,
  encodeActionData,
  type ActionName,
  type CardActionContext,
} from "./action-payload";
import { container, nestedCard, textBlock } from "./elements";
import { cleanLine, markdownLink, neutralize, plainText, truncate } from "./escape";
import { formatCount } from "./format";
import { issueUrl } from "./links";
import type { AdaptiveElement, ChoiceSetInput, Container, InputChoice, IssueCardInput, SubmitAction } from "./types";
import { DEFAULT_ASSIGN_CAPS, type AssignListCaps } from "../issues/assign-list";


/** Longest choice title (Teams shows one line per choice in the dropdown). */
const CHOICE_TITLE_MAX = 80;

export function actionContext(input: IssueCardInput): CardActionContext {
  return {
    issueId: input.issue.id,
    eventId: input.eventId,
    rules: input.rules.map((r) => r.id),
    integrationId: input.integrationId,
  };
}

/** The Container with the card's ActionSet. `caps` bounds the Assign list (the card builder lowers it to fit). */
export function buildIssueActions(input: IssueCardInput, caps: AssignListCaps = DEFAULT_ASSIGN_CAPS): Container {
  const context = actionContext(input);
  const submit = (title: string, action: ActionName): SubmitAction => ({
    type: "Action.Submit",
    title,
    data: encodeActionData(action, context),
  });

  const resolve =
    input.issue.status === "resolved"
      ? submit("Unresolve", "unresolve")
      : {
          type: "Action.ShowCard" as const,
          title: "Resolve",
          card: nestedCard(
            [
              choiceSet(RESOLVE_INPUT_ID, "Resolve", RESOLVE_CHOICES, {
                value: RESOLVE_CHOICES[0].value,
                style: "expanded",
              }),
            ],
            [submit("Resolve", "resolve")],
          ),
        };

  const ignore =
    input.issue.status === "ignored"
      ? submit("Stop ignoring", "unresolve")
      : {
          type: "Action.ShowCard" as const,
          title: "Ignore",
          card: nestedCard(
            [
              choiceSet(IGNORE_INPUT_ID, "Ignore", IGNORE_CHOICES, {
                placeholder: "Choose how long to ignore it",
                isRequired: true,
                errorMessage: "Choose how long to ignore the issue.",
              }),
            ],
            [submit("Ignore", "ignore")],
          ),
        };

  const assign =
    input.assignee !== null
      ? submit("Unassign", "unassign")
      : {
          type: "Action.ShowCard" as const,
          title: "Assign",
          card: nestedCard(assignBody(input, caps), [submit("Assign", "assign")]),
        };

  return container([{ type: "ActionSet", actions: [resolve, ignore, assign] }]);
}

function assignBody(input: IssueCardInput, caps: AssignListCaps): AdaptiveElement[] {
  const teams = input.teams.slice(0, Math.max(0, caps.teams));
  const members = input.members.slice(0, Math.max(0, caps.members));
  const choices: InputChoice[] = [
    { title: "Me", value: assignInputValue({ kind: "me" }) },
    ...teams.map((t) => ({ title: `#${plainText(t.slug, CHOICE_TITLE_MAX - 1)}`, value: assignInputValue({ kind: "team", id: t.id }) })),
    ...members.map((m) => ({ title: memberTitle(m.name, m.email), value: assignInputValue({ kind: "user", id: m.id }) })),
  ];
  const body: AdaptiveElement[] = [
    choiceSet(ASSIGN_INPUT_ID, "Assign to", choices, { value: "ME", style: "filtered" }),
  ];

  // The caller may pass only the first members/teams and say how many there are in all.
  const memberTotal = Math.max(input.memberTotal ?? 0, input.members.length);
  const teamTotal = Math.max(input.teamTotal ?? 0, input.teams.length);
  const hiddenMembers = memberTotal - members.length;
  const hiddenTeams = teamTotal - teams.length;
  if (hiddenMembers > 0 || hiddenTeams > 0) {
    // Say so: a filtered dropdown only searches what it holds.
    const url = issueUrl(input.baseUrl, input.organization.slug, input.issue.id);
    body.push(
      textBlock(
        `Showing ${formatCount(members.length)} of ${formatCount(memberTotal)} people and ` +
          `${formatCount(teams.length)} of ${formatCount(teamTotal)} teams. Type to filter these, or ` +
          `${markdownLink("assign on the web", url, 40)} to pick anyone.`,
        { size: "Small", isSubtle: true, spacing: "Small" },
      ),
    );
  }
  return body;
}

/** "Ada Lovelace (ada@example.com)", or just the email when there is no name. */
function memberTitle(name: string, email: string): string {
  const cleanName = cleanLine(name, CHOICE_TITLE_MAX);
  const cleanEmail = cleanLine(email, CHOICE_TITLE_MAX);
  const title = cleanName && cleanEmail ? `${cleanName} (${cleanEmail})` : cleanName || cleanEmail || "(unnamed)";
  return neutralize(truncate(title, CHOICE_TITLE_MAX));
}

function choiceSet(
  id: string,
  label: string,
  choices: readonly InputChoice[],
  options: Omit<ChoiceSetInput, "type" | "id" | "choices" | "label">,
): ChoiceSetInput {
  return {
    type: "Input.ChoiceSet",
    id,
    label,
    choices: choices.map((c) => ({ title: c.title, value: c.value })),
    style: "compact",
    wrap: true,
    ...options,
  };
}
