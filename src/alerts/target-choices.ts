/**
 * The targets an alert rule may post to in a team, from the live team (the web app's picker): the team's channels
 * (GET v3/teams/{teamId}/conversations; General is the unnamed channel whose id is the team id) and its people (the
 * team roster, GET v3/conversations/{teamId}/pagedmembers, all pages). Kept in KV for a minute, so opening the form
 * a few times does not ask Teams each time, and a renamed channel shows within a minute.
 *
 * A choice travels in the form as `<integrationId>:channel:<conversationId>` or `<integrationId>:user:<memberId>`;
 * on save it is looked up again in the (cached) lists, so only what Teams offered can be stored.
 */
import type { ConnectorClient } from "../bot/connector-client";
import type { IntegrationRow } from "../db/integrations";
import type { RuleTarget } from "./rule-definition";

/** KV's shortest expiration. */
export const TARGET_CHOICES_TTL_SECONDS = 60;

export type TargetChoices = {
  channels: { conversationId: string; name: string }[];
  people: { memberId: string; name: string }[];
};

export type PickedTarget = { integrationId: number; type: "channel" | "user"; id: string };

function cacheKey(integration: IntegrationRow): string {
  return `target-choices:v1:${integration.id}:${integration.installGeneration}:${integration.externalId}`;
}

/** The team's channels and people, from KV when asked within the last minute; throws the Connector's typed error. */
export async function loadTargetChoices(kv: KVNamespace, connector: ConnectorClient, integration: IntegrationRow): Promise<TargetChoices> {
  const key = cacheKey(integration);
  const cached = await kv.get<TargetChoices>(key, "json").catch(() => null);
  if (cached && Array.isArray(cached.channels) && Array.isArray(cached.people)) return cached;
  const teamId = integration.externalId;
  const [channels, members] = await Promise.all([connector.getTeamChannels(teamId), connector.getAllMembers(teamId)]);
  const choices: TargetChoices = {
    channels: channels
      .map((ch) => ({ conversationId: ch.name ? ch.id : teamId, name: ch.name ?? "General" }))
      .sort((a, b) => (a.conversationId === teamId ? -1 : b.conversationId === teamId ? 1 : a.name.localeCompare(b.name))),
    people: members
      .filter((m) => typeof m.id === "string" && m.id)
      .map((m) => ({ memberId: m.id, name: (m.name ?? "").trim() || m.email || m.id }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
  await kv.put(key, JSON.stringify(choices), { expirationTtl: TARGET_CHOICES_TTL_SECONDS }).catch(() => {});
  return choices;
}

export function choiceValue(integrationId: number, type: "channel" | "user", id: string): string {
  return `${integrationId}:${type}:${id}`;
}

/** The form's value parsed; null when it is not one of our choice values. */
export function parseChoice(value: unknown): PickedTarget | null {
  if (typeof value !== "string") return null;
  const m = /^([1-9]\d{0,15}):(channel|user):(.{1,400})$/s.exec(value);
  return m ? { integrationId: Number(m[1]), type: m[2] as "channel" | "user", id: m[3] } : null;
}

/**
 * The rule target for a picked choice, if Teams offers it: a channel as is; a person → their 1:1 chat with the bot
 * (created or found by the Connector). Null when the choice is not in the team's lists.
 */
export async function resolvePickedTarget(
  connector: ConnectorClient,
  integration: IntegrationRow,
  choices: TargetChoices,
  picked: PickedTarget,
): Promise<RuleTarget | null> {
  if (picked.type === "channel") {
    const channel = choices.channels.find((c) => c.conversationId === picked.id);
    return channel ? { integrationId: integration.id, targetName: channel.name, targetType: "channel", conversationId: channel.conversationId } : null;
  }
  const person = choices.people.find((p) => p.memberId === picked.id);
  if (!person) return null;
  const chat = await connector.createPersonalConversation({ userId: person.memberId, tenantId: integration.tenantId });
  return { integrationId: integration.id, targetName: person.name, targetType: "user", conversationId: chat.id };
}
