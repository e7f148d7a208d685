/**
 * Web sign-in settings, read once from the environment: the bot's app registration is the OpenID Connect client,
 * Microsoft identity platform v2.0 the authority.
 */
import { publicBaseUrl, type Env } from "../../env";
import { NotConfiguredError } from "../../errors";

export type SignInConfig = {
  clientId: string;
  clientSecret: string;
  /** OpenID metadata document of the authority. */
  metadataUrl: string;
  /** `${PUBLIC_BASE_URL}/auth/microsoft/callback`: must be a Web redirect URI of the app registration. */
  redirectUri: string;
  /** The site is served over https: cookies get `Secure` and the `__Host-` prefix. */
  secure: boolean;
  /** HMAC key material for the short-lived sign-in cookies (LINK_SIGNING_SECRET). */
  signingSecret: string;
};

export const SIGN_IN_CALLBACK_PATH = "/auth/microsoft/callback";

/** The `organizations` authority (any work or school tenant), or the tenant's own for a single-tenant app. */
export function defaultSignInMetadataUrl(tenantId: string | null): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId ?? "organizations")}/v2.0/.well-known/openid-configuration`;
}

export function signInConfig(env: Env, requestUrl?: string): SignInConfig {
  const clientId = env.MICROSOFT_APP_ID?.trim() ?? "";
  const clientSecret = env.MICROSOFT_APP_PASSWORD ?? "";
  const signingSecret = env.LINK_SIGNING_SECRET ?? "";
  const missing = [!clientId && "MICROSOFT_APP_ID", !clientSecret && "MICROSOFT_APP_PASSWORD", !signingSecret && "LINK_SIGNING_SECRET"].filter(Boolean);
  if (missing.length) {
    throw new NotConfiguredError(
      `Sign-in is not configured: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set. ` +
        "Locally put them in .dev.vars; deployed use `wrangler secret put <NAME>` (see docs/deploy.md).",
    );
  }
  const base = publicBaseUrl(env, requestUrl);
  return {
    clientId,
    clientSecret,
    metadataUrl: env.SIGN_IN_METADATA_URL?.trim() || defaultSignInMetadataUrl(env.MICROSOFT_APP_TENANT_ID?.trim() || null),
    redirectUri: `${base}${SIGN_IN_CALLBACK_PATH}`,
    secure: base.startsWith("https://"),
    signingSecret,
  };
}
