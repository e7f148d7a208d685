import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { botConfig, defaultTokenUrl } from "../../../src/bot/bot-config";
import { NotConfiguredError } from "../../../src/errors";

const base = { ...env, BOT_OPENID_METADATA_URL: undefined, BOT_TOKEN_URL: undefined, MICROSOFT_APP_TENANT_ID: undefined };

describe("botConfig", () => {
  it("defaults to the public cloud's metadata and the multi-tenant token endpoint", () => {
    const config = botConfig(base);
    expect(config.openIdMetadataUrl).toBe("https://login.botframework.com/v1/.well-known/openidconfiguration");
    expect(config.tokenUrl).toBe("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token");
    expect(config.tenantId).toBeNull();
  });

  it("a single-tenant bot gets its tenant's token endpoint", () => {
    const config = botConfig({ ...base, MICROSOFT_APP_TENANT_ID: "  72f988bf-86f1-41af-91ab-2d7cd011db47 " });
    expect(config.tokenUrl).toBe("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token");
    expect(defaultTokenUrl(null)).toBe("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token");
  });

  it("honours the two URL overrides", () => {
    const config = botConfig(env);
    expect(config.openIdMetadataUrl).toBe(env.BOT_OPENID_METADATA_URL);
    expect(config.tokenUrl).toBe(env.BOT_TOKEN_URL);
  });

  it("names what is missing and how to set it, without echoing the password", () => {
    expect(() => botConfig({ ...base, MICROSOFT_APP_ID: "" })).toThrow(NotConfiguredError);
    try {
      botConfig({ ...base, MICROSOFT_APP_ID: " ", MICROSOFT_APP_PASSWORD: undefined });
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain("MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are not set");
      expect(message).toContain(".dev.vars");
      expect(message).toContain("wrangler secret put");
    }
    expect(() => botConfig({ ...base, MICROSOFT_APP_PASSWORD: "" })).toThrow(/MICROSOFT_APP_PASSWORD is not set/);
  });
});
