/**
 * GET /api/admin/doctor: is this deployment able to talk to Teams, and if not, what to do about it.
 *
 * Answers `{ok, checks:[{name, ok, detail, fix?}]}` — always 200 when the doctor itself ran (the failures are the
 * content, not an error of the request). Every failing check carries a plain-language `fix`. Checks:
 *
 *  - configuration: MICROSOFT_APP_ID (a GUID), MICROSOFT_APP_PASSWORD, LINK_SIGNING_SECRET, PUBLIC_BASE_URL
 *    (https unless it is this machine);
 *  - token exchange: a real client-credentials exchange at the token endpoint (never from cache), so revoked
 *    or expired secrets show up now rather than at the next alert;
 *  - OpenID keys: Microsoft's signing keys can be fetched and one of them is endorsed for Teams;
 *  - per Teams installation: its status, alert rules Teams made us disable, and its last delivery.
 *
 * Never echoes a secret or a token: settings are reported as present/absent (and their length where that is
 * the problem); upstream failures are described by our own error messages, which hold no upstream text.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { botConfig, botEndpoints } from "../../bot/bot-config";
import { fetchKeySet } from "../../bot/openid-keys";
import { getBotToken } from "../../bot/token-client";
import { getDb, type Db } from "../../db/client";
import { deliveryBacklog, type ConversationBacklog } from "../../db/deliveries";
import { integrationSummaries, lastDelivery, refusedRules, type IntegrationSummary } from "../../db/doctor-checks";
import { DEFAULT_OPENID_METADATA_URL, type Env } from "../../env";
import { AppError } from "../../errors";

export type DoctorCheck = {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** On an installation's main check: its ids, e.g. the `integrationId` an alert rule needs. */
  integration?: { id: number; teamId: string; name: string; status: string; organizationId: number | null };
};
export type DoctorReport = { ok: boolean; checks: DoctorCheck[] };

export type DoctorDeps = {
  fetch?: typeof fetch;
  now?: () => number;
};

/** Installations reported individually; more than this are summarised (the doctor must stay fast). */
export const MAX_INTEGRATIONS_REPORTED = 50;
/** A delivery still `queued` after this long means nothing is consuming the queue. */
export const STUCK_QUEUED_MS = 2 * 60_000;
/** Below this a link-signing secret is guessable in principle; `npm start` and the deploy guide use 32 random bytes. */
const MIN_SIGNING_SECRET_LENGTH = 32;
/** One attempt, short timeout: the doctor reports, it does not wait out outages. */
const PROBE_TIMEOUT_MS = 8_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SECRET_HINT = "Locally: put it in .dev.vars and restart `npm start`. Deployed: `wrangler secret put";

export const doctorRoutes = new Hono<AppEnv>();

doctorRoutes.get("/doctor", async (c) => {
  const report = await runDoctor(c.env);
  c.header("Cache-Control", "no-store");
  return c.json(report);
});

/** Runs every check; the network checks run in parallel. */
export async function runDoctor(env: Env, deps: DoctorDeps = {}): Promise<DoctorReport> {
  const config = configurationChecks(env);
  const [token, keys, installs] = await Promise.all([
    tokenExchangeCheck(env, deps),
    openIdKeysCheck(env, deps),
    integrationChecks(getDb(env.DB), deps.now ?? Date.now),
  ]);
  const checks = [...config, token, keys, ...installs];
  return { ok: checks.every((c) => c.ok), checks };
}

function configurationChecks(env: Env): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const appId = env.MICROSOFT_APP_ID?.trim() ?? "";
  if (!appId) {
    checks.push({
      name: "MICROSOFT_APP_ID",
      ok: false,
      detail: "Not set: the bot has no Microsoft identity, so Teams messages are refused and nothing can be sent.",
      fix: "Set it to the Application (client) ID of your Azure Bot (docs/deploy.md, steps 3 and 4): a [vars] entry in wrangler.toml, or MICROSOFT_APP_ID=... in .dev.vars locally.",
    });
  } else if (!GUID.test(appId)) {
    checks.push({
      name: "MICROSOFT_APP_ID",
      ok: false,
      detail: "Set, but it is not a GUID; Microsoft app ids look like 00000000-0000-0000-0000-000000000000.",
      fix: "Copy the Application (client) ID from the Azure Bot's Configuration page (or `az ad app list --display-name <name> --query [].appId`).",
    });
  } else {
    checks.push({ name: "MICROSOFT_APP_ID", ok: true, detail: `Set (${appId}).` });
  }

  checks.push(
    env.MICROSOFT_APP_PASSWORD
      ? { name: "MICROSOFT_APP_PASSWORD", ok: true, detail: "Set." }
      : {
          name: "MICROSOFT_APP_PASSWORD",
          ok: false,
          detail: "Not set: the bot cannot get a token to post cards.",
          fix: `Create a client secret for the bot's app registration (\`az ad app credential reset --id <app-id> --append\`: without --append it deletes the secrets the app already has) and store it. ${SECRET_HINT} MICROSOFT_APP_PASSWORD\`.`,
        },
  );

  const signing = env.LINK_SIGNING_SECRET ?? "";
  if (!signing) {
    checks.push({
      name: "LINK_SIGNING_SECRET",
      ok: false,
      detail: "Not set: setup, link and unlink links cannot be signed, so nobody can complete setup or link an account.",
      fix: `Generate one (\`openssl rand -base64 32\`). ${SECRET_HINT} LINK_SIGNING_SECRET\`.`,
    });
  } else if (signing.length < MIN_SIGNING_SECRET_LENGTH) {
    checks.push({
      name: "LINK_SIGNING_SECRET",
      ok: false,
      detail: `Set, but only ${signing.length} characters long: signed links are only as strong as this key.`,
      fix: `Replace it with 32 random bytes (\`openssl rand -base64 32\`). ${SECRET_HINT} LINK_SIGNING_SECRET\`. Links already sent stop working.`,
    });
  } else {
    checks.push({ name: "LINK_SIGNING_SECRET", ok: true, detail: "Set." });
  }

  checks.push(publicBaseUrlCheck(env.PUBLIC_BASE_URL));
  return checks;
}

function publicBaseUrlCheck(raw: string | undefined): DoctorCheck {
  const name = "PUBLIC_BASE_URL";
  const value = raw?.trim() ?? "";
  const fix = "Set it to the worker's public address, e.g. PUBLIC_BASE_URL = \"https://teams-issue-alerts.<your-subdomain>.workers.dev\" under [vars] in wrangler.toml, then `wrangler deploy`.";
  if (!value) {
    return { name, ok: false, detail: "Not set: links in cards fall back to whatever host a request came in on.", fix };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { name, ok: false, detail: `"${value}" is not a URL.`, fix };
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return { name, ok: false, detail: `${url.origin} is not https: Teams opens card links only over https.`, fix };
  }
  return {
    name,
    ok: true,
    detail: loopback
      ? `${url.origin} (this machine only: fine for local runs, links in cards will not open elsewhere).`
      : `${url.origin}; Teams' messaging endpoint should be ${url.origin}/api/messages.`,
  };
}

async function tokenExchangeCheck(env: Env, deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "token exchange";
  let config;
  try {
    config = botConfig(env);
  } catch {
    return {
      name,
      ok: false,
      detail: "Skipped: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are needed first.",
      fix: "Fix the MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD checks above, then run the doctor again.",
    };
  }
  const endpoint = describeTokenEndpoint(config.tokenUrl, config.tenantId);
  // getBotToken answers from memory when it can; the doctor must prove the credentials work *now*, so when the
  // first call did not reach the token endpoint, the token it got is rejected to force a real exchange.
  const baseFetch = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let exchanged = false;
  const probeDeps = {
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      exchanged = true;
      return baseFetch(input, init);
    }) as typeof fetch,
    now: deps.now,
    kv: null,
    maxAttempts: 1,
    timeoutMs: PROBE_TIMEOUT_MS,
  };
  try {
    const cached = await getBotToken(env, probeDeps);
    if (!exchanged) await getBotToken(env, probeDeps, { reject: cached });
    return { name, ok: true, detail: `Microsoft issued a token for the bot (${endpoint}).` };
  } catch (err) {
    const code = err instanceof AppError ? err.code : "unknown";
    if (code === "bot_credentials_rejected") {
      return {
        name,
        ok: false,
        // The message is ours (it names the OAuth error code at most), never Microsoft's text.
        detail: `${(err as Error).message} (${endpoint})`,
        fix:
          "The app id and secret do not match, or the secret expired. Make a new secret (`az ad app credential reset --id <app-id>`) " +
          "and `wrangler secret put MICROSOFT_APP_PASSWORD`. A single-tenant bot also needs MICROSOFT_APP_TENANT_ID; a multi-tenant one must not have it.",
      };
    }
    return {
      name,
      ok: false,
      detail: `${err instanceof AppError ? err.message : "The token request failed."} (${endpoint})`,
      fix: "Microsoft's token endpoint could not be reached. Leave BOT_TOKEN_URL unset in production (it is only for local stand-ins) and try again in a few minutes.",
    };
  }
}

/** Which endpoint was asked, without anything secret: the host, and the tenant when single-tenant. */
function describeTokenEndpoint(tokenUrl: string, tenantId: string | null): string {
  let host = "an invalid BOT_TOKEN_URL";
  try {
    host = new URL(tokenUrl).host;
  } catch {
    /* reported as is */
  }
  return tenantId ? `token endpoint ${host}, tenant ${tenantId}` : `token endpoint ${host}, multi-tenant`;
}

async function openIdKeysCheck(env: Env, deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "OpenID signing keys";
  const { openIdMetadataUrl: metadataUrl } = botEndpoints(env);
  const baseFetch = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const fix =
    "Until this works every message from Teams is refused (401). Leave BOT_OPENID_METADATA_URL unset in production " +
    `(the default is ${DEFAULT_OPENID_METADATA_URL}) and check that the worker can reach login.botframework.com.`;
  try {
    const keys = await fetchKeySet(metadataUrl, ((input: RequestInfo | URL, init?: RequestInit) =>
      baseFetch(input, { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })) as typeof fetch);
    const forTeams = keys.filter((k) => !k.endorsements || k.endorsements.includes("msteams"));
    if (forTeams.length === 0) {
      return {
        name,
        ok: false,
        detail: `${keys.length} key(s) published at ${metadataUrl}, none endorsed for Teams (msteams).`,
        fix,
      };
    }
    return { name, ok: true, detail: `${keys.length} key(s) from ${metadataUrl}, ${forTeams.length} usable for Teams.` };
  } catch {
    // SigningKeysUnavailableError's message may quote the fetch error; the check says what failed in our words.
    return { name, ok: false, detail: `Microsoft's signing keys could not be fetched from ${metadataUrl}.`, fix };
  }
}

async function integrationChecks(db: Db, now: () => number): Promise<DoctorCheck[]> {
  const rows = await integrationSummaries(db, MAX_INTEGRATIONS_REPORTED + 1);
  if (rows.length === 0) {
    return [
      {
        name: "Teams installations",
        ok: true,
        detail: "None yet: build the app package (`npm run package:teams`), upload it in Teams and add the app to a team (docs/deploy.md).",
      },
    ];
  }
  const checks: DoctorCheck[] = [];
  for (const row of rows.slice(0, MAX_INTEGRATIONS_REPORTED)) {
    checks.push(...(await checksForIntegration(db, row, now())));
  }
  if (rows.length > MAX_INTEGRATIONS_REPORTED) {
    checks.push({
      name: "Teams installations",
      ok: true,
      detail: `Only the first ${MAX_INTEGRATIONS_REPORTED} installations are checked; list deliveries with GET /api/admin/deliveries?status=dead.`,
    });
  }
  return checks;
}

function label(row: IntegrationSummary): string {
  return `Teams installation ${row.id} (${row.name || row.externalId})`;
}

/** The doctor's checks of one installation (also shown on the web's Teams installations page). */
export async function checksForIntegration(
  db: Db,
  row: IntegrationSummary,
  now: number,
  /** How to turn a rule back on, for where the report is read (the API by default; the web says where its button is). */
  reenable: (ruleId: number) => string = (ruleId) => `Then re-enable it: PATCH /api/admin/rules/${ruleId} {"status":"active"}.`,
): Promise<DoctorCheck[]> {
  const name = label(row);
  const integration = { id: row.id, teamId: row.externalId, name: row.name, status: row.status, organizationId: row.organizationId };
  if (row.status === "pending") {
    return [
      {
        name,
        integration,
        ok: false,
        detail: "Installed, but setup was never completed: no alert rule can post here yet.",
        fix: "Open the welcome card the bot posted in the team's General channel and click \"Complete setup\" (organization slug + admin token). Lost the card? Remove the app from the team and add it again.",
      },
    ];
  }
  if (row.status === "disabled") {
    return [
      {
        name,
        integration,
        ok: true,
        detail: `Disabled: ${row.statusReason ?? "no reason recorded"} Nothing is sent here; history is kept.`,
      },
    ];
  }

  const checks: DoctorCheck[] = [{ name, integration, ok: true, detail: `Active, connected to organization ${row.organizationId}.` }];

  const refused = await refusedRules(db, row.id);
  for (const rule of refused) {
    checks.push({
      name: `${name}: rule ${rule.id} (${rule.name})`,
      ok: false,
      detail: `Disabled after a delivery failed for good: ${rule.reason}.`,
      fix: `${fixForTeamsCode(rule.reason ?? "")} ${reenable(rule.id)}`,
    });
  }

  checks.push(...backlogChecks(name, await deliveryBacklog(db, row.id), now));

  const last = await lastDelivery(db, row.id);
  const deliveryName = `${name}: last delivery`;
  if (!last) {
    checks.push({ name: deliveryName, ok: true, detail: "No deliveries yet (no alert rule has fired for this installation)." });
    return checks;
  }
  const when = new Date(last.updatedAt).toISOString();
  const what = `delivery ${last.id} (${last.kind}${last.issueId ? ` of issue ${last.issueId}` : ""})`;
  switch (last.status) {
    case "delivered":
      checks.push({ name: deliveryName, ok: true, detail: `${what} delivered at ${when}.` });
      break;
    case "dead":
      checks.push({
        name: deliveryName,
        ok: false,
        detail: `${what} failed for good at ${when} after ${last.attempts} attempt(s): ${last.lastError ?? "no error recorded"}.`,
        fix: fixForTeamsCode(last.lastError ?? ""),
      });
      break;
    case "retrying":
      checks.push({
        name: deliveryName,
        ok: false,
        detail: `${what} is being retried (attempt ${last.attempts}, last error: ${last.lastError ?? "none"}).`,
        fix: "Usually temporary (Teams throttling or an outage): it is retried with backoff. If it ends dead, the doctor says why.",
      });
      break;
    default: {
      const waiting = now - last.createdAt;
      if (waiting > STUCK_QUEUED_MS) {
        checks.push({
          name: deliveryName,
          ok: false,
          detail: `${what} has been queued for ${Math.round(waiting / 60_000)} minute(s) without being picked up.`,
          fix: "Nothing is consuming the teams-deliveries queue: check the [[queues.consumers]] section in wrangler.toml and that the queue exists (`wrangler queues list`), then `wrangler deploy`.",
        });
      } else {
        checks.push({ name: deliveryName, ok: true, detail: `${what} is queued (since ${when}).` });
      }
    }
  }
  return checks;
}

/** A conversation whose oldest waiting delivery is older than BACKLOG_WARN_MS is reported as backlogged. */
export const BACKLOG_WARN_MS = 2 * 60_000;

function backlogChecks(name: string, backlog: ConversationBacklog[], now: number): DoctorCheck[] {
  const late = backlog.filter((b) => now - b.oldestCreatedAt > BACKLOG_WARN_MS);
  if (!late.length) return [];
  return late.slice(0, 5).map((b) => ({
    name: `${name}: backlog`,
    ok: false,
    detail: `${b.waiting} deliveries are waiting for ${b.conversationId ?? "personal chats"}; the oldest since ${Math.round((now - b.oldestCreatedAt) / 60_000)} minute(s).`,
    fix: "Teams accepts about 2 cards per second per conversation (60 per 30 s), so a burst drains at that pace; updates of posted cards go first. If it does not shrink, GET /api/admin/deliveries?status=retrying shows the errors (throttling or an outage is retried with backoff; a delivery gives up after 15 minutes of failures).",
  }));
}

/**
 * The error code in what was recorded: a delivery's `lastError` is "<code>: <message>", a rule disabled by Teams has
 * the reason "Teams refused delivery: <code>" (alerts/deliver-one.ts writes both).
 */
function recordedCode(text: string): string {
  return /^Teams refused delivery: ([A-Za-z][A-Za-z0-9_.]*)$/.exec(text)?.[1] ?? /^([A-Za-z][A-Za-z0-9_.]*):/.exec(text)?.[1] ?? "";
}

/** What an admin can do about a delivery error, by its error code. */
function fixForTeamsCode(error: string): string {
  switch (recordedCode(error)) {
    case "BotNotInConversationRoster":
      return "The bot was removed from that team or chat: add the app to the team again, or point the rule at another channel.";
    case "ConversationNotFound":
      return "The channel or chat no longer exists: point the rule at an existing channel (PATCH /api/admin/rules/<id> with action.target).";
    case "ConversationBlockedByUser":
      return "The user blocked the bot in their 1:1 chat: they must unblock it in Teams, or target a channel instead.";
    case "BotDisabledByAdmin":
      return "A Teams administrator blocked the app for the tenant: ask them to allow it in the Teams admin center (Manage apps).";
    case "MessageSizeTooBig":
      return "The card was larger than Teams accepts: shorten very long issue titles or messages.";
    case "BotNotRegistered":
    case "bot_credentials_rejected":
      return "Teams does not accept the bot's identity: check MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD (see the token exchange check) and that the Azure Bot has the Microsoft Teams channel enabled.";
    case "untrusted_service_url":
      return "The installation's serviceUrl is not an https Teams address: remove the app from the team and add it again.";
    default:
      return "See the error above; GET /api/admin/deliveries?status=dead lists every failed delivery.";
  }
}
