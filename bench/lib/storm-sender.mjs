#!/usr/bin/env node
/**
 * The storm's senders, run by bench/storm.mjs as a process of their own: an SDK fleet is not the Teams client
 * whose clicks are measured, so 50 saturating senders do not share the clicks' event loop. Argument: one JSON
 * object `{ url, key, bodies, events, connections }`; every sender POSTs the next body (round robin) until
 * `events` are sent, or GETs `url` when there are no bodies (the /health storm). Prints `{ latencies, refused,
 * seconds }` as JSON (latencies of 200 answers, in ms).
 */
const { url, key, bodies = [], events, connections } = JSON.parse(process.argv[2]);
const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
let sent = 0;
const latencies = [];
const refused = {};
async function sender() {
  for (;;) {
    const n = sent++;
    if (n >= events) return;
    const t0 = performance.now();
    try {
      const res = bodies.length ? await fetch(url, { method: "POST", headers, body: bodies[n % bodies.length] }) : await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - t0);
      else refused[res.status] = (refused[res.status] ?? 0) + 1;
    } catch {
      // Not accepted (the connection closed under load): an SDK would send it again; counted, not retried here.
      refused["network error"] = (refused["network error"] ?? 0) + 1;
    }
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: connections }, sender));
process.stdout.write(JSON.stringify({ latencies, refused, seconds: (performance.now() - started) / 1000 }));
