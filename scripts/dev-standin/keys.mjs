/**
 * The stand-in's Bot Framework signing key and the tokens it puts on activities, shaped like the Bot Connector's:
 * RS256, `kid` in the header, iss https://api.botframework.com, aud = the bot's app id, a `serviceurl` claim,
 * and the published JWK endorsed for "msteams" (docs/bot-transport.md, "Inbound"). Dev tool: the worker trusts these
 * only because `npm start` / `npm run demo` point BOT_OPENID_METADATA_URL at the stand-in.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";

export const BOT_FRAMEWORK_ISSUER = "https://api.botframework.com";

/** A fresh RSA key pair and its public JWK as the JWKS endpoint publishes it. */
export async function createSigningKey({ endorsements = ["msteams"], prefix = "standin" } = {}) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const kid = `${prefix}-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256", ...(endorsements ? { endorsements } : {}) };
  return { kid, privateKey, publicJwk };
}

/**
 * The key kept in `file` (a private JWK, mode 0600), or a new one written there: the playground keeps its keys
 * across restarts, so tokens and cached key sets stay valid. Without a file, a fresh key.
 */
export async function loadOrCreateSigningKey(file, opts = {}) {
  if (file && existsSync(file)) {
    const { kid, privateJwk, publicJwk } = JSON.parse(readFileSync(file, "utf8"));
    return { kid, privateKey: await importJWK(privateJwk, "RS256"), publicJwk };
  }
  const key = await createSigningKey(opts);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ kid: key.kid, privateJwk: await exportJWK(key.privateKey), publicJwk: key.publicJwk }), { mode: 0o600 });
  }
  return key;
}

/** The bearer token the Connector would send with an activity for `serviceUrl`. */
export async function signActivityToken({ key, appId, serviceUrl, lifetimeSeconds = 3600 }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ serviceurl: serviceUrl })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .setIssuer(BOT_FRAMEWORK_ISSUER)
    .setAudience(appId)
    .setIssuedAt(now - 5)
    .setNotBefore(now - 5)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(key.privateKey);
}
