/**
 * Opening a signed link, the same way on every page that takes one (/setup, /link, /unlink):
 *
 *  1. The token verifies (signature, purpose, expiry) and its payload is exactly what the purpose's parser accepts
 *     → else "invalid" (a payload that is off in any way is the same 400 page as a forged link).
 *  2. Its single-use nonce was not used → else "used". This comes before anything else the page does (form, CSRF,
 *     credentials, lookups), so a used link gets one answer whatever is sent with it.
 *
 * The page then checks what is particular to it (a setup link's install generation, say) and consumes the nonce
 * atomically (db/used-nonces consumeNonce) when it acts. Every refusal is a 400 page saying what to do.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { getDb } from "../../db/client";
import { nonceUsed } from "../../db/used-nonces";
import { verifyToken, type PayloadParser, type SignedPurpose } from "../../signing";
import { Message } from "./layout";

export type OpenedLink<T> = { nonce: string; data: T };
/** `superseded`: a setup link of an earlier install of the app (it was removed and added again since). */
export type LinkRefusal = "invalid" | "used" | "superseded";

export async function openSignedLink<T>(
  c: Context<AppEnv>,
  purpose: SignedPurpose,
  parse: PayloadParser<T>,
): Promise<{ ok: true; link: OpenedLink<T> } | { ok: false; refusal: LinkRefusal }> {
  // 1. Signature, purpose, expiry, payload shape.
  const verified = await verifyToken(c.env.LINK_SIGNING_SECRET, purpose, c.req.param("token") ?? "", Date.now(), parse);
  if (!verified.ok) return { ok: false, refusal: "invalid" };
  // 2. Not used before.
  if (await nonceUsed(getDb(c.env.DB), verified.payload.nonce)) return { ok: false, refusal: "used" };
  return { ok: true, link: { nonce: verified.payload.nonce, data: verified.payload.data } };
}

const NEW_LINK: Record<SignedPurpose, string> = {
  setup: "Remove and re-add the app in Teams to get a new one.",
  link: "Send “link” to the bot in Teams to get a new one.",
  unlink: "Send “unlink” to the bot in Teams to get a new one.",
};

function refusalText(purpose: SignedPurpose, refusal: LinkRefusal): string {
  const what = purpose === "setup" ? "This setup link" : "This link";
  switch (refusal) {
    case "invalid":
      return `${what} is invalid or has expired${purpose === "setup" ? "" : " (links last 15 minutes)"}. ${NEW_LINK[purpose]}`;
    case "used":
      return `${what} was already used: each link works once. ${purpose === "setup" ? "If the team still needs connecting, remove and re-add the app in Teams to get a new one." : NEW_LINK[purpose]}`;
    case "superseded":
      return `${what} belongs to an earlier installation of the app in this team. Use the newest welcome card's link, or remove and re-add the app to get a new one.`;
  }
}

/** The 400 page for a refused link. */
export function refusedLink(c: Context<AppEnv>, purpose: SignedPurpose, refusal: LinkRefusal): Response | Promise<Response> {
  const title = refusal === "used" ? "Link already used" : "Link not valid";
  return c.html(<Message title={purpose === "setup" ? `Setup ${title.toLowerCase()}` : title} kind="error" text={refusalText(purpose, refusal)} />, 400);
}
