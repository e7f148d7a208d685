import { DEFAULT_OPENID_METADATA_URL, type Env } from "../env";
import { NotConfiguredError } from "../errors";

/** The bot's Microsoft identity and the two Microsoft endpoints, resolved from the environment. */
export type BotConfig = {
  appId: string;
  appPassword: string;
  /** Set for a single-tenant bot; the token endpoint then lives under this tenant. */
  tenantId: string | null;
  openIdMetadataUrl: string;
  tokenUrl: string;
};

/** Tenant used in the token URL of a multi-tenant bot (see docs/bot-transport.md, "Outbound"). */
export const MULTI_TENANT_AUTHORITY = "botframework.com";

const HOW_TO_SET =
  "For local runs put it in .dev.vars (e.g. MICROSOFT_APP_PASSWORD=...) and restart `npm start`; " +
  "in production use `wrangler secret put MICROSOFT_APP_PASSWORD` (the app id can be a [vars] entry).";

/** The default token endpoint: the tenant's for a single-tenant bot, else botframework.com's. */
export function defaultTokenUrl(tenantId: string | null): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId ?? MULTI_TENANT_AUTHORITY)}/oauth2/v2.0/token`;
}

/** Where Microsoft's endpoints are, read without needing the credentials (the doctor checks them one by one). */
export function botEndpoints(env: Env): Pick<BotConfig, "tenantId" | "openIdMetadataUrl" | "tokenUrl"> {
  const tenantId = env.MICROSOFT_APP_TENANT_ID?.trim() || null;
  return {
    tenantId,
    openIdMetadataUrl: env.BOT_OPENID_METADATA_URL?.trim() || DEFAULT_OPENID_METADATA_URL,
    tokenUrl: env.BOT_TOKEN_URL?.trim() || defaultTokenUrl(tenantId),
  };
}

/**
 * Reads the bot settings. Throws NotConfiguredError (503) naming what is missing and how to set it, so the
 * messaging endpoint and senders fail loudly instead of half-working.
 */
export function botConfig(env: Env): BotConfig {
  const appId = env.MICROSOFT_APP_ID?.trim() ?? "";
  const appPassword = env.MICROSOFT_APP_PASSWORD ?? "";
  const missing = [!appId && "MICROSOFT_APP_ID", !appPassword && "MICROSOFT_APP_PASSWORD"].filter(Boolean);
  if (missing.length > 0) {
    throw new NotConfiguredError(`The bot is not configured: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set. ${HOW_TO_SET}`);
  }
  return { appId, appPassword, ...botEndpoints(env) };
}
