/**
 * Who is typing an alert command, and may they: the linked account behind a Teams user, their role in the
 * organization the team is connected to (channel commands), and project names matched within the organizations
 * connected to the tenant. A refusal comes back as the card that says why and what to do.
 */
import { buildRefusalCard, buildProjectMatchesCard } from "../cards/subscription-cards";
import { BOT_DISPLAY_NAME } from "../cards/conversation-cards";
import type { AdaptiveCard } from "../cards/types";
import { findIdentity, identitiesOfTeamsUser } from "../db/identities";
import { activeTenantIntegrations, findTeamIntegration, type IntegrationRow } from "../db/integrations";
import { findMember, findOrganization, listMembers, type OrganizationRow } from "../db/organizations";
import { projectsOfOrganizations, type ProjectInOrg } from "../db/projects";
import type { ProjectRef } from "./command-grammar";
import type { ActivityCommon } from "./classify-activity";
import type { BotContext } from "./context";

export type Refusal = { ok: false; card: AdaptiveCard; summary: string };

export type ChannelCaller = {
  ok: true;
  integration: IntegrationRow & { organizationId: number };
  organization: OrganizationRow;
  userId: number;
  email: string;
  /** May subscribe / unsubscribe this channel (an admin, or a member where the organization allows it). */
  canSubscribe: boolean;
};

export type PersonalCaller = { ok: true; userId: number; email: string; organizationIds: number[] };

const LINK_HINT = `Open a chat with ${BOT_DISPLAY_NAME} and type **link**, then try again.`;

export function isRefusal(x: object): x is Refusal {
  return "ok" in x && x.ok === false;
}

function refusal(title: string, text: string, next?: string): Refusal {
  return { ok: false, card: buildRefusalCard({ title, text, next }), summary: title };
}

/** The caller of a channel command: the team's active installation, the linked account, its membership. */
export async function channelCaller(ctx: BotContext, a: ActivityCommon): Promise<ChannelCaller | Refusal> {
  if (!a.team) {
    // A group chat: no team, so no installation to route through.
    return refusal("Alerts go to team channels", "A group chat can't receive a project's alerts.", `Mention me in a channel of a team that has ${BOT_DISPLAY_NAME}, or follow a project in your personal chat with me.`);
  }
  const integration = await findTeamIntegration(ctx.db, a.team.id);
  if (!integration || integration.status !== "active" || !integration.organizationId || integration.tenantId !== a.tenantId) {
    return refusal(
      `${BOT_DISPLAY_NAME} is not set up for this team`,
      "This team is not connected to an organization yet, so there is nothing to route here.",
      "Whoever added the app completes the setup with the link in its welcome card; then try again.",
    );
  }
  const organizationId = integration.organizationId;
  const organization = await findOrganization(ctx.db, organizationId);
  if (!organization) return refusal(`${BOT_DISPLAY_NAME} is not set up for this team`, "The organization this team was connected to no longer exists.");
  const identity = await findIdentity(ctx.db, integration.id, a.from.id);
  if (!identity) {
    return refusal("Link your account first", "Only people whose Microsoft Teams account is linked to their account can change where alerts go.", LINK_HINT);
  }
  const member = await findMember(ctx.db, organizationId, identity.userId);
  if (!member) {
    return refusal(`You are not a member of ${organization.name}`, `Your linked account is not in the organization this team is connected to. ${await adminsText(ctx, organizationId)}`);
  }
  const canSubscribe = member.role === "admin" || organization.membersCanSubscribeChannels;
  return { ok: true, integration: { ...integration, organizationId }, organization, userId: identity.userId, email: member.email, canSubscribe };
}

/** The refusal for someone who may read but not change the channel's subscriptions. */
export async function notAllowedToSubscribe(ctx: BotContext, caller: ChannelCaller): Promise<Refusal> {
  return refusal(
    `Only admins of ${caller.organization.name} can route alerts to a channel`,
    `${await adminsText(ctx, caller.organization.id)} An admin can also let members do it (the organization setting “members can subscribe channels”).`,
  );
}

async function adminsText(ctx: BotContext, organizationId: number): Promise<string> {
  const admins = (await listMembers(ctx.db, organizationId)).filter((m) => m.role === "admin").slice(0, 3);
  return admins.length ? `Ask an admin: ${admins.map((m) => m.email).join(", ")}.` : "Ask an admin of your organization.";
}

/** The caller of a personal command: the account linked in this tenant, and its organizations connected here. */
export async function personalCaller(ctx: BotContext, a: ActivityCommon): Promise<PersonalCaller | Refusal> {
  const active = a.tenantId ? await activeTenantIntegrations(ctx.db, a.tenantId) : [];
  if (!active.length) {
    return refusal(`${BOT_DISPLAY_NAME} is not set up yet`, "No team of your organization has completed the app's setup.", "Add the app to a team and complete the setup first.");
  }
  const linked = a.tenantId ? await identitiesOfTeamsUser(ctx.db, a.tenantId, a.from.id) : [];
  const identity = linked.find((i) => active.some((x) => x.id === i.integrationId));
  if (!identity) return refusal("Link your account first", "I send personal alerts to linked accounts only.", "Type **link** to link your Microsoft Teams account.");
  const organizationIds: number[] = [];
  let email = "";
  for (const orgId of new Set(active.map((i) => i.organizationId).filter((id): id is number => id !== null))) {
    const member = await findMember(ctx.db, orgId, identity.userId);
    if (member) {
      organizationIds.push(orgId);
      email = member.email;
    }
  }
  if (!organizationIds.length) {
    return refusal("You are not a member of any organization here", "Your linked account is not in an organization connected to this Teams tenant.", "Ask an admin of your organization to add you.");
  }
  return { ok: true, userId: identity.userId, email, organizationIds };
}

/** The organizations connected to this tenant (through an active team installation). */
export async function tenantOrganizationIds(ctx: BotContext, tenantId: string | null): Promise<number[]> {
  if (!tenantId) return [];
  const active = await activeTenantIntegrations(ctx.db, tenantId);
  return [...new Set(active.map((i) => i.organizationId).filter((id): id is number => id !== null))];
}

export type ProjectMatch = { ok: true; project: ProjectInOrg } | Refusal;

/** One project by slug (or organization/slug) among these organizations; otherwise the card of close matches. */
export async function matchProject(ctx: BotContext, organizationIds: number[], ref: ProjectRef, command: "subscribe" | "unsubscribe"): Promise<ProjectMatch> {
  const all = await projectsOfOrganizations(ctx.db, organizationIds);
  const inOrg = ref.organization === null ? all : all.filter((p) => p.organizationSlug === ref.organization);
  const exact = inOrg.filter((p) => p.slug === ref.slug);
  if (exact.length === 1) return { ok: true, project: exact[0] };
  const asked = ref.organization ? `${ref.organization}/${ref.slug}` : ref.slug;
  const choice = (p: ProjectInOrg) => ({ organizationSlug: p.organizationSlug, slug: p.slug, name: p.name });
  if (exact.length > 1) {
    return { ok: false, card: buildProjectMatchesCard({ asked, command, ambiguous: true, matches: exact.map(choice) }), summary: `Several projects are called ${asked}` };
  }
  const close = closeMatches(all, ref.slug).map(choice);
  // Same slug in several organizations among the suggestions: show them as organization/slug.
  const ambiguous = new Set(close.map((c) => c.slug)).size < close.length;
  return { ok: false, card: buildProjectMatchesCard({ asked, command, ambiguous, matches: close }), summary: `No project called ${asked}` };
}

/** Projects whose slug contains, is contained in, or is a couple of edits from the name: closest first. */
export function closeMatches<T extends { slug: string }>(projects: T[], name: string, limit = 5): T[] {
  const scored = projects
    .map((p) => ({ p, d: p.slug.includes(name) || name.includes(p.slug) ? 0.5 : editDistance(p.slug, name, 3) }))
    .filter(({ d }) => d <= 2)
    .sort((x, y) => x.d - y.d || x.p.slug.localeCompare(y.p.slug));
  return scored.slice(0, limit).map(({ p }) => p);
}

/** Levenshtein distance, giving up (returning `cap`) once it is at least `cap`; names are short. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, row[j]);
    }
    if (best >= cap) return cap;
    prev = row;
  }
  return Math.min(prev[b.length], cap);
}
