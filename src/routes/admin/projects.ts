import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { buildDsn, generateIngestKey } from "../../auth/ingest-key";
import { getDb } from "../../db/client";
import { forgetIngestKeys } from "../../ingest/key-cache";
import {
  findProjectKey,
  insertProjectKey,
  insertProjectWithKey,
  listProjectKeys,
  listProjects,
  revokeProjectKey,
  type ProjectKeyRow,
  type ProjectRow,
} from "../../db/projects";
import { isUniqueViolation } from "../../db/unique-violation";
import { publicBaseUrl } from "../../env";
import { ConflictError, NotFoundError, ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireOrganization, requireProject } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam, readOptionalJsonObject } from "./request";
import { nameSchema, slugSchema } from "./slug";

const SHORT_ID_PREFIX_MAX = 10;
const shortIdPrefixSchema = z
  .string()
  .check(
    z.trim(),
    z.toUpperCase(),
    z.regex(new RegExp(`^[A-Z0-9]{1,${SHORT_ID_PREFIX_MAX}}$`), `must be 1-${SHORT_ID_PREFIX_MAX} letters or digits`),
  );
export const createProject = z.strictObject({
  slug: slugSchema,
  name: z.optional(nameSchema),
  shortIdPrefix: z.optional(shortIdPrefixSchema),
});
export const createKey = z.strictObject({
  label: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), "default"),
  revokeOthers: z._default(z.boolean(), false),
});

/** Short-id prefix from a slug: `api-server` → `APISERVER` (short ids read `APISERVER-1A`). */
export function shortIdPrefixFromSlug(slug: string): string {
  return slug
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "")
    .slice(0, SHORT_ID_PREFIX_MAX);
}

/** Projects of an organization and their ingest keys (DSNs). */
export const projectRoutes = new Hono<AppEnv>();

projectRoutes.post("/organizations/:orgId/projects", async (c) => {
  const orgId = idParam(c, "orgId");
  const body = validate(createProject, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const shortIdPrefix = body.shortIdPrefix ?? shortIdPrefixFromSlug(body.slug);
  if (!shortIdPrefix) throw new ValidationError("shortIdPrefix: cannot be derived from the slug; send one");
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  let created;
  try {
    created = await insertProjectWithKey(
      db,
      { organizationId: orgId, slug: body.slug, name: body.name ?? body.slug, shortIdPrefix, publicKey: generateIngestKey() },
      Date.now(),
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ConflictError(`Organization ${orgId} already has a project '${body.slug}'.`, "slug_taken");
    }
    throw err;
  }
  const base = publicBaseUrl(c.env, c.req.url);
  const key = presentKey(base, created.key);
  return c.json({ ...presentProject(created.project), key, dsn: key.dsn }, 201);
});

projectRoutes.get("/organizations/:orgId/projects", async (c) => {
  const orgId = idParam(c, "orgId");
  const db = getDb(c.env.DB);
  await requireOrganization(db, orgId);
  return c.json((await listProjects(db, orgId)).map(presentProject));
});

/** The project with all its keys (live first), each with its DSN; `dsn` is the newest live key's. */
projectRoutes.get("/projects/:id", async (c) => {
  const db = getDb(c.env.DB);
  const project = await requireProject(db, idParam(c, "id"));
  const base = publicBaseUrl(c.env, c.req.url);
  const keys = (await listProjectKeys(db, project.id)).map((k) => presentKey(base, k));
  return c.json({ ...presentProject(project), dsn: keys.find((k) => k.isActive)?.dsn ?? null, keys });
});

/** A new ingest key; `{revokeOthers:true}` rotates (every other live key is revoked in the same batch). */
projectRoutes.post("/projects/:id/keys", async (c) => {
  const id = idParam(c, "id");
  const body = validate(createKey, await readOptionalJsonObject(c));
  const db = getDb(c.env.DB);
  await requireProject(db, id);
  const { key, revokedKeyIds, revokedPublicKeys } = await insertProjectKey(
    db,
    { projectId: id, publicKey: generateIngestKey(), label: body.label, revokeOthers: body.revokeOthers },
    Date.now(),
  );
  await forgetIngestKeys(c.env, revokedPublicKeys);
  return c.json({ ...presentKey(publicBaseUrl(c.env, c.req.url), key), revokedKeyIds }, 201);
});

projectRoutes.delete("/projects/:id/keys/:keyId", async (c) => {
  const id = idParam(c, "id");
  const keyId = idParam(c, "keyId");
  const db = getDb(c.env.DB);
  await requireProject(db, id);
  const found = await findProjectKey(db, id, keyId);
  if (!found) throw new NotFoundError(`Project ${id} has no key with id ${keyId}.`);
  await revokeProjectKey(db, id, keyId, Date.now());
  // Ingest caches keys (src/ingest/key-cache.ts): this isolate and KV forget it now, other isolates within 30 s.
  await forgetIngestKeys(c.env, [found.publicKey]);
  return c.body(null, 204);
});

function presentProject(p: ProjectRow) {
  return {
    id: p.id,
    organizationId: p.organizationId,
    slug: p.slug,
    name: p.name,
    shortIdPrefix: p.shortIdPrefix,
    rateLimitPerMinute: p.rateLimitPerMinute,
    createdAt: p.createdAt,
  };
}

function presentKey(baseUrl: string, k: ProjectKeyRow) {
  return {
    id: k.id,
    label: k.label,
    publicKey: k.publicKey,
    dsn: buildDsn(baseUrl, k.publicKey, k.projectId),
    isActive: k.revokedAt === null,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt,
  };
}
