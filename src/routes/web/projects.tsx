/**
 * GET/POST /organizations/<slug>/projects/                              list (members), create (admins)
 * GET      /organizations/<slug>/projects/<project>/                    DSN, keys, releases, SDK snippets (members)
 * POST     /organizations/<slug>/projects/<project>/keys                add a key, or rotate (admins)
 * POST     /organizations/<slug>/projects/<project>/keys/<id>/revoke    revoke one key, confirmed (admins)
 * POST     /organizations/<slug>/projects/<project>/releases            add a release (admins)
 * POST     /organizations/<slug>/projects/<project>/follow              follow / stop following (members; as the chat's subscribe)
 * Forms are checked with the admin API's schemas and written by the same storage functions; a failed check writes
 * nothing and shows the page again with the error next to its field (400).
 */
import { Hono, type Context } from "hono";
import { buildDsn, generateIngestKey } from "../../auth/ingest-key";
import type { MembershipRole, OrganizationRow } from "../../db/organizations";
import {
  findProjectBySlug,
  findProjectKey,
  insertProjectKey,
  insertProjectWithKey,
  listProjectKeys,
  listProjects,
  revokeProjectKey,
  type ProjectRow,
} from "../../db/projects";
import { followedProjects, followProject, unfollowProject } from "../../db/notification-settings";
import { insertRelease, listReleases } from "../../db/releases";
import { isUniqueViolation } from "../../db/unique-violation";
import { publicBaseUrl } from "../../env";
import { NotFoundError } from "../../errors";
import { forgetIngestKeys } from "../../ingest/key-cache";
import { checkboxField, checkForm, textField } from "../../web/form-errors";
import { projectPath, ProjectPage, ProjectsPage, type ProjectPageErrors } from "../../web/project-pages";
import { createKey, createProject, shortIdPrefixFromSlug } from "../admin/projects";
import { createRelease } from "../admin/releases";
import { AdminsOnlyPage, RefusedPage, sessionForm } from "./form-guard";
import { doneText, orgOfViewer, webDb, type WebEnv } from "./web-context";

export const projectPageRoutes = new Hono<WebEnv>();

const RELEASES_SHOWN = 20;

projectPageRoutes.get("/:slug/projects/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  return c.html(<ProjectsPage viewer={c.get("viewer")} org={org} role={role} projects={await listProjects(webDb(c), org.id)} />);
});

projectPageRoutes.post("/:slug/projects/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const viewer = c.get("viewer");
  const form = await sessionForm(c);
  if (!form) return c.html(<RefusedPage viewer={viewer} />, 403);
  if (role !== "admin") return c.html(<AdminsOnlyPage viewer={viewer} orgSlug={org.slug} what="create projects" />, 403);
  const db = webDb(c);
  const values = { slug: textField(form, "slug"), name: textField(form, "name"), shortIdPrefix: textField(form, "shortIdPrefix") };
  const again = async (errors: Record<string, string>, status: 400 | 409) =>
    c.html(<ProjectsPage viewer={viewer} org={org} role={role} projects={await listProjects(db, org.id)} errors={errors} values={values} />, status);
  const checked = checkForm(createProject, { slug: values.slug ?? "", name: values.name, shortIdPrefix: values.shortIdPrefix });
  if (!checked.ok) return again(checked.errors, 400);
  const body = checked.value;
  const shortIdPrefix = body.shortIdPrefix ?? shortIdPrefixFromSlug(body.slug);
  if (!shortIdPrefix) return again({ shortIdPrefix: "cannot be derived from the slug; give one" }, 400);
  try {
    await insertProjectWithKey(
      db,
      { organizationId: org.id, slug: body.slug, name: body.name ?? body.slug, shortIdPrefix, publicKey: generateIngestKey() },
      Date.now(),
    );
  } catch (err) {
    if (isUniqueViolation(err)) return again({ slug: `this organization already has a project '${body.slug}'` }, 409);
    throw err;
  }
  return c.redirect(`${projectPath(org.slug, body.slug)}?done=created`, 303);
});

const NOTICES: Record<string, string> = {
  created: "Project created. Its DSN is below.",
  key: "Key added.",
  rotated: "Keys rotated: the new key is live and the others are revoked.",
  revoked: "Key revoked.",
  release: "Release added.",
  followed: "You follow this project: its new issues come to your personal chat with the bot (when “New issues in projects I follow” is on in Me).",
  unfollowed: "You no longer follow this project.",
};

async function projectOf(c: Context<WebEnv>): Promise<{ org: OrganizationRow; role: MembershipRole; project: ProjectRow }> {
  const { org, role } = await orgOfViewer(c, c.req.param("slug") ?? "");
  const project = await findProjectBySlug(webDb(c), org.id, (c.req.param("project") ?? "").toLowerCase());
  if (!project) throw new NotFoundError("No such page.");
  return { org, role, project };
}

async function renderProject(
  c: Context<WebEnv>,
  at: { org: OrganizationRow; role: MembershipRole; project: ProjectRow },
  extra: { notice?: string; errors?: ProjectPageErrors; values?: Record<string, string | undefined> } = {},
) {
  const db = webDb(c);
  const base = publicBaseUrl(c.env, c.req.url);
  const [keys, releases, followed] = await Promise.all([
    listProjectKeys(db, at.project.id),
    listReleases(db, at.project.id, RELEASES_SHOWN),
    followedProjects(db, c.get("viewer").userId),
  ]);
  return (
    <ProjectPage
      viewer={c.get("viewer")}
      org={at.org}
      role={at.role}
      project={at.project}
      keys={keys.map((key) => ({ key, dsn: buildDsn(base, key.publicKey, key.projectId) }))}
      releases={releases}
      following={followed.some((p) => p.id === at.project.id)}
      {...extra}
    />
  );
}

projectPageRoutes.get("/:slug/projects/:project/", async (c) => {
  const at = await projectOf(c);
  return c.html(await renderProject(c, at, { notice: doneText(c, NOTICES) }));
});

/** The admin of this organization's form, or the refusal to answer with. */
async function adminForm(c: Context<WebEnv>) {
  const at = await projectOf(c);
  const viewer = c.get("viewer");
  const form = await sessionForm(c);
  if (!form) return { refusal: c.html(<RefusedPage viewer={viewer} />, 403) } as const;
  if (at.role !== "admin") return { refusal: c.html(<AdminsOnlyPage viewer={viewer} orgSlug={at.org.slug} what="change projects" />, 403) } as const;
  return { at, form } as const;
}

projectPageRoutes.post("/:slug/projects/:project/keys", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const rotate = form.action === "rotate";
  const label = textField(form, "label");
  const which = rotate ? "rotate" : "key";
  const values = rotate ? { rotateLabel: label } : { label };
  const checked = checkForm(createKey, { label, revokeOthers: rotate });
  if (!checked.ok) return c.html(await renderProject(c, at, { errors: { form: which, fields: checked.errors }, values }), 400);
  if (rotate && !checkboxField(form, "confirm")) {
    return c.html(await renderProject(c, at, { errors: { form: which, fields: { confirm: "tick this to confirm: the other keys stop working" } }, values }), 400);
  }
  const db = webDb(c);
  const { revokedPublicKeys } = await insertProjectKey(
    db,
    { projectId: at.project.id, publicKey: generateIngestKey(), label: checked.value.label, revokeOthers: checked.value.revokeOthers },
    Date.now(),
  );
  await forgetIngestKeys(c.env, revokedPublicKeys);
  return c.redirect(`${projectPath(at.org.slug, at.project.slug)}?done=${rotate ? "rotated" : "key"}`, 303);
});

projectPageRoutes.post("/:slug/projects/:project/keys/:keyId/revoke", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const raw = c.req.param("keyId");
  const keyId = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : 0;
  const db = webDb(c);
  const key = keyId ? await findProjectKey(db, at.project.id, keyId) : null;
  if (!key) throw new NotFoundError("No such page.");
  if (!checkboxField(form, "confirm")) {
    return c.html(await renderProject(c, at, { errors: { form: `revoke-${key.id}`, fields: { confirm: "tick this to confirm the revocation" } } }), 400);
  }
  await revokeProjectKey(db, at.project.id, key.id, Date.now());
  // Ingest caches keys (src/ingest/key-cache.ts): this isolate and KV forget it now, other isolates within 30 s.
  await forgetIngestKeys(c.env, [key.publicKey]);
  return c.redirect(`${projectPath(at.org.slug, at.project.slug)}?done=revoked`, 303);
});

projectPageRoutes.post("/:slug/projects/:project/releases", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const version = typeof form.version === "string" ? form.version : "";
  const fail = async (fields: Record<string, string>, status: 400 | 409) =>
    c.html(await renderProject(c, at, { errors: { form: "release", fields }, values: { version } }), status);
  const checked = checkForm(createRelease, { version });
  if (!checked.ok) return fail(checked.errors, 400);
  try {
    await insertRelease(webDb(c), at.project.id, checked.value.version, Date.now());
  } catch (err) {
    if (isUniqueViolation(err)) return fail({ version: `release ${checked.value.version} exists` }, 409);
    throw err;
  }
  return c.redirect(`${projectPath(at.org.slug, at.project.slug)}?done=release`, 303);
});

/** Any member may follow (the chat's `subscribe`); the cards come to their personal chat with the bot. */
projectPageRoutes.post("/:slug/projects/:project/follow", async (c) => {
  const at = await projectOf(c);
  const form = await sessionForm(c);
  if (!form) return c.html(<RefusedPage viewer={c.get("viewer")} />, 403);
  const db = webDb(c);
  const follow = form.follow === "on";
  if (follow) await followProject(db, c.get("viewer").userId, at.project.id, Date.now());
  else await unfollowProject(db, c.get("viewer").userId, at.project.id);
  return c.redirect(`${projectPath(at.org.slug, at.project.slug)}?done=${follow ? "followed" : "unfollowed"}`, 303);
});
