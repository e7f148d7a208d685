/**
 * Headers of every web-app page: a strict Content-Security-Policy (nothing inline, nothing from elsewhere, forms
 * post only here, no framing), no sniffing, no referrer, and no caching of pages that show private data.
 */
import type { MiddlewareHandler } from "hono";

export const WEB_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const webPageHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", WEB_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Frame-Options", "DENY");
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
};
