import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { getDb } from "../../db/client";
import { insertRelease, listReleases } from "../../db/releases";
import { isUniqueViolation } from "../../db/unique-violation";
import { ConflictError, ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireProject } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam } from "./request";

/** Sentry's rules for a version: no whitespace or slashes, not `.`, `..` or `latest`, at most 200 chars. */
const versionSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(200),
    z.regex(/^[^\s/\\]+$/, "must not contain whitespace or slashes"),
    z.refine((v) => v !== "." && v !== ".." && v.toLowerCase() !== "latest", "is a reserved name"),
  );
export const createRelease = z.strictObject({ version: versionSchema });
const RELEASES_PAGE_MAX = 1000;

/** Releases of a project. The newest one is the "current release" for resolve-in-current-release. */
export const releaseRoutes = new Hono<AppEnv>();

releaseRoutes.post("/projects/:id/releases", async (c) => {
  const id = idParam(c, "id");
  const body = validate(createRelease, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  await requireProject(db, id);
  try {
    return c.json(await insertRelease(db, id, body.version, Date.now()), 201);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`Release ${body.version} exists.`, "release_exists");
    throw err;
  }
});

/** Newest first; `?limit=` (default 100, at most 1000). */
releaseRoutes.get("/projects/:id/releases", async (c) => {
  const id = idParam(c, "id");
  const rawLimit = c.req.query("limit");
  const limit = rawLimit === undefined ? 100 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > RELEASES_PAGE_MAX) {
    throw new ValidationError(`limit: must be an integer from 1 to ${RELEASES_PAGE_MAX}`);
  }
  const db = getDb(c.env.DB);
  await requireProject(db, id);
  return c.json(await listReleases(db, id, limit));
});
