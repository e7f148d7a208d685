/**
 * The conversational cards: what the bot says on install, to commands, around account linking, and the
 * short result / regression cards. Each returns an AdaptiveCard; wrap it with `cardMessage(card, summary)`.
 *
 * URLs (setup, link, unlink) are made and signed by the caller; here they are only checked to be http(s).
 */
import { column, columnSet, container, heading, openUrl, rootCard, textBlock, TONE_STYLE, type Tone } from "./elements";
import { markdownText, neutralize } from "./escape";
import { dateTimeText, plural } from "./format";
import type { AdaptiveCard, AdaptiveElement } from "./types";

/** How the bot calls itself on cards. */
export const BOT_DISPLAY_NAME = "Issue Alerts";

const COMMANDS_HINT = "Type **help** to see what I can do.";

/** After the bot is added to a team: what it does, and the button to finish setup (signed setup link). */
export function buildWelcomeCard(params: { setupUrl: string }): AdaptiveCard {
  return rootCard({
    body: [
      heading(`Welcome to ${BOT_DISPLAY_NAME}`),
      textBlock(
        "I post alerts about new, regressed and escalating issues to this team's channels. Each alert has " +
          "**Resolve**, **Ignore** and **Assign** buttons, so you can triage without leaving Teams.",
      ),
      textBlock(
        "To connect this team to your organization, click **Complete setup**. The setup link is personal and " +
          "expires: don't share it.",
      ),
    ],
    actions: [openUrl("Complete setup", params.setupUrl, "positive")],
    fallbackText: `Welcome to ${BOT_DISPLAY_NAME}. Complete the setup to connect this team.`,
  });
}

/** After setup connected the team to an organization; the button opens the organization's issues in the web app. */
export function buildInstallationConfirmationCard(params: { organizationName: string; issuesUrl: string }): AdaptiveCard {
  const org = markdownText(params.organizationName, 80) || "your organization";
  return rootCard({
    body: [
      heading(`Installation for ${org} is successful`),
      textBlock(
        `Setup is complete. To get alerts in a channel of this team, mention me there: **@${BOT_DISPLAY_NAME} subscribe** ${neutralize("<project>")} (e.g. **subscribe api**). ` +
          "Issues will show up in that channel as cards.",
      ),
    ],
    actions: [openUrl("Open issues", params.issuesUrl)],
    fallbackText: `Installation for ${org} is successful.`,
  });
}

/** After the bot is added as a personal app. */
export function buildPersonalInstallationCard(): AdaptiveCard {
  return rootCard({
    body: [
      heading(`Thanks for adding ${BOT_DISPLAY_NAME}`),
      textBlock(
        "In this chat I'll send you the issues assigned to you, once your Teams account is linked to your " +
          "account. Type **link** to link it.",
      ),
      textBlock(
        "Channel alerts need the app in a team: add it again and choose **Add to a team**.",
        { isSubtle: true },
      ),
    ],
    fallbackText: `Thanks for adding ${BOT_DISPLAY_NAME}. Type link to link your account.`,
  });
}

/** The `help` command in the personal chat (the channel's is buildChannelHelpCard). */
export function buildHelpCard(): AdaptiveCard {
  return rootCard({
    body: [
      textBlock("Here's what I understand:", { weight: "Bolder" }),
      textBlock(
        [
          `- **subscribe** ${neutralize("<project>")}: follow a project, its new issues come to this chat (e.g. **subscribe api**)`,
          `- **unsubscribe** ${neutralize("<project>")}: stop following a project`,
          "- **notifications**: show and change what I send you here",
          "- **link**: link your Microsoft Teams account, to act on alerts as yourself",
          "- **unlink**: unlink your Microsoft Teams account",
          "- **help**: show this list",
        ].join("\r"),
      ),
      textBlock(
        `On an alert card, use **Resolve**, **Ignore** and **Assign** to triage the issue. In a channel, mention me with **help** to route a project's alerts there.`,
        { isSubtle: true },
      ),
    ],
    fallbackText: "Commands: subscribe, unsubscribe, notifications, link, unlink, help.",
  });
}

/** Any other text in a personal chat. The text is the user's: it is escaped and shortened. */
export function buildUnrecognizedCommandCard(text: string): AdaptiveCard {
  const said = markdownText(text, 100);
  return rootCard({
    body: [textBlock(`Sorry, I didn't understand '${said}'.`), textBlock(COMMANDS_HINT, { isSubtle: true })],
    fallbackText: `Sorry, I didn't understand '${said}'.`,
  });
}

/** Sent (1:1) when a Teams user without a linked account acted on a card, or typed `link`. */
export function buildLinkPromptCard(params: { linkUrl: string }): AdaptiveCard {
  return rootCard({
    body: [
      textBlock("Link your account", { weight: "Bolder", size: "Medium" }),
      textBlock(
        "Link your Microsoft Teams account to your account before acting on alerts from Teams. The link " +
          "is personal and expires: don't share it.",
      ),
    ],
    actions: [openUrl("Link your account", params.linkUrl, "positive")],
    fallbackText: "Link your Microsoft Teams account to act on alerts.",
  });
}

export function buildLinkedCard(): AdaptiveCard {
  return rootCard({
    body: [
      textBlock("Your Microsoft Teams account is linked.", { weight: "Bolder" }),
      textBlock("You're good to go: what you do on alert cards is done as you."),
    ],
    fallbackText: "Your Microsoft Teams account is linked.",
  });
}

/** The `unlink` command: a button to the signed unlink page. */
export function buildUnlinkCard(params: { unlinkUrl: string }): AdaptiveCard {
  return rootCard({
    body: [textBlock("Click below to unlink your Microsoft Teams account.")],
    actions: [openUrl("Unlink account", params.unlinkUrl, "destructive")],
    fallbackText: "Unlink your Microsoft Teams account.",
  });
}

export function buildUnlinkedCard(): AdaptiveCard {
  return rootCard({
    body: [
      textBlock("Your Microsoft Teams account has been unlinked.", { weight: "Bolder" }),
      textBlock("To act on alerts from Teams again, type **link**."),
    ],
    fallbackText: "Your Microsoft Teams account has been unlinked.",
  });
}

/** The `link` command when already linked. */
export function buildAlreadyLinkedCard(): AdaptiveCard {
  return rootCard({
    body: [
      textBlock("Your Microsoft Teams account is already linked.", { weight: "Bolder" }),
      textBlock("To link another account, type **unlink** first.", { isSubtle: true }),
    ],
    fallbackText: "Your Microsoft Teams account is already linked.",
  });
}

/**
 * A short result or refusal after a card action or command, e.g. "You can't assign someone outside the
 * organization." `text` (and `title`) are escaped: they may contain names.
 */
export function buildActionResultCard(params: { tone: Tone; text: string; title?: string }): AdaptiveCard {
  const style = TONE_STYLE[params.tone];
  const items: AdaptiveElement[] = [];
  const title = markdownText(params.title, 100);
  if (title) items.push(textBlock(title, { weight: "Bolder", color: style.color }));
  items.push(textBlock(markdownText(params.text, 400)));
  return rootCard({
    body: [container(items, { style: style.container })],
    fallbackText: markdownText(params.title || params.text, 200),
  });
}

/** Threaded reply under an issue card when the issue regressed: "Regressed in 1.4.2 — 12 events". */
export function buildRegressionReplyCard(params: { release: string | null; eventCount: number; at: number }): AdaptiveCard {
  const release = markdownText(params.release, 80);
  const headline = `**Regressed**${release ? ` in ${release}` : ""} — ${plural(params.eventCount, "event", "events")}`;
  const when = dateTimeText(params.at);
  const columns = [column([textBlock(headline, { color: "Attention" })], "stretch")];
  if (when) columns.push(column([textBlock(when, { size: "Small", isSubtle: true })], "auto", { verticalContentAlignment: "Center" }));
  return rootCard({
    body: [columnSet(columns)],
    fallbackText: `Regressed${release ? ` in ${release}` : ""} — ${plural(params.eventCount, "event", "events")}`,
  });
}
