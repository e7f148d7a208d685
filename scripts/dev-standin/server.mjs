/**
 * A local stand-in for the Microsoft side of a Teams bot, as a real HTTP server on 127.0.0.1 (dev tool for
 * `npm start` and `npm run demo`; the tests' in-workerd equivalent is test/support/microsoft-stand-in.ts):
 *
 *   GET  /v1/.well-known/openidconfiguration   Bot Framework OpenID metadata (jwks_uri → the next route)
 *   GET  /v1/.well-known/keys                  JWKS: one RSA key, endorsed for "msteams"
 *   POST /botframework.com/oauth2/v2.0/token   the bot's client-credentials exchange (checks the form like AAD)
 *   *    /amer/v3/...                          the Bot Connector API (serviceUrl = <origin>/amer/), see connector.mjs
 *   *    /organizations/v2.0/..., /organizations/oauth2/v2.0/...   the sign-in authority, see sign-in.mjs
 *   GET  /                                     the playground (a Teams look-alike), see playground.mjs
 *
 * `authorizationFor(activity)` gives the Authorization header the Connector would put on that activity, signed
 * with the stand-in's private key, so a script can POST it to the worker's /api/messages.
 *
 * With `stateDir`, the keys and the conversations are kept there across restarts (like the local D1).
 *
 * Nothing in src/ knows about this server: a worker trusts it only when its BOT_OPENID_METADATA_URL,
 * BOT_TOKEN_URL (and SIGN_IN_METADATA_URL) are pointed here (wrangler dev --var ...), which only local runs do.
 */
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import { join } from "node:path";
import { ConnectorStandIn } from "./connector.mjs";
import { ConversationLog } from "./conversation-log.mjs";
import { BOT_FRAMEWORK_ISSUER, loadOrCreateSigningKey, signActivityToken } from "./keys.mjs";
import { createPlayground } from "./playground.mjs";
import { createSignInAuthority } from "./sign-in.mjs";
import { DEMO_TENANT, DEMO_USERS, seedConnector } from "./world.mjs";

const METADATA_PATH = "/v1/.well-known/openidconfiguration";
const JWKS_PATH = "/v1/.well-known/keys";
const TOKEN_PATH = "/botframework.com/oauth2/v2.0/token";
const SERVICE_PATH = "/amer/";
const BOT_SCOPE = "https://api.botframework.com/.default";
const BOT_NAME = "Issue Alerts";
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the stand-in on 127.0.0.1 (port 0 = a free one) for the bot `appId` / `appPassword`.
 * `stateDir`: where keys and conversations persist (none: all in memory). `workerUrl`: the worker the playground
 * and the sign-in authority serve (also settable later with `connectWorker`). `playground`: fill the Connector's
 * teams and rosters with the demo tenant (world.mjs).
 * @returns {Promise<MicrosoftStandIn>}
 */
export async function startMicrosoftStandIn({ appId, appPassword, port = 0, tokenLifetimeSeconds = 3600, stateDir = null, workerUrl = null, playground = false }) {
  const key = await loadOrCreateSigningKey(stateDir && join(stateDir, "bot-framework-key.json"));
  const signInKey = await loadOrCreateSigningKey(stateDir && join(stateDir, "sign-in-key.json"), { endorsements: null, prefix: "standin-signin" });
  const issued = new Set();
  const token = { requests: 0, refused: 0, issued };
  const openid = { metadataRequests: 0, jwksRequests: 0 };
  const events = new EventEmitter();
  let playgroundHandler = null;
  const log = new ConversationLog({ file: stateDir && join(stateDir, "conversations.json"), onChange: () => playgroundHandler?.notify() });
  const connector = new ConnectorStandIn({ isIssuedToken: (t) => issued.has(t), events, log, bot: { id: `28:${appId}`, name: BOT_NAME } });
  if (playground) seedConnector(connector);
  let origin = "";
  let worker = workerUrl;
  let guide = null;
  const signIn = createSignInAuthority({
    origin: () => origin,
    key: signInKey,
    tenant: DEMO_TENANT,
    users: DEMO_USERS,
    client: () => ({ clientId: appId, clientSecret: appPassword, redirectOrigin: worker }),
  });
  const world = () => ({ tenantId: DEMO_TENANT.id, botId: `28:${appId}`, botName: BOT_NAME, serviceUrl: `${origin}${SERVICE_PATH}` });
  const authorizationFor = async (activity) => `Bearer ${await signActivityToken({ key, appId, serviceUrl: activity.serviceUrl ?? world().serviceUrl })}`;
  playgroundHandler = createPlayground({ log, world, sign: authorizationFor, workerUrl: () => worker, guide: () => guide });

  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      const text = body === null || body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, { ...(text ? { "content-type": "application/json; charset=utf-8" } : {}), ...headers });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? "/", origin);
      const body = await readBody(req);
      const method = req.method ?? "GET";
      // The bot's own token endpoint and the Connector first: /botframework.com/oauth2/... is not a sign-in tenant.
      const ours = url.pathname !== TOKEN_PATH && !url.pathname.startsWith(SERVICE_PATH);
      const answer = ours ? ((await signIn.handle(method, url, body, req.headers)) ?? (await playgroundHandler.handle(method, url, body, res))) : null;
      if (answer === "streaming") return;
      if (answer) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
      if (req.method === "GET" && url.pathname === METADATA_PATH) {
        openid.metadataRequests++;
        return send(200, {
          issuer: BOT_FRAMEWORK_ISSUER,
          authorization_endpoint: `${origin}/invalid`,
          jwks_uri: `${origin}${JWKS_PATH}`,
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["private_key_jwt"],
        });
      }
      if (req.method === "GET" && url.pathname === JWKS_PATH) {
        openid.jwksRequests++;
        return send(200, { keys: [key.publicJwk] });
      }
      if (url.pathname === TOKEN_PATH) {
        token.requests++;
        const form = Object.fromEntries(new URLSearchParams(body.toString("utf8")));
        if (req.method !== "POST" || !String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          return send(400, { error: "invalid_request" });
        }
        if (form.client_id !== appId || form.client_secret !== appPassword) {
          token.refused++;
          connector.report("Microsoft (the stand-in's token endpoint) refused the bot's credentials: MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD do not match (invalid_client)");
          return send(401, { error: "invalid_client", error_description: "stand-in: wrong client id or secret" });
        }
        if (form.grant_type !== "client_credentials") return send(400, { error: "unsupported_grant_type" });
        if (form.scope !== BOT_SCOPE) return send(400, { error: "invalid_scope" });
        const accessToken = `standin-token-${issued.size + 1}-${Math.random().toString(36).slice(2, 10)}`;
        issued.add(accessToken);
        return send(200, { token_type: "Bearer", expires_in: tokenLifetimeSeconds, ext_expires_in: tokenLifetimeSeconds, access_token: accessToken });
      }
      if (url.pathname.startsWith(SERVICE_PATH)) {
        let parsed = undefined;
        if (body.length > 0) {
          try {
            parsed = JSON.parse(body.toString("utf8"));
          } catch {
            return send(400, { error: { code: "BadSyntax", message: "body is not JSON" } });
          }
        }
        const answer = connector.handle(
          req.method ?? "GET",
          url.pathname.slice(SERVICE_PATH.length),
          Object.fromEntries(url.searchParams),
          parsed,
          req.headers.authorization,
        );
        return send(answer.status, answer.body);
      }
      send(404, { error: "stand-in: no such route" });
    } catch (err) {
      send(500, { error: `stand-in: ${err instanceof Error ? err.message : String(err)}` });
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  origin = `http://127.0.0.1:${server.address().port}`;
  const serviceUrl = `${origin}${SERVICE_PATH}`;

  return {
    origin,
    metadataUrl: `${origin}${METADATA_PATH}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    serviceUrl,
    /** The sign-in authority's metadata (multi-tenant, like Microsoft's `organizations`): SIGN_IN_METADATA_URL. */
    signInMetadataUrl: signIn.metadataUrl("organizations"),
    playgroundUrl: `${origin}/`,
    appId,
    botId: `28:${appId}`,
    key,
    token,
    openid,
    signIn: signIn.stats,
    connector,
    log,
    /** "call" (every Connector call) and "problem" (a sentence: something Microsoft would refuse happened). */
    events,
    /** The Authorization header value for an activity (its serviceUrl goes into the signed claim). */
    authorizationFor,
    /** The worker the playground sends activities to, and whose origin redirect URIs may have. */
    connectWorker(url) {
      worker = url;
    },
    /** What the playground's "getting started" panel shows (addresses, tokens, ids: see start.mjs). */
    setGuide(value) {
      guide = value;
      playgroundHandler.notify();
    },
    close() {
      log.save();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** @typedef {Awaited<ReturnType<typeof startMicrosoftStandIn>>} MicrosoftStandIn */
