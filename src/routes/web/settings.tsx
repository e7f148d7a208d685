/**
 * GET/POST /settings/tokens/                  the viewer's personal API tokens: create (shown once), revoke
 * GET/POST /organizations/<slug>/settings/    organization settings (admins; a member gets 403, a stranger 404)
 */
import { Hono } from "hono";
import { generatePersonalToken } from "../../auth/personal-tokens";
import { formAllowed } from "../../auth/sign-in/session";
import { updateOrganization } from "../../db/organizations";
import { insertApiToken, listApiTokens, revokeApiToken } from "../../db/users";
import { MessagePage } from "../../web/layout";
import { OrgSettingsPage, TokensPage } from "../../web/settings-pages";
import { orgOfViewer, siteOrigin, webDb, type WebEnv } from "./web-context";

export const tokenRoutes = new Hono<WebEnv>();
export const orgSettingsRoutes = new Hono<WebEnv>();

function refusedPage(viewer: WebEnv["Variables"]["viewer"]) {
  return (
    <MessagePage title="Request refused" frame={{ viewer }} kind="error">
      <p>The form could not be verified (it came from another site or an old page). Reload the page and try again.</p>
    </MessagePage>
  );
}

tokenRoutes.get("/tokens/", async (c) => {
  const viewer = c.get("viewer");
  return c.html(<TokensPage viewer={viewer} tokens={await listApiTokens(webDb(c), viewer.userId)} />);
});

tokenRoutes.post("/tokens/", async (c) => {
  const viewer = c.get("viewer");
  const db = webDb(c);
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!formAllowed(c, viewer, form.csrf, siteOrigin(c))) return c.html(refusedPage(viewer), 403);
  if (form.action === "create") {
    const name = typeof form.name === "string" ? form.name.trim().slice(0, 100) : "";
    if (!name) return c.html(<TokensPage viewer={viewer} tokens={await listApiTokens(db, viewer.userId)} error="Give the token a name." />, 400);
    const { token, tokenHash } = await generatePersonalToken();
    await insertApiToken(db, { userId: viewer.userId, name, tokenHash }, Date.now());
    // Shown in this response only (never stored, never in a URL); the page is not cached (no-store).
    return c.html(<TokensPage viewer={viewer} tokens={await listApiTokens(db, viewer.userId)} created={{ name, token }} />, 201);
  }
  if (form.action === "revoke" && typeof form.id === "string" && /^[1-9]\d{0,15}$/.test(form.id)) {
    // Only the viewer's own tokens: revokeApiToken matches on the owner too.
    await revokeApiToken(db, viewer.userId, Number(form.id), Date.now());
    return c.redirect("/settings/tokens/", 303);
  }
  return c.html(<TokensPage viewer={viewer} tokens={await listApiTokens(db, viewer.userId)} error="Unknown action." />, 400);
});

function adminsOnly(viewer: WebEnv["Variables"]["viewer"]) {
  return (
    <MessagePage title="Admins only" frame={{ viewer }} kind="error">
      <p>Only an admin of this organization can change its settings. Ask one of them.</p>
    </MessagePage>
  );
}

orgSettingsRoutes.get("/:slug/settings/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const viewer = c.get("viewer");
  if (role !== "admin") return c.html(adminsOnly(viewer), 403);
  return c.html(<OrgSettingsPage viewer={viewer} org={org} saved={c.req.query("saved") === "1"} />);
});

orgSettingsRoutes.post("/:slug/settings/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const viewer = c.get("viewer");
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!formAllowed(c, viewer, form.csrf, siteOrigin(c))) return c.html(refusedPage(viewer), 403);
  if (role !== "admin") return c.html(adminsOnly(viewer), 403);
  await updateOrganization(webDb(c), org.id, { tenantMembersMayJoin: form.tenantMembersMayJoin === "on" });
  return c.redirect(`/organizations/${encodeURIComponent(org.slug)}/settings/?saved=1`, 303);
});
