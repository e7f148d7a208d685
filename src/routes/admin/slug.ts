import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts

const SLUG_MAX = 50;

/** Lower-case letters, digits and inner dashes, like Sentry slugs; what URLs and `#team-slug` labels show. */
export const slugSchema = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.maxLength(SLUG_MAX),
    z.regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "must be lower-case letters, digits and inner dashes"),
  );

/** A slug derived from a display name ("Acme Corp!" → "acme-corp"); empty when nothing usable remains. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, SLUG_MAX)
    .replace(/^-+|-+$/g, "");
}

/** Display names: trimmed, non-empty, bounded. */
export const nameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));
