import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";

// Setup files run outside per-test storage isolation; migrations are idempotent.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Property tests use a fixed seed so CI is reproducible (a failure names its seed); change it to explore new cases.
fc.configureGlobal({ seed: 20261125 });
