/**
 * Who is sending: Sentry SDKs authenticate with the DSN's public key, in one of three places — the
 * `X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7` header (server SDKs; older ones use `Authorization`),
 * the `sentry_key` query parameter (browser SDKs: no custom header, no CORS preflight) or the envelope
 * header's `dsn` (tunnels). The key must belong to the project named in the path.
 */
import type { ProjectRow } from "../db/projects";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { parseDsn } from "./dsn";

/** Keys are opaque to us, but anything longer or stranger than this cannot be one: refuse before a lookup. */
const KEY_PATTERN = /^[A-Za-z0-9_.~-]{1,128}$/;

/** The `key=value` pairs of a `Sentry k=v, k=v` auth header (lower-case keys), or null if it is not one. */
export function parseSentryAuthHeader(value: string | null | undefined): Record<string, string> | null {
  if (!value) return null;
  const m = /^\s*sentry\s+(.*)$/is.exec(value);
  if (!m) return null;
  const out: Record<string, string> = {};
  for (const part of m[1].split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (k) out[k] = v;
  }
  return out;
}

/** The public key carried by the request's headers or query string (the envelope's DSN is checked later). */
export function sentryKeyFromRequest(headers: Headers, url: URL): string | null {
  const fromHeader =
    parseSentryAuthHeader(headers.get("x-sentry-auth"))?.sentry_key ??
    parseSentryAuthHeader(headers.get("authorization"))?.sentry_key;
  const key = fromHeader ?? url.searchParams.get("sentry_key");
  return key ? key.trim() : null;
}

/** The public key of the DSN in an envelope header, if there is a well-formed one. */
export function sentryKeyFromEnvelopeDsn(dsn: unknown): string | null {
  if (typeof dsn !== "string") return null;
  return parseDsn(dsn)?.publicKey ?? null;
}

/**
 * The project a key opens, which must be the project in the path: no key or an unknown / revoked one is 401,
 * a live key of another project is 403 (as Sentry answers).
 */
export async function authenticateProject(
  lookup: (key: string) => Promise<ProjectRow | null>,
  key: string | null,
  pathProjectId: number,
): Promise<ProjectRow> {
  if (!key) {
    throw new UnauthorizedError(
      "Missing Sentry authentication: send X-Sentry-Auth: Sentry sentry_key=<public key>, or ?sentry_key=.",
      "missing_auth",
    );
  }
  const project = KEY_PATTERN.test(key) ? await lookup(key) : null;
  // The key itself is public, but there is no reason to echo it either.
  if (!project) throw new UnauthorizedError("Unknown or revoked DSN public key.", "invalid_key");
  if (project.id !== pathProjectId) {
    throw new ForbiddenError("This DSN key does not belong to the project in the URL.", "project_mismatch");
  }
  return project;
}
