import type { Context } from "hono";
import { ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";

/** Admin bodies are small: names, slugs, flags. */
export const ADMIN_BODY_LIMIT = 64 * 1024;

/** A path id (`:orgId`, `:id`, ...) as a positive integer; anything else is a 400 naming the parameter. */
export function idParam(c: Context, name: string): number {
  const raw = c.req.param(name) ?? "";
  const n = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new ValidationError(`${name}: must be a positive integer`);
  return n;
}

/** The JSON object body, or `{}` when the request has no body at all (e.g. `curl -X POST` without `-d`). */
export async function readOptionalJsonObject(c: Context): Promise<Record<string, unknown>> {
  const length = c.req.header("content-length");
  if (!c.req.raw.body || length === "0") return {};
  return readJsonObject(c, ADMIN_BODY_LIMIT);
}
