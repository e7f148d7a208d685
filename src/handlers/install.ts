/** Installs and uninstalls: a pending integration + one welcome card per team install; disable on removal. */
import { buildPersonalInstallationCard, buildWelcomeCard } from "../cards/conversation-cards";
import { cardMessage } from "../cards/message";
import { findTeamIntegration, recordTeamInstall, setIntegrationStatus } from "../db/integrations";
import { claim, personalInstallKey, release } from "../db/processed-activities";
import type { SetupLinkData } from "../signed-link-data";
import { signToken } from "../signing";
import type { ClassifiedActivity } from "./classify-activity";
import type { BotContext } from "./context";

export const SETUP_LINK_TTL_MS = 24 * 60 * 60 * 1000;

type Of<K extends ClassifiedActivity["kind"]> = Extract<ClassifiedActivity, { kind: K }>;

export async function handleBotAddedToTeam(ctx: BotContext, a: Of<"botAddedToTeam">): Promise<void> {
  if (!a.team || !a.tenantId) return;
  const created = await recordTeamInstall(ctx.db, {
    tenantId: a.tenantId,
    teamId: a.team.id,
    name: a.team.name ?? "",
    serviceUrl: a.serviceUrl,
    installedBy: a.from.id,
    now: ctx.now(),
  });
  if (!created) return; // already installed: the other install event of the pair got here first
  // The link names this install's generation: once the app is removed and added again, it is void.
  const data: SetupLinkData = { integrationId: created.id, generation: created.installGeneration };
  const token = await signToken(ctx.env.LINK_SIGNING_SECRET, "setup", data, SETUP_LINK_TTL_MS, ctx.now());
  const card = buildWelcomeCard({ setupUrl: `${ctx.baseUrl}/setup/${token}` });
  // The General channel's conversation id is the team id.
  ctx.defer("welcome card", () => ctx.connector(a.serviceUrl).sendToConversation(a.team!.id, cardMessage(card, "Welcome! Complete the setup to get issue alerts here.")));
}

export async function handleBotRemovedFromTeam(ctx: BotContext, a: Of<"botRemovedFromTeam">): Promise<void> {
  if (!a.team) return;
  const integration = await findTeamIntegration(ctx.db, a.team.id);
  if (!integration || integration.status === "disabled") return;
  // History (identities, notifications, deliveries) is kept; nothing is sent to a disabled integration.
  await setIntegrationStatus(ctx.db, integration.id, "disabled", "The bot was removed from the team.", ctx.now());
}

export async function handlePersonalInstall(ctx: BotContext, a: Of<"personalInstall">): Promise<void> {
  // conversationUpdate and installationUpdate both announce a personal install: greet once per install.
  if (!(await claim(ctx.db, personalInstallKey(a.conversationId), ctx.now()))) return;
  ctx.defer("personal installation card", () =>
    ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(buildPersonalInstallationCard(), "Thanks for installing Issue Alerts")),
  );
}

export async function handlePersonalUninstall(ctx: BotContext, a: Of<"personalUninstall">): Promise<void> {
  await release(ctx.db, personalInstallKey(a.conversationId));
}
