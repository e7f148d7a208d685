#!/usr/bin/env node
/**
 * Inbound, side by side: our worker (Miniflare/workerd + local D1, HTTP on 127.0.0.1) and botbuilder-js
 * (CloudAdapter on Node's http server), both against the same HTTP stand-in for Microsoft, loaded by autocannon
 * at 1, 10 and 50 connections:
 *   - GET /health on our worker: the baseline of the run.
 *   - a signed no-op activity (typing, no id): verify → parse → ignore.
 *   - a signed card click (Action.Submit "Resolve"/"Unresolve" cycling over seeded issues, fresh activity id each):
 *     ours verify → dedup insert → D1 reads → guarded change (D1 write) → card data → card → answer, then PUT of
 *     the card to the stand-in Connector (waitUntil); botbuilder verify → PUT of the same card (captured from
 *     our worker's first PUT) → answer, with no storage at all.
 *
 *   node bench/inbound.mjs            (BENCH_SECONDS per scenario, default 5)
 */
import { pathToFileURL } from "node:url";
import { startBotbuilder } from "./botbuilder-baseline.mjs";
import { cannon, fmt, table } from "./lib/common.mjs";
import { startStandIn } from "./lib/standin.mjs";
import { APP_ID, cardActionCycler, noOpActivity, startWorld } from "./lib/world.mjs";

export async function runInbound({ seconds = 5, connections = [1, 10, 50], issues = 3000, warmup = true } = {}) {
  const ms = await startStandIn({ appId: APP_ID });
  const world = await startWorld(ms, { issues });
  const token = await ms.signToken();
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const nextClick = cardActionCycler(ms.serviceUrl, world.issueIds, world.integrationId);

  // Capture the card our worker PUTs, so botbuilder replies with exactly the same JSON.
  let captured = null;
  ms.onConnector = (method, _path, body) => {
    if (method === "PUT" && !captured) captured = JSON.parse(body);
  };
  const first = await fetch(`${world.worker.url}/api/messages`, { method: "POST", headers, body: nextClick() });
  if (first.status !== 200) throw new Error(`card click answered ${first.status}: ${await first.text()}`);
  for (let i = 0; i < 50 && !captured; i++) await new Promise((r) => setTimeout(r, 20));
  if (!captured) throw new Error("our worker sent no card update to the stand-in Connector");
  ms.onConnector = null;
  const { id: _id, ...cardMessage } = captured;
  const bb = await startBotbuilder(ms, cardMessage);

  const post = (base, body) => ({
    url: `${base}/api/messages`,
    method: "POST",
    headers,
    ...(typeof body === "function"
      ? { requests: [{ method: "POST", path: "/api/messages", setupRequest: (req) => ({ ...req, body: body() }) }] }
      : { body }),
  });
  const noop = noOpActivity(ms.serviceUrl);
  const scenarios = [
    { name: "ours: GET /health (baseline)", side: "ours", kind: "health", req: { url: `${world.worker.url}/health` } },
    { name: "ours: signed no-op activity", side: "ours", kind: "noop", req: post(world.worker.url, noop) },
    { name: "botbuilder: signed no-op activity", side: "botbuilder", kind: "noop", req: post(bb.url, noop) },
    { name: "ours: signed card action", side: "ours", kind: "card", req: post(world.worker.url, nextClick) },
    // Its own cycler: our worker's issues must alternate resolve/unresolve exactly, or clicks turn into refusals.
    { name: "botbuilder: signed card action", side: "botbuilder", kind: "card", req: post(bb.url, cardActionCycler(ms.serviceUrl, world.issueIds, world.integrationId)) },
  ];
  const results = [];
  try {
    // Warm-up: JIT, key caches, bot token, connection pools.
    if (warmup) for (const s of scenarios) await cannon({ ...s.req, connections: 10, seconds: 1 });
    for (const c of connections) {
      for (const s of scenarios) {
        const putsBefore = ms.counts.connector.PUT ?? 0;
        const r = await cannon({ ...s.req, connections: c, seconds });
        // Let deferred PUTs land before counting (autocannon's total leaves out requests still in flight at the end).
        for (let i = 0; i < 30 && s.kind === "card" && (ms.counts.connector.PUT ?? 0) - putsBefore < r.total; i++) await new Promise((res) => setTimeout(res, 100));
        await new Promise((res) => setTimeout(res, 100));
        results.push({ ...s, req: undefined, ...r, puts: (ms.counts.connector.PUT ?? 0) - putsBefore });
        console.log(`${s.name.padEnd(36)} ×${String(c).padEnd(3)} ${fmt.n(r.rps).padStart(7)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  unexpected ${r.unexpected}`);
      }
    }
  } finally {
    await bb.close();
    await world.worker.dispose();
    await ms.close();
  }
  const counts = structuredClone(ms.counts);
  return { results, counts, cardBytes: Buffer.byteLength(JSON.stringify(cardMessage)), seconds, connections, warmup };
}

export function inboundMarkdown(r) {
  const find = (side, kind, c) => r.results.find((x) => x.side === side && x.kind === kind && x.connections === c);
  const rows = r.results.map((x) => {
    const health = find("ours", "health", x.connections);
    return [x.name, x.connections, fmt.n(x.rps), fmt.ratio(x.rps, health.rps), x.p50, x.p99, x.kind === "card" ? `${fmt.n(x.puts)} of ${fmt.n(x.total)}` : "", x.unexpected];
  });
  const ratioRows = [];
  for (const c of r.connections) {
    for (const kind of ["noop", "card"]) {
      const ours = find("ours", kind, c);
      const bb = find("botbuilder", kind, c);
      const health = find("ours", "health", c);
      const verdict = ours.rps >= 3 * bb.rps && ours.p99 <= bb.p99 ? "met" : "not met";
      ratioRows.push([
        kind === "noop" ? "no-op activity" : "card action",
        c,
        fmt.ratio(ours.rps, bb.rps),
        fmt.ratio(health.rps, bb.rps),
        `${ours.p99} / ${bb.p99}`,
        verdict,
      ]);
    }
  }
  return [
    `autocannon, ${r.seconds} s per scenario and connection count${r.warmup ? ", after a 1 s warm-up of each" : ""}; client, worker,`,
    "botbuilder and the stand-in share the same cores. Latencies in ms (autocannon's integer-ms histogram).",
    "",
    ...table(["scenario", "connections", "requests/s", "× /health", "p50", "p99", "card PUTs of requests", "non-2xx/errors"], rows),
    "",
    "Ours / botbuilder (target: ≥ 3× throughput at equal or better p99). The ceiling column is our own `GET /health`",
    "(a route that does nothing) over botbuilder's figure: no handler of ours can do better than that in this harness, where",
    "the load generator, workerd and botbuilder share two cores.",
    "",
    ...table(["activity", "connections", "throughput ours/botbuilder", "ceiling: /health ÷ botbuilder", "p99 ours / botbuilder (ms)", "target"], ratioRows),
    "",
    `Same card on both sides: ${fmt.n(r.cardBytes)} bytes of JSON (our worker's PUT, captured and replayed by botbuilder).`,
    "Our worker answers Teams first and PUTs the card in `waitUntil`; botbuilder PUTs inside the turn, before answering.",
    "botbuilder does no storage (no dedup, no issue write); ours does every D1 read and write of the real path.",
    "Every request carries the same token, as the Connector's do (it reuses one for up to an hour): our worker checks its",
    "signature once and then only its time claims, key and binding; botbuilder verifies the signature every time. §4 has",
    "our CPU with a new token on every request.",
    `Stand-in traffic during the whole comparison: ${r.counts.metadata} metadata, ${r.counts.jwks} JWKS, ${r.counts.token} token requests, ` +
      `Connector ${Object.entries(r.counts.connector).map(([m, n]) => `${m} ${n}`).join(", ")}.`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runInbound({ seconds: Number(process.env.BENCH_SECONDS ?? 5) });
  console.log(`\n${inboundMarkdown(r).join("\n")}`);
}
