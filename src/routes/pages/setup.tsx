/**
 * GET/POST /setup/<signed>: connects a pending Teams installation to an organization. Whoever completes it proves
 * who they are with the admin token or an org admin's personal API token. The link works once, and only for the
 * install of the app whose welcome card carried it (its install generation).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app";
import { authenticatePersonalToken } from "../../auth/personal-tokens";
import { isOrgAdmin } from "../../auth/org-role";
import { connectorFor } from "../../bot/connector-client";
import { buildInstallationConfirmationCard } from "../../cards/conversation-cards";
import { cardMessage } from "../../cards/message";
import { getDb } from "../../db/client";
import { activateIntegration, getIntegration, type IntegrationRow } from "../../db/integrations";
import { findOrganizationBySlug } from "../../db/organizations";
import { consumeNonce } from "../../db/used-nonces";
import { timingSafeEqual } from "../../http/bearer";
import { parseSetupLinkData, type SetupLinkData } from "../../signed-link-data";
import { csrfToken, csrfValid } from "./csrf";
import { CsrfForm, ErrorNote, Message, Page } from "./layout";
import { openSignedLink, refusedLink, type LinkRefusal } from "./signed-link";

export const setupRoutes = new Hono<AppEnv>();

type SetupLink = { nonce: string; data: SetupLinkData; integration: IntegrationRow };

/** The signed link (see signed-link.tsx), then its installation: it must exist and be the install the link names. */
async function checkLink(c: Context<AppEnv>): Promise<{ ok: true; link: SetupLink } | { ok: false; refusal: LinkRefusal }> {
  const opened = await openSignedLink(c, "setup", parseSetupLinkData);
  if (!opened.ok) return opened;
  const integration = await getIntegration(getDb(c.env.DB), opened.link.data.integrationId);
  if (!integration) return { ok: false, refusal: "invalid" };
  // Removed since (and maybe added again): this link's install is gone.
  if (integration.installGeneration !== opened.link.data.generation || integration.status === "disabled") return { ok: false, refusal: "superseded" };
  return { ok: true, link: { ...opened.link, integration } };
}

const alreadySetUp = (c: Context<AppEnv>) =>
  c.html(<Message title="Already set up" kind="ok" text="This team is already connected. You can close this page." />, 200);

function SetupForm(props: { team: string; csrf: string; error?: string; organization?: string }) {
  return (
    <Page title="Connect Microsoft Teams">
      <p>
        Connect the team <strong>{props.team || "(unnamed team)"}</strong> to your organization so alert rules can post issue cards to it.
      </p>
      <ErrorNote text={props.error} />
      <CsrfForm csrf={props.csrf}>
        <label for="organization">Organization slug</label>
        <input id="organization" name="organization" required autocomplete="off" value={props.organization ?? ""} />
        <label for="token">Admin token or your personal API token</label>
        <input id="token" name="token" type="password" required autocomplete="off" />
        <p class="hint">Personal API tokens must belong to an admin of the organization.</p>
        <button type="submit">Connect</button>
      </CsrfForm>
    </Page>
  );
}

setupRoutes.get("/:token", async (c) => {
  const checked = await checkLink(c);
  if (!checked.ok) return refusedLink(c, "setup", checked.refusal);
  const link = checked.link;
  if (link.integration.status !== "pending") return alreadySetUp(c);
  return c.html(<SetupForm team={link.integration.name} csrf={await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce)} />);
});

setupRoutes.post("/:token", async (c) => {
  const checked = await checkLink(c);
  if (!checked.ok) return refusedLink(c, "setup", checked.refusal);
  const link = checked.link;
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!(await csrfValid(c, c.env.LINK_SIGNING_SECRET!, link.nonce, form.csrf))) {
    return c.html(<Message title="Request refused" kind="error" text="The form could not be verified. Open the setup link again." />, 403);
  }
  const csrf = await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce);
  const slug = typeof form.organization === "string" ? form.organization.trim().toLowerCase() : "";
  const token = typeof form.token === "string" ? form.token.trim() : "";
  const again = (error: string, status: 400 | 401) =>
    c.html(<SetupForm team={link.integration.name} csrf={csrf} error={error} organization={slug} />, status);
  if (!slug || !token) return again("Enter the organization slug and a token.", 400);
  const db = getDb(c.env.DB);
  const org = await findOrganizationBySlug(db, slug);
  const isAdminToken = !!c.env.ADMIN_TOKEN && timingSafeEqual(token, c.env.ADMIN_TOKEN);
  let allowed = isAdminToken && !!org;
  if (!isAdminToken && org) {
    const user = await authenticatePersonalToken(db, token);
    allowed = !!user && (await isOrgAdmin(db, user.id, org.id));
  }
  // One answer for "no such organization" and "not allowed": the page must not reveal which organizations exist.
  if (!org || !allowed) return again("That token can't connect this organization (unknown organization, wrong token, or not an admin).", 401);
  // Spend the link first: of two submissions racing, one gets here.
  if (!(await consumeNonce(db, link.nonce, Date.now()))) return refusedLink(c, "setup", "used");
  const now = Date.now();
  if (!(await activateIntegration(db, { id: link.integration.id, generation: link.data.generation, organizationId: org.id, now }))) {
    // Set up, removed or added again between our read and the write: say which.
    const current = await getIntegration(db, link.integration.id);
    return current?.status === "active" && current.installGeneration === link.data.generation ? alreadySetUp(c) : refusedLink(c, "setup", "superseded");
  }
  const card = buildInstallationConfirmationCard({ organizationName: org.name });
  const send = connectorFor(c.env, link.integration.serviceUrl)
    .sendToConversation(link.integration.externalId, cardMessage(card, `Connected to ${org.name}`))
    .catch((err) => console.error("setup: confirmation card failed", err instanceof Error ? err.name : "unknown"));
  c.executionCtx.waitUntil(send);
  return c.html(
    <Message title="Connected" kind="ok" text={`The team ${link.integration.name || ""} is now connected to ${org.name}. Create an alert rule to start getting issue cards.`} />,
  );
});
