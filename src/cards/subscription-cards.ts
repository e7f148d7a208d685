/**
 * The cards of the chat's alert commands: `subscribe` / `unsubscribe` / `subscriptions` in a channel, the
 * channel's help, project name matches, and the personal `notifications` settings with their toggles. Pure
 * builders: plain data in, an AdaptiveCard out. Names (projects, channels, environments) are user text: escaped.
 */
import {
  encodeNotificationSettingsData,
  encodeUnsubscribeData,
  NOTIFICATION_TOGGLES,
  TOGGLE_OFF,
  TOGGLE_ON,
  type NotificationToggleId,
} from "./action-payload";
import { BOT_DISPLAY_NAME } from "./conversation-cards";
import { column, columnSet, container, factSet, heading, rootCard, textBlock, TONE_STYLE } from "./elements";
import { markdownText, neutralize, plainText } from "./escape";
import type { AdaptiveCard, AdaptiveElement, SettingsSubmitAction, ToggleInput } from "./types";

/** A rule's conditions and filters, as the cards describe them. */
export type RuleSummaryInput = {
  conditions: { newIssue?: boolean; regression?: boolean; escalation?: boolean; frequency?: { count: number; windowMinutes: number } };
  filters: { levelAtLeast?: string; environment?: string; tags?: Record<string, string> };
};

/** The command reference: one source for the help cards (and docs/teams.md repeats it). */
export const CHANNEL_COMMANDS: readonly { usage: string; what: string; example: string }[] = [
  {
    usage: "subscribe <project> [new] [regressions] [escalations] [level>=<level>] [env=<environment>]",
    what: "Send this project's alerts to this channel (or change what is sent). No options: new issues and regressions.",
    example: "subscribe api escalations level>=error env=production",
  },
  { usage: "unsubscribe <project>", what: "Stop this project's alerts here. Cards already posted stay.", example: "unsubscribe api" },
  { usage: "subscriptions", what: "List what this channel receives, with an Unsubscribe button each.", example: "subscriptions" },
  { usage: "help", what: "Show this list.", example: "help" },
];

/** "New issues, regressions · level error or higher · environment production". */
export function describeRule(r: RuleSummaryInput): string {
  const what: string[] = [];
  if (r.conditions.newIssue) what.push("new issues");
  if (r.conditions.regression) what.push("regressions");
  if (r.conditions.escalation) what.push("escalations");
  if (r.conditions.frequency) what.push(`more than ${r.conditions.frequency.count} events in ${r.conditions.frequency.windowMinutes} min`);
  const parts = [capitalize(what.join(", ") || "no conditions")];
  if (r.filters.levelAtLeast) parts.push(`level ${r.filters.levelAtLeast} or higher`);
  if (r.filters.environment) parts.push(`environment ${r.filters.environment}`);
  const tags = Object.entries(r.filters.tags ?? {});
  if (tags.length) parts.push(tags.map(([k, v]) => `${k}=${v}`).join(", "));
  return parts.join(" · ");
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `help` (or a bare @mention) in a channel: the channel's commands with examples. */
export function buildChannelHelpCard(): AdaptiveCard {
  const commands: AdaptiveElement[] = CHANNEL_COMMANDS.map((c) =>
    container(
      [
        textBlock(`**${neutralize(c.usage)}**`, { spacing: "None" }),
        textBlock(c.what, { isSubtle: true, spacing: "None" }),
        textBlock(`Example: @${BOT_DISPLAY_NAME} ${c.example}`, { size: "Small", spacing: "None" }),
      ],
      { spacing: "Medium" },
    ),
  );
  return rootCard({
    body: [
      heading("Route alerts to this channel", { size: "Medium" }),
      textBlock(`Mention me with a command. Admins of your organization can use them; link your account first (chat with ${BOT_DISPLAY_NAME} and type **link**).`, {
        isSubtle: true,
      }),
      ...commands,
      textBlock('Levels: debug, info, warning, error, fatal. Quote names with spaces: env="eu west".', { isSubtle: true, size: "Small", spacing: "Medium" }),
    ],
    fallbackText: "Commands: subscribe, unsubscribe, subscriptions, help.",
  });
}

/** After `subscribe` in a channel: what this channel now receives. */
export function buildSubscribedCard(params: { projectSlug: string; organizationSlug: string; channelName: string; rule: RuleSummaryInput; updated: boolean }): AdaptiveCard {
  const project = markdownText(params.projectSlug, 60);
  const channel = markdownText(params.channelName, 80);
  const style = TONE_STYLE.success;
  return rootCard({
    body: [
      container(
        [
          textBlock(params.updated ? `Updated: ${project} alerts in this channel` : `Subscribed: ${project} alerts come to this channel`, {
            weight: "Bolder",
            color: style.color,
          }),
          factSet([
            { title: "Channel", value: channel },
            { title: "Project", value: `${markdownText(params.organizationSlug, 60)}/${project}` },
            { title: "Sends", value: markdownText(describeRule(params.rule), 300) },
          ]),
        ],
        { style: style.container },
      ),
      textBlock(`Change it with **subscribe ${project}** and options, stop it with **unsubscribe ${project}**, see all with **subscriptions**.`, {
        isSubtle: true,
        size: "Small",
      }),
    ],
    fallbackText: `${params.updated ? "Updated" : "Subscribed"}: ${plainText(params.projectSlug, 60)} alerts come to this channel.`,
  });
}

export type SubscriptionItem = {
  ruleId: number;
  projectSlug: string;
  ruleName: string;
  rule: RuleSummaryInput;
  status: "active" | "disabled";
  statusReason: string | null;
  createdVia: "api" | "teams" | "web";
};

/** `subscriptions` in a channel: its rules, each with an Unsubscribe button while active. */
export function buildSubscriptionsCard(params: { channelName: string; integrationId: number; items: SubscriptionItem[]; note?: string }): AdaptiveCard {
  const channel = markdownText(params.channelName, 80);
  const count = params.items.length === 1 ? "1 rule" : `${params.items.length} rules`;
  const body: AdaptiveElement[] = [
    heading("This channel's subscriptions", { size: "Medium" }),
    textBlock(`${channel} · ${count}`, { isSubtle: true, spacing: "None" }),
  ];
  if (params.note) body.push(textBlock(markdownText(params.note, 200), { color: "Good" }));
  if (!params.items.length) {
    body.push(textBlock(`Nothing is routed here yet. Mention me with **subscribe ${neutralize("<project>")}** to start.`, { isSubtle: true }));
  }
  const shown = params.items.slice(0, 25);
  for (const item of shown) {
    const active = item.status === "active";
    const details = [
      textBlock(`**${markdownText(item.projectSlug, 60)}**${active ? "" : " (disabled)"}`, { spacing: "None" }),
      textBlock(markdownText(describeRule(item.rule), 300), { isSubtle: true, size: "Small", spacing: "None" }),
    ];
    if (!active && item.statusReason) details.push(textBlock(markdownText(item.statusReason, 200), { isSubtle: true, size: "Small", spacing: "None" }));
    if (item.createdVia !== "teams") details.push(textBlock(`Rule “${markdownText(item.ruleName, 80)}”, made outside Teams`, { isSubtle: true, size: "Small", spacing: "None" }));
    const columns = [column(details, "stretch")];
    if (active) {
      const unsubscribe: SettingsSubmitAction = { type: "Action.Submit", title: "Unsubscribe", data: encodeUnsubscribeData(item.ruleId, params.integrationId) };
      columns.push(column([{ type: "ActionSet", actions: [unsubscribe] }], "auto", { verticalContentAlignment: "Center" }));
    }
    body.push(columnSet(columns, { separator: true, spacing: "Medium" }));
  }
  if (params.items.length > shown.length) {
    body.push(textBlock(`…and ${params.items.length - shown.length} more.`, { isSubtle: true }));
  }
  return rootCard({
    body,
    fallbackText: params.items.length ? `${params.items.length} alert rule(s) post to this channel.` : "No alerts are routed to this channel.",
  });
}

export type ProjectChoice = { organizationSlug: string; slug: string; name: string };

/** The name given matched no project, or several: the close matches, as commands to copy. */
export function buildProjectMatchesCard(params: { asked: string; command: "subscribe" | "unsubscribe"; matches: ProjectChoice[]; ambiguous: boolean }): AdaptiveCard {
  const asked = markdownText(params.asked, 100);
  const title = params.ambiguous ? `Several projects are called ${asked}` : `No project called ${asked}`;
  const body: AdaptiveElement[] = [textBlock(title, { weight: "Bolder", color: "Warning" })];
  if (params.matches.length) {
    body.push(textBlock(params.ambiguous ? "Name the organization too:" : "Did you mean:"));
    body.push(
      textBlock(
        params.matches
          .slice(0, 8)
          .map((m) => {
            const ref = params.ambiguous ? `${m.organizationSlug}/${m.slug}` : m.slug;
            return `- **${params.command} ${markdownText(ref, 110)}** (${markdownText(m.name, 60)})`;
          })
          .join("\r"),
      ),
    );
  } else {
    body.push(textBlock("No project of the organizations connected to this Teams tenant has a similar name. Project names are their slugs, as in the project's URL.", { isSubtle: true }));
  }
  return rootCard({ body, fallbackText: plainText(title.replace(/\\/g, ""), 150) });
}

/** A command used wrongly: what was wrong and how it is written. */
export function buildUsageCard(params: { reason: string; usage: string; example: string }): AdaptiveCard {
  const style = TONE_STYLE.warning;
  return rootCard({
    body: [
      container(
        [
          textBlock(`Sorry, ${markdownText(params.reason, 200)}.`, { weight: "Bolder", color: style.color }),
          factSet([
            { title: "Usage", value: markdownText(params.usage, 200) },
            { title: "Example", value: markdownText(params.example, 200) },
          ]),
        ],
        { style: style.container },
      ),
      textBlock("Type **help** for every command.", { isSubtle: true, size: "Small" }),
    ],
    fallbackText: `Sorry, ${plainText(params.reason, 200)}.`,
  });
}

/** Why a command was refused, and what to do about it (link, ask an admin, set up the app). */
export function buildRefusalCard(params: { title: string; text: string; next?: string }): AdaptiveCard {
  const style = TONE_STYLE.warning;
  const items: AdaptiveElement[] = [
    textBlock(markdownText(params.title, 120), { weight: "Bolder", color: style.color }),
    textBlock(markdownText(params.text, 400)),
  ];
  const body: AdaptiveElement[] = [container(items, { style: style.container })];
  // `next` is ours (bold command names): not escaped.
  if (params.next) body.push(textBlock(params.next, { size: "Small" }));
  return rootCard({ body, fallbackText: plainText(params.title, 120) });
}

export type NotificationSettingsInput = { assigned: boolean; resolvedRegressed: boolean; followedNew: boolean };

/** What each toggle is called, on the card and on the web app's Me page. */
export const TOGGLE_TITLES: Record<NotificationToggleId, string> = {
  notifyAssigned: "Issues assigned to me (by someone else)",
  notifyResolvedRegressed: "Issues I resolved that regress",
  notifyFollowedNew: "New issues in projects I follow",
};

/** `notifications` in the personal chat: the three toggles, the followed projects, and Save. */
export function buildNotificationsCard(params: { settings: NotificationSettingsInput; followed: string[]; saved?: boolean }): AdaptiveCard {
  const toggles: ToggleInput[] = (Object.keys(NOTIFICATION_TOGGLES) as NotificationToggleId[]).map((id) => ({
    type: "Input.Toggle",
    id,
    title: TOGGLE_TITLES[id],
    value: params.settings[NOTIFICATION_TOGGLES[id]] ? TOGGLE_ON : TOGGLE_OFF,
    valueOn: TOGGLE_ON,
    valueOff: TOGGLE_OFF,
    wrap: true,
  }));
  const followed = params.followed.slice(0, 30).map((s) => markdownText(s, 60));
  const body: AdaptiveElement[] = [
    heading("Your notifications", { size: "Medium" }),
    textBlock("What I send you in this chat:", { isSubtle: true, spacing: "Small" }),
    ...toggles,
    textBlock(
      followed.length
        ? `Projects you follow: ${followed.join(", ")}${params.followed.length > followed.length ? ", …" : ""}`
        : `You follow no project yet: type **subscribe ${neutralize("<project>")}**.`,
      { size: "Small", spacing: "Medium" },
    ),
  ];
  if (params.saved) body.push(textBlock("Saved.", { color: "Good", weight: "Bolder" }));
  const save: SettingsSubmitAction = { type: "Action.Submit", title: "Save", data: encodeNotificationSettingsData(), style: "positive" };
  return rootCard({ body, actions: [save], fallbackText: "Your notification settings." });
}
