/**
 * GET/POST /link/<signed> and /unlink/<signed>: ties a Teams user to a tracker user, or removes that tie, by signing
 * in with Microsoft. The signed link carries the Teams user's (tenant, aadObjectId); the person signs in to the web
 * app, and the link is made only when the session's (tid, oid) is that same account, in every active installation
 * of the tenant whose organization has the user (auth/sign-in/link-by-sign-in.ts). No token pasting. Links are
 * signed, expire after 15 minutes and work once (see signed-link.tsx).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env";
import { decideLink, sameMicrosoftAccount } from "../../auth/sign-in/link-by-sign-in";
import { currentViewer, formAllowed, type Viewer } from "../../auth/sign-in/session";
import { connectorFor } from "../../bot/connector-client";
import { buildLinkedCard, buildUnlinkedCard } from "../../cards/conversation-cards";
import { cardMessage } from "../../cards/message";
import type { AdaptiveCard } from "../../cards/types";
import { getDb } from "../../db/client";
import { identitiesOfTeamsUser, linkIdentity, unlinkIdentities } from "../../db/identities";
import { findOrganization } from "../../db/organizations";
import { consumeNonce } from "../../db/used-nonces";
import type { Env } from "../../env";
import { parseLinkData, type LinkData } from "../../signed-link-data";
import { MessagePage } from "../../web/layout";
import { LinkConfirmPage, LinkSignInPage, OtherAccountPage, type LinkPurpose } from "../../web/link-pages";
import { isSecureSite, siteOrigin } from "../web/web-context";
import { openSignedLink, refusedLink, type OpenedLink } from "./signed-link";

export const linkRoutes = new Hono<AppEnv>();

function notify(c: Context<AppEnv>, data: LinkData, card: AdaptiveCard, summary: string) {
  if (!data.conversationId) return;
  const send = connectorFor(c.env as Env, data.serviceUrl)
    .sendToConversation(data.conversationId, cardMessage(card, summary))
    .catch((err) => console.error("link: confirmation card failed", err instanceof Error ? err.name : "unknown"));
  c.executionCtx.waitUntil(send);
}

const notMember = (viewer: Viewer) => (
  <MessagePage title="Not linked" frame={{ viewer }} kind="error">
    <p>
      Your account ({viewer.email}) is not a member of an organization connected to this Teams tenant, so nothing was linked. Ask an admin of
      your organization to add you.
    </p>
  </MessagePage>
);

const refusedForm = (viewer: Viewer) => (
  <MessagePage title="Request refused" frame={{ viewer }} kind="error">
    <p>The form could not be verified (it came from another site or an old page). Open the link again.</p>
  </MessagePage>
);

/** The signed link and who is signed in; the page to answer when there is nothing more to do. */
async function open(c: Context<AppEnv>, purpose: LinkPurpose) {
  const opened = await openSignedLink(c, purpose, parseLinkData);
  if (!opened.ok) return { done: refusedLink(c, purpose, opened.refusal) } as const;
  const viewer = await currentViewer(c, getDb(c.env.DB), isSecureSite(c));
  const token = c.req.param("token") ?? "";
  if (!viewer) return { done: c.html(<LinkSignInPage purpose={purpose} token={token} />, c.req.method === "GET" ? 200 : 401) } as const;
  if (!sameMicrosoftAccount(viewer, opened.link.data)) return { done: c.html(<OtherAccountPage purpose={purpose} token={token} viewer={viewer} />, 403) } as const;
  const ready: { link: OpenedLink<LinkData>; viewer: Viewer; token: string } = { link: opened.link, viewer, token };
  return ready;
}

linkRoutes.get("/link/:token", async (c) => {
  const o = await open(c, "link");
  if ("done" in o) return o.done;
  const db = getDb(c.env.DB);
  const decision = await decideLink(db, o.viewer, o.link.data);
  if (decision.kind !== "allowed") return c.html(notMember(o.viewer), 403);
  const orgs = await Promise.all([...new Set(decision.integrations.map((i) => i.organizationId!))].map((id) => findOrganization(db, id)));
  return c.html(<LinkConfirmPage purpose="link" token={o.token} viewer={o.viewer} organizations={orgs.flatMap((org) => (org ? [org.name] : []))} />);
});

linkRoutes.post("/link/:token", async (c) => {
  const o = await open(c, "link");
  if ("done" in o) return o.done;
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!formAllowed(c, o.viewer, form.csrf, siteOrigin(c))) return c.html(refusedForm(o.viewer), 403);
  const db = getDb(c.env.DB);
  const decision = await decideLink(db, o.viewer, o.link.data);
  if (decision.kind !== "allowed") return c.html(notMember(o.viewer), 403);
  if (!(await consumeNonce(db, o.link.nonce, Date.now()))) return refusedLink(c, "link", "used");
  await linkIdentity(db, {
    integrationIds: decision.integrations.map((i) => i.id),
    tenantId: o.link.data.tenantId,
    teamsUserId: o.link.data.teamsUserId,
    aadObjectId: o.link.data.aadObjectId,
    userId: o.viewer.userId,
    now: Date.now(),
  });
  notify(c, o.link.data, buildLinkedCard(), "Your account is linked");
  return c.html(
    <MessagePage title="Account linked" frame={{ viewer: o.viewer }} kind="ok">
      <p>Your Teams account is now linked to {o.viewer.email}. You can close this page and go back to Teams.</p>
    </MessagePage>,
  );
});

linkRoutes.get("/unlink/:token", async (c) => {
  const o = await open(c, "unlink");
  if ("done" in o) return o.done;
  return c.html(<LinkConfirmPage purpose="unlink" token={o.token} viewer={o.viewer} organizations={[]} />);
});

linkRoutes.post("/unlink/:token", async (c) => {
  const o = await open(c, "unlink");
  if ("done" in o) return o.done;
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!formAllowed(c, o.viewer, form.csrf, siteOrigin(c))) return c.html(refusedForm(o.viewer), 403);
  const db = getDb(c.env.DB);
  if (!(await consumeNonce(db, o.link.nonce, Date.now()))) return refusedLink(c, "unlink", "used");
  const ids = (await identitiesOfTeamsUser(db, o.link.data.tenantId, o.link.data.teamsUserId))
    .filter((i) => !o.link.data.integrationIds.length || o.link.data.integrationIds.includes(i.integrationId))
    .map((i) => i.id);
  await unlinkIdentities(db, ids);
  notify(c, o.link.data, buildUnlinkedCard(), "Your account is unlinked");
  return c.html(
    <MessagePage title="Account unlinked" frame={{ viewer: o.viewer }} kind="ok">
      <p>Your Teams account is no longer linked. You can close this page.</p>
    </MessagePage>,
  );
});
