import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { testWranglerConfig } from "./test/node/support/test-wrangler-config";
import { dropWorkerdTeardownNoise } from "./test/node/support/workerd-teardown-noise";

const migrations = await readD1Migrations("./migrations");
dropWorkerdTeardownNoise();

/** Bindings every in-worker test sees. Microsoft URLs point at hosts answered by the test stand-in. */
export const testBindings = {
  ADMIN_TOKEN: "test-admin-token",
  PUBLIC_BASE_URL: "https://alerts.test",
  MICROSOFT_APP_ID: "11111111-2222-3333-4444-555555555555",
  MICROSOFT_APP_PASSWORD: "test-app-password",
  LINK_SIGNING_SECRET: "test-link-signing-secret",
  BOT_OPENID_METADATA_URL: "https://login.botframework.test/v1/.well-known/openidconfiguration",
  BOT_TOKEN_URL: "https://login.microsoftonline.test/botframework.com/oauth2/v2.0/token",
  SIGN_IN_METADATA_URL: "https://login.microsoftonline.test/organizations/v2.0/.well-known/openid-configuration",
  // Tests wait for events to be counted: a project's ingest buffer flushes every 50 ms, not every 2 s.
  INGEST_FLUSH_INTERVAL_MS: "50",
};

export default defineConfig({
  test: {
    projects: [
      {
        // Tests inside workerd: the worker, real D1 with the committed migrations, KV, queues.
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            // wrangler.toml, read without the developer's .dev.vars (see test/node/support/test-wrangler-config.ts).
            wrangler: { configPath: testWranglerConfig(fileURLToPath(new URL(".", import.meta.url))) },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations, ...testBindings },
              // Tests wait for the EVENTS consumer after each ingest: hand batches over after 50 ms, not 1 s.
              queueConsumers: { "teams-events": { maxBatchSize: 100, maxBatchTimeout: 0.05, maxRetries: 5, deadLetterQueue: "teams-events-dlq" } },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
          setupFiles: ["./test/support/apply-migrations.ts"],
          testTimeout: 60000,
        },
      },
      {
        // Tests from Node: real SDK clients, headless Chromium, packaging; they start the worker themselves.
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 60000,
          hookTimeout: 60000,
        },
      },
    ],
  },
});
