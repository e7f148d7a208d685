import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { generatePersonalToken } from "../../auth/personal-tokens";
import { getDb } from "../../db/client";
import { isUniqueViolation } from "../../db/unique-violation";
import {
  findApiToken,
  insertApiToken,
  insertUser,
  listApiTokens,
  listUserMemberships,
  listUsers,
  revokeApiToken,
  updateUser,
} from "../../db/users";
import { ConflictError, NotFoundError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireUser } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam, readOptionalJsonObject } from "./request";

/** Emails are compared lower-case everywhere (unique index, auto-link by email). */
export const emailSchema = z.pipe(z.string().check(z.trim(), z.toLowerCase(), z.maxLength(254)), z.email());
const createUser = z.strictObject({
  email: emailSchema,
  name: z._default(z.string().check(z.trim(), z.maxLength(200)), ""),
});
const patchUser = z
  .strictObject({
    name: z.optional(z.string().check(z.trim(), z.maxLength(200))),
    notifyOnAssign: z.optional(z.boolean()),
  })
  .check(z.refine((b) => Object.keys(b).length > 0, "nothing to update: send name and/or notifyOnAssign"));
export const createToken = z.strictObject({ name: z._default(z.string().check(z.trim(), z.maxLength(100)), "") });

/** Users, and their personal API tokens. */
export const userRoutes = new Hono<AppEnv>();

userRoutes.post("/users", async (c) => {
  const body = validate(createUser, await readJsonObject(c, ADMIN_BODY_LIMIT));
  try {
    return c.json(await insertUser(getDb(c.env.DB), body, Date.now()), 201);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`A user with email ${body.email} exists.`, "email_taken");
    throw err;
  }
});

/** `?email=` finds one user by (case-insensitive) email. */
userRoutes.get("/users", async (c) => {
  const email = c.req.query("email");
  return c.json(await listUsers(getDb(c.env.DB), email === undefined ? {} : { email: email.trim().toLowerCase() }));
});

userRoutes.get("/users/:id", async (c) => {
  const db = getDb(c.env.DB);
  const user = await requireUser(db, idParam(c, "id"));
  return c.json({ ...user, memberships: await listUserMemberships(db, user.id) });
});

userRoutes.patch("/users/:id", async (c) => {
  const id = idParam(c, "id");
  const patch = validate(patchUser, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireUser(db, id);
  const user = await updateUser(db, id, patch);
  if (!user) throw new NotFoundError(`No user with id ${id}.`);
  return c.json(user);
});

/** The token is in this response only; the database keeps its SHA-256. */
userRoutes.post("/users/:id/tokens", async (c) => {
  const id = idParam(c, "id");
  const body = validate(createToken, await readOptionalJsonObject(c));
  const db = getDb(c.env.DB);
  await requireUser(db, id);
  const { token, tokenHash } = await generatePersonalToken();
  const row = await insertApiToken(db, { userId: id, name: body.name, tokenHash }, Date.now());
  c.header("Cache-Control", "no-store");
  return c.json({ ...row, token }, 201);
});

userRoutes.get("/users/:id/tokens", async (c) => {
  const db = getDb(c.env.DB);
  const user = await requireUser(db, idParam(c, "id"));
  return c.json(await listApiTokens(db, user.id));
});

userRoutes.delete("/users/:id/tokens/:tokenId", async (c) => {
  const id = idParam(c, "id");
  const tokenId = idParam(c, "tokenId");
  const db = getDb(c.env.DB);
  await requireUser(db, id);
  if (!(await findApiToken(db, id, tokenId))) throw new NotFoundError(`User ${id} has no token with id ${tokenId}.`);
  await revokeApiToken(db, id, tokenId, Date.now());
  return c.body(null, 204);
});
