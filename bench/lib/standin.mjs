/**
 * A local HTTP stand-in for Microsoft, shared by our worker and the botbuilder baseline so both sides talk to
 * the same thing: Bot Framework OpenID metadata + JWKS (keys generated here, endorsed for msteams), the AAD
 * token endpoint (client credentials; optional delay) and the Bot Connector under /connector/ (records calls,
 * answers like Teams). Also signs inbound tokens as the Bot Framework would.
 *
 *   const ms = await startStandIn({ appId });
 *   ms.metadataUrl, ms.tokenUrl, ms.serviceUrl  // give these to the bot under test
 *   const token = await ms.signToken();          // "Bearer " + token on POST /api/messages
 *   ms.counts                                    // { metadata, jwks, token, connector: { POST, PUT, ... } }
 *   await ms.close();
 */
import http from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** Teams' per-bot, per-conversation send limits (sliding windows). */
export const TEAMS_LIMITS = [
  { ms: 1_000, max: 7 },
  { ms: 2_000, max: 8 },
  { ms: 30_000, max: 60 },
];

/**
 * `enforceTeamsLimits`: a send (POST/PUT of an activity) over Teams' per-conversation limits is answered 429
 * Throttled, as Teams does; `counts.throttled` counts them.
 */
export async function startStandIn({ appId, tokenDelayMs = 0, enforceTeamsLimits = false } = {}) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  const kid = `bench-${Date.now()}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, use: "sig", endorsements: ["msteams"] }] };
  const counts = { metadata: 0, jwks: 0, token: 0, connector: {}, other: 0, throttled: 0 };
  /** Accepted send times per conversation id. */
  const accepted = new Map();
  const connectorLatencies = [];
  let issued = 0;
  let activitySeq = 0;
  /** Called on every Connector call: (method, path, bodyText) — e.g. to time ingest → card POST. */
  let onConnector = null;

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const send = (status, body) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
      };
      const url = new URL(req.url, base);
      if (req.method === "GET" && url.pathname === "/openid") {
        counts.metadata++;
        return send(200, { issuer: "https://api.botframework.com", jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ["RS256"] });
      }
      if (req.method === "GET" && url.pathname === "/keys") {
        counts.jwks++;
        return send(200, jwks);
      }
      if (req.method === "POST" && url.pathname === "/token") {
        counts.token++;
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        if (form.get("client_id") !== appId || form.get("grant_type") !== "client_credentials") return send(401, { error: "invalid_client" });
        const answer = () => send(200, { token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: `standin-token-${++issued}` });
        return tokenDelayMs ? setTimeout(answer, tokenDelayMs) : answer();
      }
      if (url.pathname.startsWith("/connector/")) {
        counts.connector[req.method] = (counts.connector[req.method] ?? 0) + 1;
        if (!/^Bearer standin-token-\d+$/.test(req.headers.authorization ?? "")) return send(401, { error: { code: "Unauthorized" } });
        const conv = /\/v3\/conversations\/([^/]+)\/activities/.exec(url.pathname)?.[1];
        if (conv && (req.method === "POST" || req.method === "PUT")) {
          const now = performance.now();
          const times = accepted.get(conv) ?? [];
          if (enforceTeamsLimits && TEAMS_LIMITS.some((w) => times.filter((t) => t > now - w.ms).length >= w.max)) {
            counts.throttled++;
            return send(429, { error: { code: "Throttled" } });
          }
          times.push(now);
          accepted.set(conv, times);
        }
        // Accepted calls only (a throttled send is not a card Teams shows).
        onConnector?.(req.method, url.pathname, Buffer.concat(chunks).toString("utf8"));
        const m = /\/activities\/([^/]+)$/.exec(url.pathname);
        if (req.method === "PUT" && m) return send(200, { id: decodeURIComponent(m[1]) });
        if (req.method === "POST") return send(201, { id: `1:${++activitySeq}` });
        return send(200, {});
      }
      counts.other++;
      return send(404, { error: "no route" });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  return {
    appId,
    base,
    metadataUrl: `${base}/openid`,
    tokenUrl: `${base}/token`,
    serviceUrl: `${base}/connector/`,
    jwks,
    counts,
    connectorLatencies,
    set onConnector(fn) {
      onConnector = fn;
    },
    /** A Bot Framework channel token for this app and serviceUrl (valid one hour). */
    async signToken(serviceUrl = `${base}/connector/`, extraClaims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: "https://api.botframework.com", aud: appId, serviceurl: serviceUrl, nbf: now - 5, exp: now + 3600, ...extraClaims })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .sign(privateKey);
    },
    resetCounts() {
      Object.assign(counts, { metadata: 0, jwks: 0, token: 0, connector: {}, other: 0, throttled: 0 });
      accepted.clear();
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
