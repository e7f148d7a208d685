import type { z } from "zod";
import { ValidationError } from "../errors";

/**
 * Validates `data` against a zod schema; on failure throws a ValidationError whose message names the first
 * offending field (e.g. `exception.values.0.type: expected string`).
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length ? issue.path.map(String).join(".") : "body";
  throw new ValidationError(`${path}: ${issue.message}`);
}
