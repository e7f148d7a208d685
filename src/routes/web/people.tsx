/**
 * GET  /organizations/<slug>/people/                                  members, teams, invitations (members read)
 * POST /organizations/<slug>/people/members/<userId>/role             change a role (admins)
 * POST /organizations/<slug>/people/members/<userId>/remove           remove a member, confirmed (admins)
 * POST /organizations/<slug>/people/invitations                       invite by email (admins)
 * POST /organizations/<slug>/people/invitations/<id>/revoke           withdraw an invitation (admins)
 * POST /organizations/<slug>/people/teams                             create a team (admins)
 * POST /organizations/<slug>/people/teams/<teamId>/members            add a member to a team (admins)
 * POST /organizations/<slug>/people/teams/<teamId>/members/<id>/remove  take one out, confirmed (admins)
 * Forms are checked with the admin API's schemas and its rules (a team member must be a member of the organization);
 * one more rule here: the last admin cannot be removed or demoted (nobody could manage the organization).
 */
import { Hono, type Context } from "hono";
import * as z from "zod/mini";
import { deleteInvitation, listInvitations, upsertInvitation } from "../../db/invitations";
import { deleteMembership, findMembership, listMembers, updateMembershipRole, type MembershipRole, type OrganizationRow } from "../../db/organizations";
import { deleteTeamMember, findTeam, insertTeamMember, insertTeam, listTeamMembers, listTeams } from "../../db/org-teams";
import { isUniqueViolation } from "../../db/unique-violation";
import { NotFoundError } from "../../errors";
import { checkboxField, checkForm, textField, type FieldErrors } from "../../web/form-errors";
import { PeoplePage, peoplePath, type PeopleFormId } from "../../web/people-page";
import { addMember, patchMember } from "../admin/organizations";
import { addTeamMember, createTeam } from "../admin/teams";
import { emailSchema } from "../admin/users";
import { AdminsOnlyPage, RefusedPage, sessionForm, type FormBody } from "./form-guard";
import { doneText, orgOfViewer, webDb, type WebEnv } from "./web-context";

export const peopleRoutes = new Hono<WebEnv>();

/** An invitation: the admin API's email rules and its membership roles. */
const inviteSchema = z.strictObject({ email: emailSchema, role: addMember.shape.role });

const NOTICES: Record<string, string> = {
  role: "Role changed.",
  removed: "Member removed (and taken out of the organization's teams).",
  invited: "Invitation saved. Tell them to sign in with Microsoft.",
  withdrawn: "Invitation withdrawn.",
  team: "Team created.",
  "team-added": "Added to the team.",
  "team-removed": "Taken out of the team.",
};

type At = { org: OrganizationRow; role: MembershipRole };
type Extra = { notice?: string; errors?: { form: PeopleFormId; fields: FieldErrors }; values?: Record<string, string | undefined> };

async function renderPeople(c: Context<WebEnv>, at: At, extra: Extra = {}) {
  const db = webDb(c);
  const [members, teams, invitations] = await Promise.all([listMembers(db, at.org.id), listTeams(db, at.org.id), listInvitations(db, at.org.id)]);
  const withMembers = await Promise.all(teams.map(async (team) => ({ team, members: await listTeamMembers(db, team.id) })));
  return <PeoplePage viewer={c.get("viewer")} org={at.org} role={at.role} members={members} teams={withMembers} invitations={invitations} now={Date.now()} {...extra} />;
}

peopleRoutes.get("/:slug/people/", async (c) => {
  const at = await orgOfViewer(c, c.req.param("slug"));
  return c.html(await renderPeople(c, at, { notice: doneText(c, NOTICES) }));
});

/** The posting admin's form, or the answer refusing it (stranger 404 first, then CSRF 403, then member 403). */
async function adminForm(c: Context<WebEnv>): Promise<{ at: At; form: FormBody } | { refusal: Response }> {
  const at = await orgOfViewer(c, c.req.param("slug") ?? "");
  const viewer = c.get("viewer");
  const form = await sessionForm(c);
  if (!form) return { refusal: await c.html(<RefusedPage viewer={viewer} />, 403) };
  if (at.role !== "admin") return { refusal: await c.html(<AdminsOnlyPage viewer={viewer} orgSlug={at.org.slug} what="manage its people" />, 403) };
  return { at, form };
}

function idOf(raw: string | undefined): number {
  if (!raw || !/^[1-9]\d{0,15}$/.test(raw)) throw new NotFoundError("No such page.");
  return Number(raw);
}

const done = (c: Context<WebEnv>, at: At, what: string) => c.redirect(`${peoplePath(at.org.slug)}?done=${what}`, 303);

/** Whether the change would leave the organization without an admin. */
async function isLastAdmin(c: Context<WebEnv>, at: At, userId: number): Promise<boolean> {
  const members = await listMembers(webDb(c), at.org.id);
  const admins = members.filter((m) => m.role === "admin");
  return admins.length === 1 && admins[0].userId === userId;
}

peopleRoutes.post("/:slug/people/members/:userId/role", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const userId = idOf(c.req.param("userId"));
  const db = webDb(c);
  if (!(await findMembership(db, at.org.id, userId))) throw new NotFoundError("No such page.");
  const formId = `role-${userId}` as const;
  const checked = checkForm(patchMember, { role: form.role });
  if (!checked.ok) return c.html(await renderPeople(c, at, { errors: { form: formId, fields: checked.errors } }), 400);
  if (checked.value.role !== "admin" && (await isLastAdmin(c, at, userId))) {
    return c.html(await renderPeople(c, at, { errors: { form: formId, fields: { role: "the organization's only admin stays an admin: make someone else an admin first" } } }), 409);
  }
  await updateMembershipRole(db, at.org.id, userId, checked.value.role);
  return done(c, at, "role");
});

peopleRoutes.post("/:slug/people/members/:userId/remove", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const userId = idOf(c.req.param("userId"));
  const db = webDb(c);
  if (!(await findMembership(db, at.org.id, userId))) throw new NotFoundError("No such page.");
  const formId = `remove-${userId}` as const;
  if (!checkboxField(form, "confirm")) return c.html(await renderPeople(c, at, { errors: { form: formId, fields: { confirm: "tick this to confirm" } } }), 400);
  if (await isLastAdmin(c, at, userId)) {
    return c.html(await renderPeople(c, at, { errors: { form: formId, fields: { confirm: "the organization's only admin cannot be removed" } } }), 409);
  }
  await deleteMembership(db, at.org.id, userId);
  return done(c, at, "removed");
});

peopleRoutes.post("/:slug/people/invitations", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const values = { email: typeof form.email === "string" ? form.email : "", role: typeof form.role === "string" ? form.role : undefined };
  const checked = checkForm(inviteSchema, values);
  if (!checked.ok) return c.html(await renderPeople(c, at, { errors: { form: "invite", fields: checked.errors }, values }), 400);
  const db = webDb(c);
  const already = (await listMembers(db, at.org.id)).find((m) => m.email === checked.value.email);
  if (already) {
    return c.html(await renderPeople(c, at, { errors: { form: "invite", fields: { email: `${checked.value.email} is already a member` } }, values }), 409);
  }
  await upsertInvitation(db, { organizationId: at.org.id, email: checked.value.email, role: checked.value.role, invitedByUserId: c.get("viewer").userId }, Date.now());
  return done(c, at, "invited");
});

peopleRoutes.post("/:slug/people/invitations/:id/revoke", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  if (!(await deleteInvitation(webDb(c), got.at.org.id, idOf(c.req.param("id"))))) throw new NotFoundError("No such page.");
  return done(c, got.at, "withdrawn");
});

peopleRoutes.post("/:slug/people/teams", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const values = { teamSlug: textField(form, "slug"), teamName: textField(form, "name") };
  const fail = async (fields: FieldErrors, status: 400 | 409) => c.html(await renderPeople(c, at, { errors: { form: "team", fields }, values }), status);
  const checked = checkForm(createTeam, { slug: values.teamSlug ?? "", name: values.teamName });
  if (!checked.ok) return fail(checked.errors, 400);
  try {
    await insertTeam(webDb(c), { organizationId: at.org.id, slug: checked.value.slug, name: checked.value.name ?? checked.value.slug }, Date.now());
  } catch (err) {
    if (isUniqueViolation(err)) return fail({ slug: `this organization already has a team '${checked.value.slug}'` }, 409);
    throw err;
  }
  return done(c, at, "team");
});

/** A team of this organization (another organization's team id is a 404). */
async function teamOf(c: Context<WebEnv>, at: At) {
  const team = await findTeam(webDb(c), idOf(c.req.param("teamId")));
  if (!team || team.organizationId !== at.org.id) throw new NotFoundError("No such page.");
  return team;
}

peopleRoutes.post("/:slug/people/teams/:teamId/members", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const team = await teamOf(c, at);
  const formId = `team-${team.id}-add` as const;
  const raw = typeof form.userId === "string" && /^\d{1,16}$/.test(form.userId) ? Number(form.userId) : form.userId;
  const checked = checkForm(addTeamMember, { userId: raw });
  if (!checked.ok) return c.html(await renderPeople(c, at, { errors: { form: formId, fields: checked.errors } }), 400);
  const db = webDb(c);
  // The admin API's rule: a team's members are members of its organization.
  if (!(await findMembership(db, at.org.id, checked.value.userId))) {
    return c.html(await renderPeople(c, at, { errors: { form: formId, fields: { userId: "not a member of this organization; add them to it first" } } }), 400);
  }
  try {
    await insertTeamMember(db, team.id, checked.value.userId);
  } catch (err) {
    if (isUniqueViolation(err)) return c.html(await renderPeople(c, at, { errors: { form: formId, fields: { userId: "already in this team" } } }), 409);
    throw err;
  }
  return done(c, at, "team-added");
});

peopleRoutes.post("/:slug/people/teams/:teamId/members/:userId/remove", async (c) => {
  const got = await adminForm(c);
  if ("refusal" in got) return got.refusal;
  const { at, form } = got;
  const team = await teamOf(c, at);
  const userId = idOf(c.req.param("userId"));
  if (!checkboxField(form, "confirm")) {
    return c.html(await renderPeople(c, at, { errors: { form: `team-${team.id}-remove-${userId}`, fields: { confirm: "tick this to confirm" } } }), 400);
  }
  if (!(await deleteTeamMember(webDb(c), team.id, userId))) throw new NotFoundError("No such page.");
  return done(c, at, "team-removed");
});
