import * as z from "zod/mini";
import { en } from "zod/locales";
import { ValidationError } from "../errors";

// zod/mini ships without a locale (every issue would read "Invalid input"); classic zod registers English by itself.
z.config(en());

/**
 * Validates `data` against a zod schema; on failure throws a ValidationError whose message names the first
 * offending field (e.g. `exception.values.0.type: expected string`).
 */
export function validate<S extends z.ZodMiniType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length ? issue.path.map(String).join(".") : "body";
  throw new ValidationError(`${path}: ${issue.message}`);
}
