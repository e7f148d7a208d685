import { describe, expect, it } from "vitest";
import { jsonByteLength } from "../../../src/cards/card-size";
import {
  BOT_DISPLAY_NAME,
  buildActionResultCard,
  buildAlreadyLinkedCard,
  buildHelpCard,
  buildInstallationConfirmationCard,
  buildLinkPromptCard,
  buildRegressionReplyCard,
  buildUnlinkCard,
  buildUnrecognizedCommandCard,
  buildWelcomeCard,
} from "../../../src/cards/conversation-cards";
import { cardMessage } from "../../../src/cards/message";
import type { AdaptiveCard, OpenUrlAction } from "../../../src/cards/types";
import { linkTargets, markdownTexts, schemaErrors, textBlocks, walk } from "./card-helpers";
import { BASE_URL, conversationSamples, HOSTILE_TEXT, LAST_SEEN } from "./fixtures";

const Z = "\u200B";
const allText = (card: AdaptiveCard) => textBlocks(card).map((t) => t.text).join("\n");
const openUrls = (card: AdaptiveCard) => walk(card).filter((n): n is OpenUrlAction => n.type === "Action.OpenUrl");

describe("conversation cards: every card", () => {
  for (const { name, card } of conversationSamples()) {
    it(`${name}: valid Adaptive Card 1.5, full width, with fallback text, small`, () => {
      expect(schemaErrors(card)).toEqual([]);
      expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.5", msteams: { width: "Full" } });
      expect(card.fallbackText?.length).toBeGreaterThan(0);
      expect(textBlocks(card).length).toBeGreaterThan(0);
      expect(jsonByteLength(card)).toBeLessThan(4096);
    });
  }
});

describe("conversation cards: content", () => {
  it("welcome explains the bot and links to the signed setup URL", () => {
    const setupUrl = `${BASE_URL}/setup?token=eyJ.abc.def`;
    const card = buildWelcomeCard({ setupUrl });
    expect(allText(card)).toContain(`Welcome to ${BOT_DISPLAY_NAME}`);
    expect(allText(card)).toMatch(/\*\*Resolve\*\*, \*\*Ignore\*\* and \*\*Assign\*\*/);
    expect(openUrls(card)).toEqual([{ type: "Action.OpenUrl", title: "Complete setup", url: setupUrl, style: "positive" }]);
  });

  it("buttons refuse links that are not http(s)", () => {
    expect(() => buildWelcomeCard({ setupUrl: "javascript:alert(1)" })).toThrow(RangeError);
    expect(() => buildLinkPromptCard({ linkUrl: "data:text/html,<script>" })).toThrow(RangeError);
    expect(() => buildUnlinkCard({ unlinkUrl: "/unlink" })).toThrow(RangeError);
  });

  it("installation confirmation names the organization (escaped), says how to subscribe a channel, opens its issues", () => {
    const card = buildInstallationConfirmationCard({ organizationName: "Acme_Corp **x**", issuesUrl: `${BASE_URL}/organizations/acme/issues/` });
    expect(textBlocks(card)[0].text).toBe("Installation for Acme\\_Corp \\*\\*x\\*\\* is successful");
    expect(textBlocks(card)[1].text).toContain("subscribe** ");
    expect(textBlocks(card)[1].text).toContain("project");
    expect(openUrls(card).map((a) => a.url)).toEqual([`${BASE_URL}/organizations/acme/issues/`]);
  });

  it("link prompt, unlink: one button each to the given URL", () => {
    expect(openUrls(buildLinkPromptCard({ linkUrl: `${BASE_URL}/link?t=1` }))).toEqual([
      { type: "Action.OpenUrl", title: "Link your account", url: `${BASE_URL}/link?t=1`, style: "positive" },
    ]);
    expect(openUrls(buildUnlinkCard({ unlinkUrl: `${BASE_URL}/unlink?t=1` }))).toEqual([
      { type: "Action.OpenUrl", title: "Unlink account", url: `${BASE_URL}/unlink?t=1`, style: "destructive" },
    ]);
  });

  it("help lists the commands", () => {
    const text = allText(buildHelpCard());
    for (const command of ["notifications", "link", "unlink", "help"]) expect(text).toContain(`- **${command}**:`);
    for (const command of ["subscribe", "unsubscribe"]) expect(text).toContain(`- **${command}** <\u200Bproject>:`);
  });


  it("unrecognized command quotes the text, escaped and shortened", () => {
    expect(textBlocks(buildUnrecognizedCommandCard("deploy"))[0].text).toBe("Sorry, I didn't understand 'deploy'.");
    const card = buildUnrecognizedCommandCard(HOSTILE_TEXT);
    const first = textBlocks(card)[0].text;
    expect(first.startsWith(`Sorry, I didn't understand '\\*\\*boom\\*\\* \\[click me\\](https://evil.example/x) <${Z}at>Everyone<${Z}/at>`)).toBe(true);
    expect(Array.from(first).length).toBeLessThan(140);
    expect(markdownTexts(card).flatMap(linkTargets)).toEqual([]);
    expect(JSON.stringify(card)).not.toContain("{{");
    expect(schemaErrors(card)).toEqual([]);
  });

  it("already linked says so and how to link another account", () => {
    expect(textBlocks(buildAlreadyLinkedCard()).map((t) => t.text)).toEqual([
      "Your Microsoft Teams account is already linked.",
      "To link another account, type **unlink** first.",
    ]);
  });

  it("action result: tone sets the colour; text is escaped", () => {
    const card = buildActionResultCard({ tone: "error", title: "Not assigned", text: "You can't assign someone outside the organization." });
    expect(card.body[0]).toMatchObject({ type: "Container", style: "attention" });
    expect(textBlocks(card).map((t) => [t.text, t.color])).toEqual([
      ["Not assigned", "Attention"],
      ["You can't assign someone outside the organization.", undefined],
    ]);
    expect(buildActionResultCard({ tone: "success", text: "ok" }).body[0]).toMatchObject({ style: "good" });
    expect(textBlocks(buildActionResultCard({ tone: "info", text: "[x](https://evil)" }))[0].text).toBe("\\[x\\](https://evil)");
  });

  it("regression reply: release, count and date", () => {
    const card = buildRegressionReplyCard({ release: "1.4.2", eventCount: 12, at: LAST_SEEN });
    expect(textBlocks(card).map((t) => t.text)).toEqual([
      "**Regressed** in 1.4.2 — 12 events",
      "{{DATE(2026-11-25T10:00:00Z, SHORT)}} at {{TIME(2026-11-25T10:00:00Z)}}",
    ]);
    expect(card.fallbackText).toBe("Regressed in 1.4.2 — 12 events");
    expect(textBlocks(buildRegressionReplyCard({ release: null, eventCount: 1, at: Number.NaN })).map((t) => t.text)).toEqual([
      "**Regressed** — 1 event",
    ]);
  });
});

describe("cardMessage", () => {
  it("wraps a card in a Bot Framework message activity with a summary", () => {
    const card = buildHelpCard();
    expect(cardMessage(card, "Commands")).toEqual({
      type: "message",
      summary: "Commands",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: card }],
    });
  });

  it("cleans and bounds the summary", () => {
    const message = cardMessage(buildHelpCard(), `a\nb <at>c</at> ${"x".repeat(500)}`);
    expect(message.summary.startsWith(`a b <${Z}at>c<${Z}/at> x`)).toBe(true);
    expect(Array.from(message.summary).length).toBeLessThanOrEqual(180 + 2);
    expect(message.summary.endsWith("…")).toBe(true);
  });
});
