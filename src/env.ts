/** Bindings and configuration of the worker. Every name here is in the README's configuration table. */
export type Env = {
  DB: D1Database;
  CACHE: KVNamespace;
  DELIVERIES: Queue<unknown>;
  /** One outbox per Teams conversation: sends its deliveries in order, paced (src/alerts/delivery-outbox.ts). */
  OUTBOX: DurableObjectNamespace<import("./alerts/delivery-outbox").DeliveryOutbox>;
  /** Accepted events on their way to D1 (src/ingest/consumer.ts); its dead-letter queue is `teams-events-dlq`. */
  EVENTS: Queue<unknown>;
  /** One ingest buffer per project: coalesces EVENTS batches into one D1 flush per interval (src/ingest/ingest-buffer.ts). */
  INGEST_BUFFER: DurableObjectNamespace<import("./ingest/ingest-buffer").IngestBuffer>;
  /** A project's ingest buffer flushes to D1 at most once per this many ms (default 2000; 10–60000). */
  INGEST_FLUSH_INTERVAL_MS?: string;
  /** Bearer token for /api/admin (secret). */
  ADMIN_TOKEN?: string;
  /** Base URL for links in cards and pages, e.g. https://alerts.example.workers.dev */
  PUBLIC_BASE_URL?: string;
  MICROSOFT_APP_ID?: string;
  MICROSOFT_APP_PASSWORD?: string;
  MICROSOFT_APP_TENANT_ID?: string;
  BOT_OPENID_METADATA_URL?: string;
  BOT_TOKEN_URL?: string;
  /**
   * OpenID metadata of the web sign-in authority (Microsoft identity platform v2.0). Default: the `organizations`
   * endpoint, or the tenant's own when MICROSOFT_APP_TENANT_ID is set.
   */
  SIGN_IN_METADATA_URL?: string;
  /** HMAC-SHA256 key for signed setup / link / unlink URLs (secret). */
  LINK_SIGNING_SECRET?: string;
};

/** The Hono environment of every route: the bindings above. */
export type AppEnv = { Bindings: Env };

export const DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration";

/** Base URL for links, without a trailing slash. Falls back to the request's origin. */
export function publicBaseUrl(env: Env, requestUrl?: string): string {
  const base = env.PUBLIC_BASE_URL?.trim() || (requestUrl ? new URL(requestUrl).origin : "http://127.0.0.1:8787");
  return base.replace(/\/+$/, "");
}
