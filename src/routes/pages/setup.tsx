/**
 * GET/POST /setup/<signed>: connects a pending Teams installation to an organization. An organization admin signs in
 * with Microsoft and picks which of their organizations to connect the team to. Only the very first connection of a
 * fresh deployment (no installation connected yet, nobody able to sign in) may use the ADMIN_TOKEN form instead. The
 * link works once, and only for the install of the app whose welcome card carried it (its install generation).
 */
import { Hono, type Context } from "hono";
import { publicBaseUrl, type AppEnv } from "../../env";
import { currentViewer, formAllowed } from "../../auth/sign-in/session";
import { connectorFor } from "../../bot/connector-client";
import { buildInstallationConfirmationCard } from "../../cards/conversation-cards";
import { organizationIssuesUrl } from "../../cards/links";
import { cardMessage } from "../../cards/message";
import { getDb } from "../../db/client";
import { activateIntegration, anyActiveIntegration, getIntegration, type IntegrationRow } from "../../db/integrations";
import { adminOrganizationsOf, findOrganizationBySlug, type OrganizationRow } from "../../db/organizations";
import { consumeNonce } from "../../db/used-nonces";
import { timingSafeEqual } from "../../http/bearer";
import { parseSetupLinkData, type SetupLinkData } from "../../signed-link-data";
import { MessagePage } from "../../web/layout";
import { SetupPickPage, SetupSignInPage } from "../../web/setup-pages";
import { isSecureSite, siteOrigin } from "../web/web-context";
import { csrfToken, csrfValid } from "./csrf";
import { Message } from "./layout";
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

/** The ADMIN_TOKEN form's data when this is a fresh deployment's first connection, else null. */
async function firstConnection(c: Context<AppEnv>, link: SetupLink, extra: { error?: string; organization?: string } = {}) {
  if (!c.env.ADMIN_TOKEN?.trim() || (await anyActiveIntegration(getDb(c.env.DB)))) return null;
  return { csrf: await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce), ...extra };
}

setupRoutes.get("/:token", async (c) => {
  const checked = await checkLink(c);
  if (!checked.ok) return refusedLink(c, "setup", checked.refusal);
  const link = checked.link;
  if (link.integration.status !== "pending") return alreadySetUp(c);
  const db = getDb(c.env.DB);
  const viewer = await currentViewer(c, db, isSecureSite(c));
  const token = c.req.param("token");
  if (viewer) {
    const organizations = await adminOrganizationsOf(db, viewer.userId);
    return c.html(<SetupPickPage team={link.integration.name} token={token} viewer={viewer} organizations={organizations} />);
  }
  return c.html(<SetupSignInPage team={link.integration.name} token={token} firstConnection={await firstConnection(c, link)} />);
});

setupRoutes.post("/:token", async (c) => {
  const checked = await checkLink(c);
  if (!checked.ok) return refusedLink(c, "setup", checked.refusal);
  const link = checked.link;
  const token = c.req.param("token");
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const db = getDb(c.env.DB);
  const slug = typeof form.organization === "string" ? form.organization.trim().toLowerCase() : "";
  let org: OrganizationRow | null;
  if (form.mode === "admin_token") {
    // The fresh deployment's first connection only.
    const first = await firstConnection(c, link);
    if (!first) return c.html(<SetupSignInPage team={link.integration.name} token={token} firstConnection={null} />, 403);
    if (!(await csrfValid(c, c.env.LINK_SIGNING_SECRET!, link.nonce, form.csrf))) return refused(c);
    const given = typeof form.token === "string" ? form.token.trim() : "";
    org = slug ? await findOrganizationBySlug(db, slug) : null;
    // One answer for "no such organization" and "wrong token": the page must not reveal which organizations exist.
    if (!org || !given || !timingSafeEqual(given, c.env.ADMIN_TOKEN!.trim())) {
      const again = await firstConnection(c, link, { error: "Unknown organization or wrong admin token.", organization: slug });
      return c.html(<SetupSignInPage team={link.integration.name} token={token} firstConnection={again} />, 401);
    }
  } else {
    const viewer = await currentViewer(c, db, isSecureSite(c));
    if (!viewer) return c.html(<SetupSignInPage team={link.integration.name} token={token} firstConnection={await firstConnection(c, link)} />, 401);
    if (!formAllowed(c, viewer, form.csrf, siteOrigin(c))) return refused(c);
    const organizations = await adminOrganizationsOf(db, viewer.userId);
    org = organizations.find((o) => o.slug === slug) ?? null;
    if (!org) {
      const error = "Pick one of the organizations you are an admin of.";
      return c.html(<SetupPickPage team={link.integration.name} token={token} viewer={viewer} organizations={organizations} error={error} />, 403);
    }
  }
  // Spend the link first: of two submissions racing, one gets here.
  if (!(await consumeNonce(db, link.nonce, Date.now()))) return refusedLink(c, "setup", "used");
  const now = Date.now();
  if (!(await activateIntegration(db, { id: link.integration.id, generation: link.data.generation, organizationId: org.id, now }))) {
    // Set up, removed or added again between our read and the write: say which.
    const current = await getIntegration(db, link.integration.id);
    return current?.status === "active" && current.installGeneration === link.data.generation ? alreadySetUp(c) : refusedLink(c, "setup", "superseded");
  }
  const card = buildInstallationConfirmationCard({ organizationName: org.name, issuesUrl: organizationIssuesUrl(publicBaseUrl(c.env, c.req.url), org.slug) });
  const send = connectorFor(c.env, link.integration.serviceUrl)
    .sendToConversation(link.integration.externalId, cardMessage(card, `Connected to ${org.name}`))
    .catch((err) => console.error("setup: confirmation card failed", err instanceof Error ? err.name : "unknown"));
  c.executionCtx.waitUntil(send);
  return c.html(
    <Message title="Connected" kind="ok" text={`The team ${link.integration.name || ""} is now connected to ${org.name}. Create an alert rule to start getting issue cards.`} />,
  );
});

function refused(c: Context<AppEnv>) {
  return c.html(
    <MessagePage title="Request refused" frame={{ viewer: null }} kind="error">
      <p>The form could not be verified (it came from another site or an old page). Open the setup link again.</p>
    </MessagePage>,
    403,
  );
}
