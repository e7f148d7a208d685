/**
 * Sentry DSNs: `http(s)://<publicKey>@<host>[/<path>]/<projectId>`. The public key is the project's ingest
 * key; an SDK derives the endpoint `<origin>[/<path>]/api/<projectId>/envelope/` from it. (The admin API builds
 * DSNs with `buildDsn` in src/auth/ingest-key.ts; this side only reads them, from envelope headers.)
 */
export type Dsn = { protocol: "http" | "https"; publicKey: string; host: string; path: string; projectId: string };

/** The parts of a DSN, or null when it is not one (no key, no numeric project id, other scheme). */
export function parseDsn(dsn: string): Dsn | null {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const protocol = url.protocol === "https:" ? "https" : url.protocol === "http:" ? "http" : null;
  if (!protocol || !url.username) return null;
  const segments = url.pathname.split("/").filter(Boolean);
  const projectId = segments.pop();
  if (!projectId || !/^\d+$/.test(projectId)) return null;
  return {
    protocol,
    publicKey: decodeURIComponent(url.username),
    host: url.host,
    path: segments.length ? `/${segments.join("/")}` : "",
    projectId,
  };
}
