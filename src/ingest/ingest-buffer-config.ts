/** The ingest buffer's configuration (src/ingest/ingest-buffer.ts), read once from the environment. */
import type { Env } from "../env";

export type IngestBufferConfig = {
  /** A project's buffer flushes to D1 at most once per this many ms (INGEST_FLUSH_INTERVAL_MS, default 2,000). */
  flushIntervalMs: number;
};

export const DEFAULT_FLUSH_INTERVAL_MS = 2_000;

export function ingestBufferConfig(env: Env): IngestBufferConfig {
  const raw = Number(env.INGEST_FLUSH_INTERVAL_MS);
  // Between 10 ms and 60 s; anything else (unset, not a number) is the default.
  const flushIntervalMs = Number.isFinite(raw) && raw >= 10 && raw <= 60_000 ? raw : DEFAULT_FLUSH_INTERVAL_MS;
  return { flushIntervalMs };
}
