import { connectorFor, type ConnectorClient } from "../bot/connector-client";
import type { Db } from "../db/client";
import { getDb } from "../db/client";
import { publicBaseUrl, type Env } from "../env";

/** What every conversation handler gets: storage, clock, links, the Connector, and a way to work after answering. */
export type BotContext = {
  env: Env;
  db: Db;
  now: () => number;
  baseUrl: string;
  connector: (serviceUrl: string) => ConnectorClient;
  /** Runs work after the HTTP answer (ctx.waitUntil); failures are logged, never thrown at the caller. */
  defer: (label: string, work: () => Promise<unknown>) => void;
};

export function botContext(env: Env, waitUntil: ((p: Promise<unknown>) => void) | null, requestUrl?: string): BotContext {
  return {
    env,
    db: getDb(env.DB),
    now: Date.now,
    baseUrl: publicBaseUrl(env, requestUrl),
    connector: (serviceUrl) => connectorFor(env, serviceUrl),
    defer: (label, work) => {
      const p = work().catch((err) => console.error(`deferred ${label} failed:`, err instanceof Error ? `${err.name}: ${err.message}` : "unknown"));
      if (waitUntil) waitUntil(p);
    },
  };
}
