/**
 * CSRF protection for the page forms: a hidden field bound to the signed link (HMAC under the signing secret, so
 * it cannot be forged), plus a same-origin check when the browser sends Origin.
 */
import type { Context } from "hono";
import { timingSafeEqual } from "../../http/bearer";

const keys = new Map<string, Promise<CryptoKey>>();

async function hmac(secret: string, text: string): Promise<string> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(`csrf:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(text)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function csrfToken(secret: string, linkNonce: string): Promise<string> {
  return hmac(secret, linkNonce);
}

export async function csrfValid(c: Context, secret: string, linkNonce: string, submitted: unknown): Promise<boolean> {
  const origin = c.req.header("origin");
  if (origin && origin !== "null" && origin !== new URL(c.req.url).origin) return false;
  if (typeof submitted !== "string" || submitted.length !== 64) return false;
  return timingSafeEqual(await hmac(secret, linkNonce), submitted);
}
