import type { Db } from "../db/client";
import { findUserByTokenHash, type UserRow } from "../db/users";

/** Every personal API token starts with this, so leaked tokens are recognisable (secret scanners, logs). */
export const PERSONAL_TOKEN_PREFIX = "tia_";
const TOKEN_BYTES = 32;
// prefix + base64url of 32 bytes (43 chars, no padding)
const TOKEN_SHAPE = /^tia_[A-Za-z0-9_-]{43}$/;

/** A new token (shown to its owner once) and the SHA-256 hex that is stored instead of it. */
export async function generatePersonalToken(): Promise<{ token: string; tokenHash: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  const token = PERSONAL_TOKEN_PREFIX + base64url(bytes);
  return { token, tokenHash: await hashPersonalToken(token) };
}

/** SHA-256 hex of a token, as stored in api_tokens.token_hash. */
export async function hashPersonalToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The user a personal API token belongs to, or null for a malformed, unknown or revoked token. The lookup is by
 * hash, so the comparison never touches the secret itself.
 */
export async function authenticatePersonalToken(db: Db, token: string): Promise<UserRow | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  return findUserByTokenHash(db, await hashPersonalToken(token));
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
