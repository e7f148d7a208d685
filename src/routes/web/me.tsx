/**
 * GET  /me/                      the signed-in person's page
 * POST /me/notifications         the three notification toggles (unticked = off, as the card's toggles)
 * POST /me/unfollow              stop following a project
 * POST /me/links/<id>/unlink     unlink one of my Teams accounts (confirmed)
 * Everything here is the viewer's own: the storage functions match on the user id too.
 */
import { Hono, type Context } from "hono";
import { NOTIFICATION_TOGGLES } from "../../cards/action-payload";
import { teamsLinksOfUser, unlinkOwnIdentity } from "../../db/identities";
import { DEFAULT_NOTIFICATION_SETTINGS, followedProjects, getNotificationSettings, saveNotificationSettings, unfollowProject } from "../../db/notification-settings";
import { listUserMemberships } from "../../db/users";
import { NotFoundError } from "../../errors";
import { checkboxField, type FieldErrors } from "../../web/form-errors";
import { MePage } from "../../web/me-page";
import { RefusedPage, sessionForm } from "./form-guard";
import { doneText, webDb, type WebEnv } from "./web-context";

export const meRoutes = new Hono<WebEnv>();

const NOTICES: Record<string, string> = {
  saved: "Notification settings saved.",
  unfollowed: "You no longer follow that project.",
  unlinked: "Unlinked.",
};

async function renderMe(c: Context<WebEnv>, extra: { notice?: string; unlinkErrors?: { id: number; fields: FieldErrors } } = {}) {
  const viewer = c.get("viewer");
  const db = webDb(c);
  const [memberships, links, settings, followed] = await Promise.all([
    listUserMemberships(db, viewer.userId),
    teamsLinksOfUser(db, viewer.userId),
    getNotificationSettings(db, viewer.userId),
    followedProjects(db, viewer.userId),
  ]);
  return (
    <MePage viewer={viewer} memberships={memberships} links={links} settings={settings ?? DEFAULT_NOTIFICATION_SETTINGS} followed={followed} {...extra} />
  );
}

meRoutes.get("/me/", async (c) => c.html(await renderMe(c, { notice: doneText(c, NOTICES) })));

meRoutes.post("/me/notifications", async (c) => {
  const form = await sessionForm(c);
  if (!form) return c.html(<RefusedPage viewer={c.get("viewer")} />, 403);
  const settings = { ...DEFAULT_NOTIFICATION_SETTINGS };
  for (const [id, setting] of Object.entries(NOTIFICATION_TOGGLES)) settings[setting] = checkboxField(form, id);
  await saveNotificationSettings(webDb(c), c.get("viewer").userId, settings, Date.now());
  return c.redirect("/me/?done=saved", 303);
});

function positiveId(raw: unknown): number | null {
  return typeof raw === "string" && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

meRoutes.post("/me/unfollow", async (c) => {
  const form = await sessionForm(c);
  if (!form) return c.html(<RefusedPage viewer={c.get("viewer")} />, 403);
  const projectId = positiveId(form.projectId);
  if (projectId === null) throw new NotFoundError("No such page.");
  await unfollowProject(webDb(c), c.get("viewer").userId, projectId);
  return c.redirect("/me/?done=unfollowed", 303);
});

meRoutes.post("/me/links/:id/unlink", async (c) => {
  const form = await sessionForm(c);
  if (!form) return c.html(<RefusedPage viewer={c.get("viewer")} />, 403);
  const id = positiveId(c.req.param("id"));
  const viewer = c.get("viewer");
  const db = webDb(c);
  const mine = id !== null && (await teamsLinksOfUser(db, viewer.userId)).some((l) => l.id === id);
  if (id === null || !mine) throw new NotFoundError("No such page.");
  if (!checkboxField(form, "confirm")) {
    return c.html(await renderMe(c, { unlinkErrors: { id, fields: { confirm: "tick this to confirm" } } }), 400);
  }
  await unlinkOwnIdentity(db, viewer.userId, id);
  return c.redirect("/me/?done=unlinked", 303);
});
