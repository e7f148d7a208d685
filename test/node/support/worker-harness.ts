/**
 * A reusable Node-side harness: the real worker (src/index.ts bundled by esbuild) running in Miniflare with
 * local D1 (the committed migrations applied), KV, the DELIVERIES queue, and an HTTP listener on 127.0.0.1 so
 * real clients — Sentry SDKs, browsers, benchmarks — can reach it over the network.
 *
 * Usage (vitest, test/node/**):
 *
 *     const worker = await startWorker({ bindings: { ADMIN_TOKEN: "t" } });
 *     const project = await worker.seed.project({ rateLimitPerMinute: 10_000 });
 *     Sentry.init({ dsn: project.dsn });                 // http://<key>@127.0.0.1:<port>/<projectId>
 *     await fetch(`${worker.url}/health`);
 *     const rows = await worker.query("select * from groups where project_id = ?", project.projectId);
 *     await worker.dispose();
 *
 * From a plain .mjs script (Node 20 cannot import .ts), transpile this file first — see
 * bench/lib/common.mjs (`loadHarness`, `importTs`), which does it with esbuild in ~50 ms:
 *
 *     await esbuild.build({ entryPoints: ["test/node/support/worker-harness.ts"], bundle: true, platform: "node",
 *       format: "esm", packages: "external", outfile: tmpFile });
 *     const { startWorker } = await import(pathToFileURL(tmpFile).href);
 *
 * Options: `bindings` (vars/secrets; defaults below), `outboundService` (answers the worker's outbound fetches,
 * e.g. a stand-in for Microsoft: `(req) => new Response(...)`), `queueConsumer` (also consume DELIVERIES with the
 * worker's `queue` handler, i.e. deliveries to Teams: pair it with `outboundService`; the EVENTS queue of accepted
 * events is always consumed, as in production), `eventsBatchTimeoutSeconds`, `port` (default 0 = a free port), `verbose`,
 * and `d1Gateway` / `remoteD1` (two workers in two workerd processes sharing one D1: bench/storm.mjs's "split" run).
 * Nothing is persisted: every startWorker() gets empty, freshly migrated storage. Start once per test file
 * (~0.5–1 s) and seed a fresh project per test.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import { D1_GATEWAY_SCRIPT, REMOTE_D1_SCRIPT } from "./d1-over-http";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

/** Bindings every harness worker gets unless overridden (same values as the in-worker test project). */
export const DEFAULT_BINDINGS: Record<string, string> = {
  ADMIN_TOKEN: "test-admin-token",
  MICROSOFT_APP_ID: "11111111-2222-3333-4444-555555555555",
  MICROSOFT_APP_PASSWORD: "test-app-password",
  LINK_SIGNING_SECRET: "test-link-signing-secret",
  BOT_OPENID_METADATA_URL: "https://login.botframework.test/v1/.well-known/openidconfiguration",
  BOT_TOKEN_URL: "https://login.microsoftonline.test/botframework.com/oauth2/v2.0/token",
};

export type HarnessOptions = {
  /** Vars and secrets; merged over DEFAULT_BINDINGS. PUBLIC_BASE_URL unset = links use the request origin. */
  bindings?: Record<string, string>;
  /** Answers every outbound fetch of the worker (the network boundary). Unset: outbound fetches go out for real. */
  outboundService?: (request: Request) => Response | Promise<Response>;
  /** Also run the DELIVERIES consumer (the worker's `queue` handler). Default false: queued deliveries just wait. */
  queueConsumer?: boolean;
  /** Listen port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** How long the EVENTS queue waits to fill a batch of 100 (wrangler.toml: 1 s; default here 0.05 s for tests). */
  eventsBatchTimeoutSeconds?: number;
  /** Print workerd logs (console.* of the worker) and requests. */
  verbose?: boolean;
  /** Also serve this worker's D1 over HTTP (`d1GatewayUrl` in the result), for another harness's `remoteD1`. */
  d1Gateway?: boolean;
  /**
   * Use another harness's D1 (its `d1GatewayUrl`, and its `db` for `query` / `seed`) instead of a local one, so this
   * worker runs in its own workerd process and shares only the database (support/d1-over-http.ts). No migrations
   * are applied: the other harness has them.
   */
  remoteD1?: { gatewayUrl: string; db: D1 };
};

export type SeededOrganization = { organizationId: number; slug: string };
export type SeededProject = {
  organizationId: number;
  projectId: number;
  slug: string;
  /** The ingest key = DSN public key. */
  publicKey: string;
  /** `http://<publicKey>@127.0.0.1:<port>/<projectId>`: give it to any Sentry SDK. */
  dsn: string;
};

export type WorkerHarness = {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  mf: Miniflare;
  db: D1;
  /** With `d1Gateway`: where this worker's D1 answers over HTTP. */
  d1GatewayUrl?: string;
  /** Rows of a read query on the worker's D1. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  seed: {
    organization(input?: { name?: string; slug?: string }): Promise<SeededOrganization>;
    project(input?: {
      organizationId?: number;
      slug?: string;
      name?: string;
      shortIdPrefix?: string;
      rateLimitPerMinute?: number;
      publicKey?: string;
    }): Promise<SeededProject>;
  };
  dispose(): Promise<void>;
};

let bundled: Promise<string> | undefined;

/** src/index.ts as one ES module (built once per process; the worker's own dependencies all run in workerd). */
export function bundleWorker(): Promise<string> {
  bundled ??= build({
    entryPoints: [path.join(ROOT, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  }).then((r) => r.outputFiles[0].text);
  return bundled;
}

/** The committed migrations, in order, each split into statements as drizzle-kit writes them. */
export async function readMigrationStatements(dir = path.join(ROOT, "migrations")): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const statements: string[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), "utf8");
    statements.push(...sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean));
  }
  return statements;
}

async function wranglerSettings(): Promise<{ compatibilityDate: string; compatibilityFlags: string[] }> {
  const toml = await readFile(path.join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? "2026-04-20";
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  return {
    compatibilityDate: date,
    compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]) : [],
  };
}

export async function startWorker(options: HarnessOptions = {}): Promise<WorkerHarness> {
  const [script, statements, settings] = await Promise.all([bundleWorker(), readMigrationStatements(), wranglerSettings()]);
  const remote = options.remoteD1;
  const worker = {
    name: "worker",
    modules: [{ type: "ESModule" as const, path: path.join(ROOT, "dist-harness/index.mjs"), contents: script }],
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    ...(remote ? { wrappedBindings: { DB: "remote-d1" } } : { d1Databases: { DB: "harness-db" } }),
    kvNamespaces: { CACHE: "harness-cache" },
    queueProducers: { DELIVERIES: { queueName: "teams-deliveries" }, EVENTS: { queueName: "teams-events" } },
    // Accepted events are always counted (as in production): the EVENTS consumer and its dead-letter queue run.
    queueConsumers: {
      "teams-events": { maxBatchSize: 100, maxBatchTimeout: options.eventsBatchTimeoutSeconds ?? 0.05, maxRetries: 5, deadLetterQueue: "teams-events-dlq" },
      "teams-events-dlq": { maxBatchSize: 100, maxBatchTimeout: 1 },
      ...(options.queueConsumer
        ? {
            "teams-deliveries": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "teams-deliveries-dlq" },
            "teams-deliveries-dlq": { maxBatchSize: 100, maxBatchTimeout: 5 },
          }
        : {}),
    },
    durableObjects: { OUTBOX: { className: "DeliveryOutbox", useSQLite: true }, INGEST_BUFFER: { className: "IngestBuffer", useSQLite: true } },
    bindings: { ...DEFAULT_BINDINGS, ...options.bindings },
    ...(options.outboundService ? { outboundService: options.outboundService as never } : {}),
  };
  const gateway = {
    name: "d1-gateway",
    modules: [{ type: "ESModule" as const, path: "d1-gateway.mjs", contents: D1_GATEWAY_SCRIPT }],
    compatibilityDate: settings.compatibilityDate,
    d1Databases: { DB: "harness-db" },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
  const remoteD1 = (gatewayUrl: string) => ({
    name: "remote-d1",
    modules: [{ type: "ESModule" as const, path: "remote-d1.mjs", contents: REMOTE_D1_SCRIPT }],
    serviceBindings: { GATEWAY: { external: { address: new URL(gatewayUrl).host, http: {} } } },
  });
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: options.port ?? 0,
    // The placeholder `request.cf`: never fetch the real one (offline).
    cf: false,
    logRequests: options.verbose ?? false,
    log: new Log(options.verbose ? LogLevel.INFO : LogLevel.WARN),
    workers: [worker, ...(options.d1Gateway ? [gateway] : []), ...(remote ? [remoteD1(remote.gatewayUrl)] : [])],
  });
  const url = (await mf.ready).origin;
  const d1GatewayUrl = options.d1Gateway ? (await mf.unsafeGetDirectURL("d1-gateway")).origin : undefined;
  const db = remote ? remote.db : await mf.getD1Database("DB");
  // One batch = one transaction: a broken migration leaves an empty database, not half a schema.
  if (!remote) await db.batch(statements.map((s) => db.prepare(s)));

  async function query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    const res = await db.prepare(sql).bind(...params).all<T>();
    return res.results;
  }

  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 7)}`;

  const seed: WorkerHarness["seed"] = {
    async organization(input = {}) {
      const slug = input.slug ?? unique("org");
      const row = await db
        .prepare("insert into organizations (name, slug, created_at) values (?, ?, ?) returning id")
        .bind(input.name ?? slug, slug, Date.now())
        .first<{ id: number }>();
      return { organizationId: row!.id, slug };
    },
    async project(input = {}) {
      const organizationId = input.organizationId ?? (await seed.organization()).organizationId;
      const slug = input.slug ?? unique("project");
      const publicKey = input.publicKey ?? crypto.randomUUID().replace(/-/g, "");
      const now = Date.now();
      const project = await db
        .prepare(
          `insert into projects (organization_id, slug, name, short_id_prefix, rate_limit_per_minute, created_at)
           values (?, ?, ?, ?, ?, ?) returning id`,
        )
        .bind(organizationId, slug, input.name ?? slug, input.shortIdPrefix ?? "PRJ", input.rateLimitPerMinute ?? 1000, now)
        .first<{ id: number }>();
      await db
        .prepare("insert into project_keys (project_id, public_key, label, created_at) values (?, ?, 'default', ?)")
        .bind(project!.id, publicKey, now)
        .run();
      const host = new URL(url).host;
      return { organizationId, projectId: project!.id, slug, publicKey, dsn: `http://${publicKey}@${host}/${project!.id}` };
    },
  };

  return { url, mf, db, d1GatewayUrl, query, seed, dispose: () => mf.dispose() };
}
