/**
 * The channel's alert commands: `subscribe` creates or updates this channel's rule for a project (the same rule
 * row the admin API makes, recording who and from where), `unsubscribe` disables it (posted cards and history
 * stay), `subscriptions` lists the channel's rules; the Unsubscribe button on that list lands here too.
 */
import { baseConversationId } from "../alerts/after-change";
import { checkRuleDefinition, newRuleValues, type RuleDefinition } from "../alerts/rule-definition";
import { buildActionResultCard } from "../cards/conversation-cards";
import { buildSubscribedCard, buildSubscriptionsCard, type SubscriptionItem } from "../cards/subscription-cards";
import type { AdaptiveCard } from "../cards/types";
import { getRule, insertRule, rulesOfConversation, updateRule, type ConversationRule } from "../db/alert-rules";
import type { RuleConditions, RuleFilters } from "../db/schema";
import { channelCaller, matchProject, notAllowedToSubscribe, tenantOrganizationIds, type ChannelCaller } from "./chat-access";
import type { ActivityCommon } from "./classify-activity";
import type { ProjectRef, SubscribeOptions } from "./command-grammar";
import type { BotContext } from "./context";

export type Answer = { card: AdaptiveCard; summary: string };

/** The channel a command came from (a message in a thread carries "…;messageid=…" on its conversation id). */
function channelOf(a: ActivityCommon): string {
  return a.channelId ?? baseConversationId(a.conversationId);
}

export async function subscribeChannel(ctx: BotContext, a: ActivityCommon, ref: ProjectRef, options: SubscribeOptions): Promise<Answer> {
  const caller = await channelCaller(ctx, a);
  if (!caller.ok) return caller;
  if (!caller.canSubscribe) return notAllowedToSubscribe(ctx, caller);
  const match = await matchProject(ctx, await tenantOrganizationIds(ctx, a.tenantId), ref, "subscribe");
  if (!match.ok) return match;
  const project = match.project;
  if (project.organizationId !== caller.integration.organizationId) return otherOrganization(caller, project.organizationSlug, project.slug);

  const channelId = channelOf(a);
  const channelName = await channelNameOf(ctx, a, caller, channelId);
  const filters: RuleFilters = {};
  if (options.levelAtLeast) filters.levelAtLeast = options.levelAtLeast;
  if (options.environment) filters.environment = options.environment;
  // Only the conditions that are on, as the API's rules store them.
  const conditions: RuleConditions = {};
  if (options.newIssue) conditions.newIssue = true;
  if (options.regression) conditions.regression = true;
  if (options.escalation) conditions.escalation = true;
  const definition: RuleDefinition = checkRuleDefinition({ name: `Teams channel ${channelName}`, conditions, filters });

  const existing = (await rulesOfConversation(ctx.db, caller.integration.id, channelId)).filter((r) => r.rule.projectId === project.id);
  const mine = existing.find((r) => r.rule.createdVia === "teams") ?? existing[0];
  if (mine) {
    await updateRule(ctx.db, mine.rule.id, { conditions: definition.conditions, filters: definition.filters, status: "active", statusReason: null });
  } else {
    await insertRule(
      ctx.db,
      newRuleValues({
        projectId: project.id,
        definition,
        target: { integrationId: caller.integration.id, targetName: channelName, targetType: "channel", conversationId: channelId },
        createdBy: caller.userId,
        createdVia: "teams",
        now: ctx.now(),
      }),
    );
  }
  return {
    card: buildSubscribedCard({ projectSlug: project.slug, organizationSlug: project.organizationSlug, channelName, rule: definition, updated: !!mine }),
    summary: `${project.slug} alerts now come to ${channelName}`,
  };
}

export async function unsubscribeChannel(ctx: BotContext, a: ActivityCommon, ref: ProjectRef): Promise<Answer> {
  const caller = await channelCaller(ctx, a);
  if (!caller.ok) return caller;
  if (!caller.canSubscribe) return notAllowedToSubscribe(ctx, caller);
  const match = await matchProject(ctx, await tenantOrganizationIds(ctx, a.tenantId), ref, "unsubscribe");
  if (!match.ok) return match;
  const project = match.project;
  const channelId = channelOf(a);
  const active = (await rulesOfConversation(ctx.db, caller.integration.id, channelId)).filter((r) => r.rule.projectId === project.id && r.rule.status === "active");
  if (!active.length) {
    return { card: buildActionResultCard({ tone: "info", text: `This channel gets no alerts for ${project.slug}: nothing to stop.` }), summary: `Not subscribed to ${project.slug}` };
  }
  for (const r of active) await disable(ctx, r.rule.id, caller);
  return {
    card: buildActionResultCard({
      tone: "success",
      title: `Unsubscribed from ${project.slug}`,
      text: "No new alerts for this project come here. Cards already posted stay and keep their buttons.",
    }),
    summary: `Unsubscribed from ${project.slug}`,
  };
}

export async function listChannelSubscriptions(ctx: BotContext, a: ActivityCommon, note?: string): Promise<Answer> {
  const caller = await channelCaller(ctx, a);
  if (!caller.ok) return caller;
  const channelId = channelOf(a);
  const rules = await rulesOfConversation(ctx.db, caller.integration.id, channelId);
  const channelName = await channelNameOf(ctx, a, caller, channelId);
  return {
    card: buildSubscriptionsCard({ channelName, integrationId: caller.integration.id, items: rules.map(itemOf), note }),
    summary: `${rules.length} alert rule(s) post to ${channelName}`,
  };
}

/** The Unsubscribe button on the subscriptions list: disable that rule, then the list as it is now. */
export async function unsubscribeRule(ctx: BotContext, a: ActivityCommon, ruleId: number, integrationId: number): Promise<Answer & { changed: boolean }> {
  const caller = await channelCaller(ctx, a);
  if (!caller.ok) return { ...caller, changed: false };
  if (!caller.canSubscribe) return { ...(await notAllowedToSubscribe(ctx, caller)), changed: false };
  const rule = await getRule(ctx.db, ruleId);
  if (!rule || integrationId !== caller.integration.id || rule.integrationId !== caller.integration.id || rule.conversationId !== channelOf(a)) {
    return { card: buildActionResultCard({ tone: "warning", text: "That subscription is not one of this channel's any more." }), summary: "No such subscription", changed: false };
  }
  if (rule.status === "active") await disable(ctx, rule.id, caller);
  const list = await listChannelSubscriptions(ctx, a, "Unsubscribed. Cards already posted stay.");
  return { ...list, changed: true };
}

async function disable(ctx: BotContext, ruleId: number, caller: ChannelCaller): Promise<void> {
  await updateRule(ctx.db, ruleId, { status: "disabled", statusReason: `Unsubscribed in Teams by ${caller.email}` });
}

function itemOf(r: ConversationRule): SubscriptionItem {
  return {
    ruleId: r.rule.id,
    projectSlug: r.projectSlug,
    ruleName: r.rule.name,
    rule: { conditions: r.rule.conditions, filters: r.rule.filters },
    status: r.rule.status === "active" ? "active" : "disabled",
    statusReason: r.rule.statusReason,
    createdVia: r.rule.createdVia,
  };
}

function otherOrganization(caller: ChannelCaller, organizationSlug: string, slug: string): Answer {
  return {
    card: buildActionResultCard({
      tone: "warning",
      title: `${organizationSlug}/${slug} belongs to another organization`,
      text: `This team is connected to ${caller.organization.name}: its channels can get alerts of that organization's projects only.`,
    }),
    summary: "Project of another organization",
  };
}

/**
 * The channel's display name, for the rule's target (what the API and web show and resolve): General is the channel
 * whose id is the team id; others are looked up on the Connector. Falls back to the id if Teams can't say.
 */
async function channelNameOf(ctx: BotContext, a: ActivityCommon, caller: ChannelCaller, channelId: string): Promise<string> {
  const teamId = caller.integration.externalId;
  if (channelId === teamId) return "General";
  try {
    const channels = await ctx.connector(a.serviceUrl).getTeamChannels(teamId);
    const found = channels.find((c) => c.id === channelId);
    if (found) return found.name ?? "General";
  } catch {
    // Roster calls can fail (throttling, permissions): the id still routes correctly.
  }
  return channelId;
}
