/**
 * A web form checked with the admin API's own zod schema: the parsed value, or one message per field (the first
 * issue of each), shown next to that field. Issues without a field go under `form`.
 */
import type * as z from "zod/mini";

export type FieldErrors = Record<string, string>;
export type FormCheck<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export function checkForm<S extends z.ZodMiniType>(schema: S, data: unknown): FormCheck<z.output<S>> {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : "form";
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

/** A text field of a parsed form body: trimmed, or undefined when absent or empty (optional schema fields). */
export function textField(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name];
  if (typeof value !== "string") return undefined;
  return value.trim() === "" ? undefined : value;
}

/** A checkbox of a parsed form body. */
export function checkboxField(form: Record<string, unknown>, name: string): boolean {
  return form[name] === "on";
}
