/**
 * Headers of every web-app page: a strict Content-Security-Policy (nothing inline, nothing from elsewhere, forms
 * post only here, no framing), no sniffing, referrers only to ourselves, and no caching of pages that show private data.
 */
import type { MiddlewareHandler } from "hono";

export const WEB_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const webPageHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", WEB_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form posts, and the
  // Origin check (session.ts formAllowed) needs the real origin. Nothing is sent to other sites.
  c.header("Referrer-Policy", "same-origin");
  c.header("X-Frame-Options", "DENY");
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
};
