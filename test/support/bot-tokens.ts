/**
 * Tokens as the Bot Connector signs them, made with the stand-in's keys (real RSA signatures via jose), plus
 * builders for the requests Teams sends to /api/messages.
 *
 *   const token = await signBotToken({ key: ms.signingKey, serviceUrl: ms.serviceUrl });
 *   const broken = await signBotToken({ key: ms.signingKey, serviceUrl, claims: { aud: "someone-else" } });
 *   const req = await signedActivityRequest(teamsMessageActivity({ serviceUrl: ms.serviceUrl }), { key: ms.signingKey });
 *
 * `claims` overrides (or, with `undefined`, removes) any payload claim; `header` does the same for the JOSE
 * header; `unsigned` / `hmacWithPublicKey` build the classic forgeries.
 */
import { env } from "cloudflare:workers";
import { base64url, SignJWT, type JWTHeaderParameters } from "jose";
import type { Activity } from "../../src/bot/activity-types";
import type { StandInKey } from "./microsoft-stand-in";

export const BOT_FRAMEWORK_ISSUER = "https://api.botframework.com";

export type BotTokenOptions = {
  key: StandInKey;
  /** The serviceurl claim (defaults to the activity's when built through signedActivityRequest). */
  serviceUrl?: string;
  /** Seconds since the epoch used as "now" for iat/nbf/exp (default: the real clock). */
  now?: number;
  /** Lifetime in seconds (default 3600). */
  lifetime?: number;
  /** Claim overrides; a key set to undefined removes the claim. */
  claims?: Record<string, unknown>;
  /** Header overrides (e.g. another kid); a key set to undefined removes it. */
  header?: Record<string, unknown>;
  /** Build an unsecured JWT (`alg: none`, empty signature). */
  unsigned?: boolean;
  /** Sign with HS256 using the public key's JWK JSON as the HMAC secret (algorithm-confusion forgery). */
  hmacWithPublicKey?: boolean;
};

function encodeJson(value: unknown): string {
  return base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
}

function withOverrides(base: Record<string, unknown>, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** A Bot Connector token for this bot (env.MICROSOFT_APP_ID), with any claim or header changed on request. */
export async function signBotToken(opts: BotTokenOptions): Promise<string> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const payload = withOverrides(
    {
      iss: BOT_FRAMEWORK_ISSUER,
      aud: env.MICROSOFT_APP_ID,
      serviceurl: opts.serviceUrl ?? "https://smba.trafficmanager.test/amer/",
      nbf: now - 5,
      iat: now - 5,
      exp: now + (opts.lifetime ?? 3600),
    },
    opts.claims,
  );
  if (opts.unsigned) {
    const header = withOverrides({ alg: "none", typ: "JWT", kid: opts.key.kid }, opts.header);
    return `${encodeJson(header)}.${encodeJson(payload)}.`;
  }
  if (opts.hmacWithPublicKey) {
    const header = withOverrides({ alg: "HS256", typ: "JWT", kid: opts.key.kid }, opts.header);
    const input = `${encodeJson(header)}.${encodeJson(payload)}`;
    const secret = new TextEncoder().encode(JSON.stringify(opts.key.publicJwk));
    const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input)));
    return `${input}.${base64url.encode(sig)}`;
  }
  const header = withOverrides({ alg: opts.key.alg, typ: "JWT", kid: opts.key.kid }, opts.header) as JWTHeaderParameters;
  return new SignJWT(payload).setProtectedHeader(header).sign(opts.key.privateKey);
}

export type ActivityRequestOptions = Omit<BotTokenOptions, "serviceUrl"> & {
  /** The serviceurl claim; defaults to the activity's serviceUrl. */
  serviceUrl?: string;
  /** Replace the whole Authorization header (null: send none). */
  authorization?: string | null;
  /** Send this body instead of the activity's JSON. */
  rawBody?: string;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
};

/** A POST /api/messages request carrying `activity`, authorised with a signed token unless told otherwise. */
export async function signedActivityRequest(activity: Partial<Activity> | Record<string, unknown>, opts: ActivityRequestOptions): Promise<Request> {
  const serviceUrl = opts.serviceUrl ?? (typeof activity.serviceUrl === "string" ? activity.serviceUrl : undefined);
  const authorization =
    opts.authorization === undefined ? `Bearer ${await signBotToken({ ...opts, serviceUrl })}` : opts.authorization;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", ...opts.headers };
  if (authorization !== null) headers.authorization = authorization;
  return new Request(opts.url ?? "https://alerts.test/api/messages", {
    method: opts.method ?? "POST",
    headers,
    body: opts.rawBody ?? JSON.stringify(activity),
  });
}

let activityCounter = 0;

/** A realistic Teams channel message to the bot (override any field). */
export function teamsMessageActivity(overrides: Partial<Activity> = {}): Activity {
  const n = ++activityCounter;
  const appId = env.MICROSOFT_APP_ID as string;
  return {
    type: "message",
    id: `1700000000${String(n).padStart(3, "0")}`,
    timestamp: new Date().toISOString(),
    serviceUrl: "https://smba.trafficmanager.test/amer/",
    channelId: "msteams",
    from: { id: "29:1user-standin", name: "Ada Lovelace", aadObjectId: "00000000-0000-0000-0000-00000000a11a" },
    recipient: { id: `28:${appId}`, name: "Issue Alerts" },
    conversation: {
      id: "19:standin-channel@thread.tacv2;messageid=1700000000000",
      conversationType: "channel",
      tenantId: "standin-tenant-0001",
      isGroup: true,
    },
    channelData: {
      tenant: { id: "standin-tenant-0001" },
      team: { id: "19:standin-team@thread.tacv2", name: "Platform" },
      channel: { id: "19:standin-channel@thread.tacv2", name: "alerts" },
    },
    text: "<at>Issue Alerts</at> help",
    textFormat: "plain",
    entities: [{ type: "mention", mentioned: { id: `28:${appId}`, name: "Issue Alerts" }, text: "<at>Issue Alerts</at>" }],
    locale: "en-US",
    ...overrides,
  };
}
