import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { getDb } from "../../db/client";
import {
  deleteMembership,
  findMember,
  insertMembership,
  insertOrganization,
  listMembers,
  listOrganizations,
  updateMembershipRole,
  updateOrganization,
} from "../../db/organizations";
import { isUniqueViolation } from "../../db/unique-violation";
import { ConflictError, NotFoundError, ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireOrganization, requireUser } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam } from "./request";
import { nameSchema, slugify, slugSchema } from "./slug";

const createOrganization = z.strictObject({ name: nameSchema, slug: z.optional(slugSchema) });
const patchOrganization = z
  .strictObject({ name: z.optional(nameSchema), autoLinkByEmail: z.optional(z.boolean()), membersCanSubscribeChannels: z.optional(z.boolean()) })
  .check(z.refine((b) => Object.keys(b).length > 0, "nothing to update: send name, autoLinkByEmail and/or membersCanSubscribeChannels"));
const role = z.enum(["member", "admin"]);
export const addMember = z.strictObject({ userId: z.int().check(z.positive()), role: z._default(role, "member") });
export const patchMember = z.strictObject({ role });

/** Organizations and their memberships. */
export const organizationRoutes = new Hono<AppEnv>();

organizationRoutes.post("/organizations", async (c) => {
  const body = validate(createOrganization, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const slug = body.slug ?? slugify(body.name);
  if (!slug) throw new ValidationError("slug: cannot be derived from the name; send one");
  try {
    return c.json(await insertOrganization(getDb(c.env.DB), { name: body.name, slug }, Date.now()), 201);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`An organization with slug '${slug}' exists.`, "slug_taken");
    throw err;
  }
});

organizationRoutes.get("/organizations", async (c) => c.json(await listOrganizations(getDb(c.env.DB))));

organizationRoutes.get("/organizations/:orgId", async (c) =>
  c.json(await requireOrganization(getDb(c.env.DB), idParam(c, "orgId"))),
);

organizationRoutes.patch("/organizations/:orgId", async (c) => {
  const id = idParam(c, "orgId");
  const patch = validate(patchOrganization, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireOrganization(db, id);
  const org = await updateOrganization(db, id, patch);
  if (!org) throw new NotFoundError(`No organization with id ${id}.`);
  return c.json(org);
});

organizationRoutes.post("/organizations/:orgId/members", async (c) => {
  const orgId = idParam(c, "orgId");
  const body = validate(addMember, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  await requireUser(db, body.userId);
  try {
    await insertMembership(db, { organizationId: orgId, userId: body.userId, role: body.role }, Date.now());
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ConflictError("The user is already a member; PATCH their role instead.", "already_member");
    }
    throw err;
  }
  return c.json(await findMember(db, orgId, body.userId), 201);
});

organizationRoutes.get("/organizations/:orgId/members", async (c) => {
  const orgId = idParam(c, "orgId");
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  return c.json(await listMembers(db, orgId));
});

organizationRoutes.patch("/organizations/:orgId/members/:userId", async (c) => {
  const orgId = idParam(c, "orgId");
  const userId = idParam(c, "userId");
  const body = validate(patchMember, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  if (!(await updateMembershipRole(db, orgId, userId, body.role))) {
    throw new NotFoundError(`User ${userId} is not a member of organization ${orgId}.`);
  }
  return c.json(await findMember(db, orgId, userId));
});

/** Removing a member also removes them from the organization's teams. */
organizationRoutes.delete("/organizations/:orgId/members/:userId", async (c) => {
  const orgId = idParam(c, "orgId");
  const userId = idParam(c, "userId");
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  if (!(await deleteMembership(db, orgId, userId))) {
    throw new NotFoundError(`User ${userId} is not a member of organization ${orgId}.`);
  }
  return c.body(null, 204);
});
