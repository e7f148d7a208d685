/**
 * The "Send a test card" card of the web app's rule page: a clearly marked sample of what the rule posts, sent to the
 * rule's target at once, so an admin sees that the bot can reach it. It has the issue card's shape (status line,
 * title, facts, "via <rule>") but no issue behind it: no issue link and no action buttons.
 */
import { describeRule, type RuleSummaryInput } from "./subscription-cards";
import { container, factSet, openUrl, rootCard, textBlock, TONE_STYLE } from "./elements";
import { markdownText } from "./escape";
import { cardMessage } from "./message";
import type { CardMessage } from "./types";

export const TEST_CARD_HEADLINE = "Test card — this is what an alert from this rule looks like";

export type TestCardInput = {
  rule: RuleSummaryInput & { name: string };
  project: { name: string };
  /** The rule's page (absolute URL). */
  ruleUrl: string;
  /** Who asked for it (email), shown so a channel knows where it came from. */
  sentBy: string;
};

export function buildTestCardMessage(input: TestCardInput): CardMessage {
  const warning = TONE_STYLE.warning;
  const error = TONE_STYLE.error;
  const card = rootCard({
    body: [
      container(
        [
          textBlock(TEST_CARD_HEADLINE, { weight: "Bolder", color: warning.color }),
          textBlock(`Sent from the web by ${markdownText(input.sentBy, 100)}. No issue happened; there is nothing to do.`, { size: "Small", spacing: "None" }),
        ],
        { style: warning.container },
      ),
      container(
        [
          textBlock("Unresolved · new issue (sample)", { size: "Small", weight: "Bolder", color: error.color, spacing: "None" }),
          textBlock("TypeError: Cannot read properties of undefined (reading 'id')", { size: "Large", weight: "Bolder", spacing: "Small" }),
          textBlock("in checkout(src/cart.ts)", { size: "Small", isSubtle: true, spacing: "Small" }),
        ],
        { style: error.container },
      ),
      factSet(
        [
          { title: "Project", value: markdownText(input.project.name, 80) },
          { title: "Level", value: "error" },
          { title: "Events", value: "1" },
          { title: "When", value: markdownText(describeRule(input.rule), 200) },
        ],
        { spacing: "Medium" },
      ),
      textBlock(`via ${markdownText(input.rule.name, 80)}`, { size: "Small", isSubtle: true }),
    ],
    actions: [openUrl("Open the rule", input.ruleUrl)],
    fallbackText: `${TEST_CARD_HEADLINE} (${markdownText(input.rule.name, 80)})`,
  });
  return cardMessage(card, `${TEST_CARD_HEADLINE}: ${input.rule.name}`);
}
