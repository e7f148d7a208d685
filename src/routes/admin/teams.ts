import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { getDb } from "../../db/client";
import { findMembership } from "../../db/organizations";
import { deleteTeamMember, insertTeam, insertTeamMember, listTeamMembers, listTeams } from "../../db/org-teams";
import { isUniqueViolation } from "../../db/unique-violation";
import { ConflictError, NotFoundError, ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireOrganization, requireTeam, requireUser } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam } from "./request";
import { nameSchema, slugSchema } from "./slug";

export const createTeam = z.strictObject({ slug: slugSchema, name: z.optional(nameSchema) });
export const addTeamMember = z.strictObject({ userId: z.int().check(z.positive()) });

/** Teams of an organization, and their members (who must be members of the organization). */
export const teamRoutes = new Hono<AppEnv>();

teamRoutes.post("/organizations/:orgId/teams", async (c) => {
  const orgId = idParam(c, "orgId");
  const body = validate(createTeam, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  try {
    const team = await insertTeam(db, { organizationId: orgId, slug: body.slug, name: body.name ?? body.slug }, Date.now());
    return c.json(team, 201);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ConflictError(`Organization ${orgId} already has a team '${body.slug}'.`, "slug_taken");
    }
    throw err;
  }
});

teamRoutes.get("/organizations/:orgId/teams", async (c) => {
  const orgId = idParam(c, "orgId");
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  return c.json(await listTeams(db, orgId));
});

teamRoutes.get("/teams/:teamId", async (c) => {
  const db = getDb(c.env.DB);
  const team = await requireTeam(db, idParam(c, "teamId"));
  return c.json({ ...team, members: await listTeamMembers(db, team.id) });
});

teamRoutes.post("/teams/:teamId/members", async (c) => {
  const teamId = idParam(c, "teamId");
  const body = validate(addTeamMember, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  const team = await requireTeam(db, teamId);
  const user = await requireUser(db, body.userId);
  if (!(await findMembership(db, team.organizationId, user.id))) {
    throw new ValidationError(
      `userId: user ${user.id} is not a member of organization ${team.organizationId}; add them to it first`,
    );
  }
  try {
    await insertTeamMember(db, team.id, user.id);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`User ${user.id} is already in team '${team.slug}'.`, "already_member");
    throw err;
  }
  return c.json({ userId: user.id, email: user.email, name: user.name }, 201);
});

teamRoutes.get("/teams/:teamId/members", async (c) => {
  const db = getDb(c.env.DB);
  const team = await requireTeam(db, idParam(c, "teamId"));
  return c.json(await listTeamMembers(db, team.id));
});

teamRoutes.delete("/teams/:teamId/members/:userId", async (c) => {
  const teamId = idParam(c, "teamId");
  const userId = idParam(c, "userId");
  const db = getDb(c.env.DB);
  const team = await requireTeam(db, teamId);
  if (!(await deleteTeamMember(db, team.id, userId))) {
    throw new NotFoundError(`User ${userId} is not in team '${team.slug}'.`);
  }
  return c.body(null, 204);
});
