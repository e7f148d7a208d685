/** A new ingest key (DSN public key): 32 lower-case hex characters from 16 random bytes, Sentry's shape. */
export function generateIngestKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The DSN SDKs are configured with: `${scheme}://${publicKey}@${host}${path}/${projectId}` where the base URL
 * (PUBLIC_BASE_URL or the request origin) gives scheme, host and an optional path prefix.
 */
export function buildDsn(baseUrl: string, publicKey: string, projectId: number): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${publicKey}@${url.host}${path}/${projectId}`;
}
