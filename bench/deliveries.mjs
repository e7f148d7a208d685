#!/usr/bin/env node
/**
 * `npm run bench:deliveries` (issue 14): deliveries under a burst, on the real worker (Miniflare/workerd, local D1,
 * the DELIVERIES queue and the conversation outboxes) against the HTTP stand-in Connector, which enforces Teams'
 * per-conversation limits (a send over them is answered 429, as Teams does).
 *
 *  - Burst drain: N new issues (default 100) ingested as fast as one client can, one rule posting each to one
 *    channel. Time from the first event to the last card accepted, against the pacing floor: the earliest the
 *    last of N cards can be accepted under Teams' limits (7 per 1 s, 8 per 2 s, 60 per 30 s) with zero latency.
 *  - Card-update latency during that backlog: the first issue is resolved / unresolved through the admin API
 *    several times while new cards are still waiting; time from the API answer to the card's PUT at the Connector.
 *    Baseline: the same changes on a quiet conversation, in the same run.
 *
 * Writes bench/results/deliveries.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fmt, ROOT, summarize, table } from "./lib/common.mjs";
import { startStandIn, TEAMS_LIMITS } from "./lib/standin.mjs";
import { APP_ID, startWorld } from "./lib/world.mjs";

const N = Number(process.env.BENCH_BURST ?? 100);
const UPDATES = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** When the n-th of n sends (sent as early as allowed, none lost) is accepted under Teams' limits. */
function pacingFloorMs(n) {
  const times = [];
  let t = 0;
  while (times.length < n) {
    const over = TEAMS_LIMITS.map((w) => {
      const inWindow = times.filter((x) => x > t - w.ms);
      return inWindow.length >= w.max ? inWindow[inWindow.length - w.max] + w.ms : null;
    }).filter((x) => x !== null);
    if (over.length) t = Math.max(...over);
    else times.push(t);
  }
  return times[n - 1];
}

const ms = await startStandIn({ appId: APP_ID, enforceTeamsLimits: true });
const world = await startWorld(ms, { issues: 0, rules: 1, queueConsumer: true });
const base = world.worker.url;
const ingestUrl = `${base}/api/projects/${world.project.projectId}/events`;
const ingestHeaders = { authorization: `Bearer ${world.project.publicKey}`, "content-type": "application/json" };
const admin = (p, init = {}) =>
  fetch(`${base}/api/admin${p}`, { ...init, headers: { authorization: "Bearer test-admin-token", "content-type": "application/json", ...init.headers } });

/** Sends an event; its issue id once the EVENTS consumer counted it (ingest answers with the event id only). */
const ingest = async (tag) => {
  const res = await fetch(ingestUrl, { method: "POST", headers: ingestHeaders, body: JSON.stringify({ message: `TimeoutError ${tag}`, level: "error", fingerprint: [tag] }) });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`ingest: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
};
const issueOf = async (eventId) => {
  for (let i = 0; i < 200; i++) {
    const [row] = await world.worker.query("select issue_id as issueId from event_ids where id = ?", eventId);
    if (row) return row.issueId;
    await sleep(50);
  }
  throw new Error(`event ${eventId} was not counted`);
};

// One Connector observer: accepted card POSTs are timed; a waiter is told of the next PUT (a card update).
const accepted = [];
let putWaiter = null;
ms.onConnector = (method) => {
  if (method === "POST") accepted.push(performance.now());
  if (method === "PUT" && putWaiter) putWaiter(performance.now());
};

/** Changes the issue through the admin API; ms from the API's answer to the card's PUT at the Connector. */
async function updateLatency(issueId, resolve) {
  const arrived = new Promise((r) => (putWaiter = r));
  const res = await admin(`/issues/${issueId}`, { method: "PUT", body: JSON.stringify({ status: resolve ? "resolved" : "unresolved" }) });
  const answeredAt = performance.now();
  if (res.status !== 200) throw new Error(`admin PUT: ${res.status}`);
  const at = await Promise.race([arrived, sleep(60_000).then(() => null)]);
  putWaiter = null;
  return at === null ? 60_000 : at - answeredAt;
}

try {
  // Quiet conversation: one card, then update latency with nothing waiting.
  const quietIssue = await issueOf(await ingest("bench-quiet"));
  for (let i = 0; i < 100 && accepted.length < 1; i++) await sleep(100);
  await sleep(2_500); // let the pacing windows of that post pass
  const quiet = [];
  for (let i = 0; i < UPDATES; i++) {
    quiet.push(await updateLatency(quietIssue, i % 2 === 0));
    await sleep(2_100);
  }

  // The burst.
  ms.resetCounts();
  accepted.length = 0;
  const t0 = performance.now();
  const firstEvent = await ingest("bench-burst-0");
  for (let i = 1; i < N; i++) await ingest(`bench-burst-${i}`);
  const ingestedAt = performance.now();
  const firstIssue = await issueOf(firstEvent);
  // Updates of the first card while new cards are still waiting.
  while (accepted.length < Math.min(N - 10, 20)) await sleep(50);
  const during = [];
  for (let i = 0; i < UPDATES; i++) {
    const waitingBehind = N - accepted.length;
    during.push({ ms: await updateLatency(firstIssue, i % 2 === 0), waitingBehind });
    await sleep(2_100);
  }
  for (let i = 0; i < 1200 && accepted.length < N; i++) await sleep(100);
  const drainMs = accepted.length >= N ? accepted[N - 1] - t0 : null;
  const [{ n: pending }] = await world.worker.query("select count(*) as n from deliveries where status in ('queued','retrying')");
  const [{ n: dead }] = await world.worker.query("select count(*) as n from deliveries where status = 'dead'");
  const floor = pacingFloorMs(N);
  const q = summarize(quiet);
  const d = summarize(during.map((x) => x.ms));
  const lines = [
    `# Deliveries under a burst (issue 14)`,
    "",
    `Run ${new Date().toISOString().slice(0, 10)}, \`npm run bench:deliveries\`, ${N} new issues, one rule to one channel, stand-in Connector enforcing Teams' limits.`,
    "",
    ...table(
      ["measure", "value"],
      [
        ["events ingested in", `${fmt.ms(ingestedAt - t0)} ms`],
        ["cards accepted by the Connector", `${accepted.length} of ${N}`],
        ["429s from the Connector (Teams' limits)", String(ms.counts.throttled)],
        ["deliveries left queued/retrying; dead", `${pending}; ${dead}`],
        ["burst drain (first event → last card)", drainMs === null ? "did not finish" : `${fmt.ms(drainMs)} ms`],
        ["pacing floor for the same cards", `${fmt.ms(floor)} ms`],
        ["drain ÷ floor", drainMs === null ? "—" : fmt.ratio(drainMs, floor)],
        ["card update, quiet conversation: p50 / max", `${fmt.ms(q.p50)} / ${fmt.ms(q.max)} ms`],
        ["card update behind the backlog: p50 / max", `${fmt.ms(d.p50)} / ${fmt.ms(d.max)} ms`],
        ["backlog ÷ quiet (p50)", fmt.ratio(d.p50, q.p50)],
        ["new cards still waiting at each update", during.map((x) => x.waitingBehind).join(", ")],
      ],
    ),
    "",
  ];
  const md = lines.join("\n");
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/deliveries.md"), md);
  console.log(md);
} finally {
  await world.worker.dispose();
  await ms.close();
}
