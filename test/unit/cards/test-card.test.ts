import { describe, expect, it } from "vitest";
import type { AdaptiveCard } from "../../../src/cards/types";
import { buildTestCardMessage, TEST_CARD_HEADLINE } from "../../../src/cards/test-card";
import { linkTargets, markdownTexts, schemaErrors, textBlocks, walk } from "./card-helpers";
import { BASE_URL, HOSTILE_TEXT } from "./fixtures";

const ruleUrl = `${BASE_URL}/organizations/acme/alerts/rules/api/7/details/`;
const input = (name = "Checkout errors") => ({
  rule: { name, conditions: { newIssue: true, regression: true }, filters: { levelAtLeast: "error" } },
  project: { name: "Checkout" },
  ruleUrl,
  sentBy: "ada@example.com",
});

describe("the test card (Send a test card on a rule's page)", () => {
  it("is a valid Adaptive Card 1.5, clearly marked as a test, in the issue card's shape, without issue buttons", () => {
    const message = buildTestCardMessage(input());
    const card = message.attachments[0].content as AdaptiveCard;
    expect(schemaErrors(card)).toEqual([]);
    expect(message.summary).toBe(`${TEST_CARD_HEADLINE}: Checkout errors`);
    const texts = textBlocks(card).map((t) => t.text);
    expect(texts[0]).toBe(TEST_CARD_HEADLINE);
    expect(texts.join("\n")).toContain("Sent from the web by ada@example.com");
    expect(texts.join("\n")).toContain("via Checkout errors");
    // The only action opens the rule; nothing posts back to the bot.
    const actions = walk(card).filter((n) => typeof n.type === "string" && (n.type as string).startsWith("Action."));
    expect(actions).toEqual([{ type: "Action.OpenUrl", title: "Open the rule", url: ruleUrl }]);
  });

  it("escapes the rule's name and the sender (no markdown links smuggled in)", () => {
    const card = buildTestCardMessage({ ...input(HOSTILE_TEXT), sentBy: "[x](https://evil.example)" }).attachments[0].content as AdaptiveCard;
    expect(schemaErrors(card)).toEqual([]);
    for (const text of markdownTexts(card)) expect(linkTargets(text)).toEqual([]);
  });
});
