/**
 * The alternative a TypeScript team would pick: botbuilder-js (`CloudAdapter` + `ConfigurationBotFrameworkAuthentication`)
 * on Node's http server, pointed at the same stand-in OpenID metadata and Connector as our worker. Its bot
 * ignores typing activities and answers a card click by updating the clicked message with the same issue card
 * our worker sends (src/cards builder output), like our card-action path minus the database.
 *
 * Deviation, stated in RESULTS.md: botbuilder gets its outbound token through a small credentials factory that
 * does the client-credentials exchange against the stand-in's token endpoint (cached, like ours), because MSAL
 * refuses a non-https authority. Inbound verification (OpenID metadata, JWKS, endorsements, issuer, audience,
 * serviceurl claim) is botbuilder's own.
 *
 *   const bb = await startBotbuilder(ms, cardMessage);  // bb.url → POST /api/messages
 *   await bb.close();
 */
import http from "node:http";
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from "botbuilder";

/** Client-credentials token from the stand-in, one exchange shared by concurrent callers, cached until expiry. */
class StandInCredentialsFactory {
  constructor(ms, appPassword) {
    this.ms = ms;
    this.appPassword = appPassword;
    this.cached = null;
  }
  async isValidAppId(appId) {
    return appId === this.ms.appId;
  }
  async isAuthenticationDisabled() {
    return false;
  }
  async createCredentials() {
    return { signRequest: async (webResource) => {
      webResource.headers.set("authorization", `Bearer ${await this.token()}`);
      return webResource;
    } };
  }
  token() {
    if (this.cached && this.cached.expiresAt > Date.now()) return Promise.resolve(this.cached.token);
    this.inflight ??= fetch(this.ms.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: this.ms.appId, client_secret: this.appPassword, scope: "https://api.botframework.com/.default" }),
    })
      .then((r) => r.json())
      .then((b) => {
        this.cached = { token: b.access_token, expiresAt: Date.now() + (b.expires_in - 300) * 1000 };
        return b.access_token;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}

/** Node http request/response → what CloudAdapter.process expects (a parsed body; status/send/end/header). */
function adapt(req, res, bodyText) {
  let status = 200;
  req.body = bodyText ? JSON.parse(bodyText) : undefined;
  const shim = {
    socket: res.socket,
    status: (code) => (status = code),
    header: (name, value) => res.setHeader(name, value),
    send: (body) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(text);
    },
    end: () => {
      if (!res.writableEnded) {
        res.statusCode = status;
        res.end();
      }
    },
  };
  return shim;
}

export async function startBotbuilder(ms, cardMessage, { appPassword = "test-app-password" } = {}) {
  const auth = new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: ms.appId,
      MicrosoftAppPassword: appPassword,
      MicrosoftAppType: "MultiTenant",
      // Any override makes the factory build a "parameterized" authentication: every value must then be given.
      ToBotFromChannelOpenIdMetadataUrl: ms.metadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: ms.metadataUrl,
      ToBotFromChannelTokenIssuer: "https://api.botframework.com",
      ToChannelFromBotLoginUrl: `${ms.base}/botframework.com`,
      ToChannelFromBotOAuthScope: "https://api.botframework.com",
      OAuthUrl: `${ms.base}/oauth`,
      ValidateAuthority: false,
    },
    new StandInCredentialsFactory(ms, appPassword),
  );
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (_context, error) => {
    console.error("botbuilder turn error:", error?.message ?? error);
  };
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    const value = context.activity.value;
    if (value?.payload && context.activity.replyToId) {
      // The same card our worker sends, replacing the clicked message.
      await context.updateActivity({ ...cardMessage, id: context.activity.replyToId });
    }
    await next();
  });

  const server = http.createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end('{"ok":true}');
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let shim;
      try {
        shim = adapt(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      adapter.process(req, shim, (context) => bot.run(context)).catch((err) => {
        if (!res.writableEnded) res.writeHead(500).end(String(err?.message ?? err));
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
