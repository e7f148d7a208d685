/**
 * Resolves an alert rule's target by name, as Sentry does: a channel of the team (case-insensitive; "General"
 * is the unnamed channel whose id is the team id), otherwise a team member by display name (paged member list)
 * → a 1:1 conversation. Done when the rule is saved; the conversation id is stored.
 */
import type { ConnectorClient } from "../bot/connector-client";
import type { IntegrationRow } from "../db/integrations";
import { ValidationError } from "../errors";

export type ResolvedTarget = { type: "channel" | "user"; conversationId: string };

export async function resolveRuleTarget(connector: ConnectorClient, integration: IntegrationRow, name: string): Promise<ResolvedTarget> {
  const teamId = integration.externalId;
  const wanted = name.trim().toLowerCase();
  const channels = await connector.getTeamChannels(teamId);
  for (const ch of channels) {
    const channelName = (ch.name ?? "General").toLowerCase();
    if (channelName === wanted) return { type: "channel", conversationId: ch.name ? ch.id : teamId };
  }
  if (wanted === "general") return { type: "channel", conversationId: teamId };
  const members = await connector.getAllMembers(teamId);
  const member = members.find((m) => (m.name ?? "").trim().toLowerCase() === wanted);
  if (member) {
    const chat = await connector.createPersonalConversation({ userId: member.id, tenantId: integration.tenantId });
    return { type: "user", conversationId: chat.id };
  }
  throw new ValidationError(`The channel or user "${name}" could not be found in the ${integration.name || teamId} Team.`);
}
