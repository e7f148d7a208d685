/**
 * GET/POST /link/<signed> and /unlink/<signed>: ties a Teams user to a tracker user (proved with their personal
 * API token) or removes that tie. Links are signed, expire after 15 minutes and work once (see signed-link.tsx).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app";
import { isOrgMember } from "../../auth/org-role";
import { authenticatePersonalToken } from "../../auth/personal-tokens";
import { connectorFor } from "../../bot/connector-client";
import { buildLinkedCard, buildUnlinkedCard } from "../../cards/conversation-cards";
import { cardMessage } from "../../cards/message";
import type { AdaptiveCard } from "../../cards/types";
import { getDb } from "../../db/client";
import { identitiesOfTeamsUser, linkIdentity, unlinkIdentities } from "../../db/identities";
import { activeTenantIntegrations, getIntegration, type IntegrationRow } from "../../db/integrations";
import { consumeNonce } from "../../db/used-nonces";
import type { Env } from "../../env";
import { parseLinkData, type LinkData } from "../../signed-link-data";
import { csrfToken, csrfValid } from "./csrf";
import { CsrfForm, ErrorNote, Message, Page } from "./layout";
import { openSignedLink, refusedLink } from "./signed-link";

export const linkRoutes = new Hono<AppEnv>();

function notify(c: Context<AppEnv>, data: LinkData, card: AdaptiveCard, summary: string) {
  if (!data.conversationId) return;
  const send = connectorFor(c.env as Env, data.serviceUrl)
    .sendToConversation(data.conversationId, cardMessage(card, summary))
    .catch((err) => console.error("link: confirmation card failed", err instanceof Error ? err.name : "unknown"));
  c.executionCtx.waitUntil(send);
}

function LinkForm(props: { csrf: string; error?: string }) {
  return (
    <Page title="Link your Teams account">
      <p>Link your Microsoft Teams account to your Issue Alerts account, so you can resolve, ignore and assign issues from Teams.</p>
      <ErrorNote text={props.error} />
      <CsrfForm csrf={props.csrf}>
        <label for="token">Your personal API token</label>
        <input id="token" name="token" type="password" required autocomplete="off" />
        <p class="hint">Ask an admin for one if you don't have it. It is used once, to check who you are, and not stored here.</p>
        <button type="submit">Link account</button>
      </CsrfForm>
    </Page>
  );
}

/** Integrations this link may link in: the named ones, or every active one of the tenant. */
async function candidateIntegrations(c: Context<AppEnv>, data: LinkData): Promise<IntegrationRow[]> {
  const db = getDb(c.env.DB);
  if (!data.integrationIds.length) return activeTenantIntegrations(db, data.tenantId);
  const rows = await Promise.all(data.integrationIds.slice(0, 20).map((id) => getIntegration(db, id)));
  return rows.filter((r): r is IntegrationRow => !!r && r.status === "active" && r.tenantId === data.tenantId);
}

linkRoutes.get("/link/:token", async (c) => {
  const opened = await openSignedLink(c, "link", parseLinkData);
  if (!opened.ok) return refusedLink(c, "link", opened.refusal);
  const link = opened.link;
  return c.html(<LinkForm csrf={await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce)} />);
});

linkRoutes.post("/link/:token", async (c) => {
  const opened = await openSignedLink(c, "link", parseLinkData);
  if (!opened.ok) return refusedLink(c, "link", opened.refusal);
  const link = opened.link;
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!(await csrfValid(c, c.env.LINK_SIGNING_SECRET!, link.nonce, form.csrf))) {
    return c.html(<Message title="Request refused" kind="error" text="The form could not be verified. Open the link again." />, 403);
  }
  const csrf = await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce);
  const token = typeof form.token === "string" ? form.token.trim() : "";
  const db = getDb(c.env.DB);
  const user = token ? await authenticatePersonalToken(db, token) : null;
  if (!user) return c.html(<LinkForm csrf={csrf} error="That token is not valid." />, 401);
  const candidates = await candidateIntegrations(c, link.data);
  const allowed: IntegrationRow[] = [];
  for (const i of candidates) if (i.organizationId && (await isOrgMember(db, user.id, i.organizationId))) allowed.push(i);
  if (!allowed.length) {
    return c.html(
      <Message title="Not linked" kind="error" text="Your account is not a member of an organization connected to this Teams tenant. Ask an admin to add you." />,
      403,
    );
  }
  if (!(await consumeNonce(db, link.nonce, Date.now()))) return refusedLink(c, "link", "used");
  await linkIdentity(db, {
    integrationIds: allowed.map((i) => i.id),
    tenantId: link.data.tenantId,
    teamsUserId: link.data.teamsUserId,
    aadObjectId: link.data.aadObjectId,
    userId: user.id,
    now: Date.now(),
  });
  notify(c, link.data, buildLinkedCard(), "Your account is linked");
  return c.html(<Message title="Account linked" kind="ok" text={`Your Teams account is now linked to ${user.email}. You can close this page and go back to Teams.`} />);
});

linkRoutes.get("/unlink/:token", async (c) => {
  const opened = await openSignedLink(c, "unlink", parseLinkData);
  if (!opened.ok) return refusedLink(c, "unlink", opened.refusal);
  const link = opened.link;
  const csrf = await csrfToken(c.env.LINK_SIGNING_SECRET!, link.nonce);
  return c.html(
    <Page title="Unlink your Teams account">
      <p>After unlinking, actions on issue cards in Teams will ask you to link again.</p>
      <CsrfForm csrf={csrf}>
        <button type="submit">Unlink account</button>
      </CsrfForm>
    </Page>,
  );
});

linkRoutes.post("/unlink/:token", async (c) => {
  const opened = await openSignedLink(c, "unlink", parseLinkData);
  if (!opened.ok) return refusedLink(c, "unlink", opened.refusal);
  const link = opened.link;
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!(await csrfValid(c, c.env.LINK_SIGNING_SECRET!, link.nonce, form.csrf))) {
    return c.html(<Message title="Request refused" kind="error" text="The form could not be verified. Open the link again." />, 403);
  }
  const db = getDb(c.env.DB);
  if (!(await consumeNonce(db, link.nonce, Date.now()))) return refusedLink(c, "unlink", "used");
  const ids = (await identitiesOfTeamsUser(db, link.data.tenantId, link.data.teamsUserId))
    .filter((i) => !link.data.integrationIds.length || link.data.integrationIds.includes(i.integrationId))
    .map((i) => i.id);
  await unlinkIdentities(db, ids);
  notify(c, link.data, buildUnlinkedCard(), "Your account is unlinked");
  return c.html(<Message title="Account unlinked" kind="ok" text="Your Teams account is no longer linked. You can close this page." />);
});
