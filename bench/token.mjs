#!/usr/bin/env node
/**
 * The bot's outbound token under a burst: 1,000 concurrent Connector sends from a cold cache (src/bot/
 * connector-client.ts + token-client.ts, bundled for Node, no KV) against the HTTP stand-in, whose token
 * endpoint answers after `tokenDelayMs` so every send arrives while the exchange is in flight.
 * Target: exactly 1 token request. Baseline: the same 1,000 sends with the token already cached (same run).
 */
import { pathToFileURL } from "node:url";
import { fmt, importTsModules, table } from "./lib/common.mjs";
import { startStandIn } from "./lib/standin.mjs";
import { APP_ID } from "./lib/world.mjs";

export async function runToken({ sends = 1000, tokenDelayMs = 100, rounds = 3 } = {}) {
  const ms = await startStandIn({ appId: APP_ID, tokenDelayMs });
  const { connectorFor, clearBotTokenCache } = await importTsModules(["src/bot/connector-client.ts", "src/bot/token-client.ts"], "bench-token");
  const env = { MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: "test-app-password", BOT_TOKEN_URL: ms.tokenUrl };
  const burst = async () => {
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: sends }, (_, i) =>
        connectorFor(env, ms.serviceUrl, { kv: null }).sendToConversation(`19:burst-${i % 20}@thread.tacv2`, { type: "message", text: `send ${i}` }),
      ),
    );
    return { ms: performance.now() - t0, failed: results.filter((r) => r.status === "rejected").length };
  };
  const out = [];
  try {
    for (let r = 0; r < rounds; r++) {
      clearBotTokenCache(); // a cold isolate
      const before = ms.counts.token;
      const cold = await burst();
      const coldTokenRequests = ms.counts.token - before;
      const warm = await burst();
      out.push({ cold, warm, coldTokenRequests, warmTokenRequests: ms.counts.token - before - coldTokenRequests });
    }
  } finally {
    await ms.close();
  }
  return { sends, tokenDelayMs, rounds: out, connectorPosts: ms.counts.connector.POST ?? 0 };
}

export function tokenMarkdown(r) {
  return [
    `${r.sends} concurrent \`sendToConversation\` calls, each with its own ConnectorClient (as the queue consumer makes them),`,
    `token endpoint answering after ${r.tokenDelayMs} ms. Target: exactly 1 token request per cold burst.`,
    "",
    ...table(
      ["round", "token requests (cold burst)", "cold burst ms", "warm burst ms (baseline)", "cold / warm", "token requests (warm)", "failed sends"],
      r.rounds.map((x, i) => [i + 1, x.coldTokenRequests, fmt.n(x.cold.ms), fmt.n(x.warm.ms), fmt.ratio(x.cold.ms, x.warm.ms), x.warmTokenRequests, x.cold.failed + x.warm.failed]),
    ),
    "",
    `Connector POSTs recorded by the stand-in: ${fmt.n(r.connectorPosts)}.`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runToken();
  console.log(tokenMarkdown(r).join("\n"));
}
