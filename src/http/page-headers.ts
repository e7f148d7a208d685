/**
 * Security headers for every HTML page the app serves, as one middleware: app.ts applies it to all routes, and it
 * touches only answers whose Content-Type is text/html (JSON APIs are left as they are). A page added later gets
 * the headers by being HTML; nothing to remember per route.
 *
 * - Content-Security-Policy: nothing may load (default-src 'none'; the pages use no scripts, images or fonts),
 *   styles only the app's own inline stylesheets, allowed by their SHA-256 hash (no 'unsafe-inline'), forms post
 *   only to this origin, no <base>, and no framing (frame-ancestors 'none'; X-Frame-Options DENY for browsers
 *   without CSP 2) — so a one-button page such as /unlink cannot be clickjacked.
 * - Cache-Control: no-store: pages carry per-link CSRF tokens and account details; no cache may keep them.
 * - Referrer-Policy: no-referrer: a page's URL holds its signed link, which must not leak to another site.
 * - X-Content-Type-Options: nosniff.
 *
 * A page with a new inline <style> must list its text in `inlineStyles` (app.ts), or browsers will not apply it.
 */
import type { MiddlewareHandler } from "hono";

export type PageHeaderOptions = {
  /** The exact text of every inline <style> element the pages render. */
  inlineStyles: readonly string[];
};

export function pageHeaders(options: PageHeaderOptions): MiddlewareHandler {
  // Hashing is async (WebCrypto), so the headers are computed on first use and kept for the isolate's life.
  let headers: Promise<Record<string, string>> | null = null;
  return async (c, next) => {
    await next();
    if (!c.res.headers.get("content-type")?.toLowerCase().startsWith("text/html")) return;
    headers ??= pageHeaderValues(options);
    for (const [name, value] of Object.entries(await headers)) c.header(name, value);
  };
}

/** The header values for pages with these inline styles. */
export async function pageHeaderValues(options: PageHeaderOptions): Promise<Record<string, string>> {
  const styleHashes = await Promise.all(options.inlineStyles.map(sha256Source));
  const csp = [
    "default-src 'none'",
    `style-src ${styleHashes.join(" ") || "'none'"}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return {
    "Content-Security-Policy": csp,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
  };
}

/** A CSP hash source ('sha256-<base64>') for an inline element's text. */
async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}
