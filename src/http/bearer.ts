/** The token of an `Authorization: Bearer <token>` header, or null (scheme must be exactly Bearer). */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer ([^\s]+)$/.exec(header.trim());
  return m ? m[1] : null;
}

/**
 * Constant-time string comparison (length leaks, content does not), by workerd's
 * `crypto.subtle.timingSafeEqual`. That one throws when the lengths differ; the length of a token is not a
 * secret here, so a different length is simply not equal.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}
