/**
 * The storm bench must not rot (bench/storm.mjs, bench/RESULTS.md §7): a small storm in both topologies — one
 * workerd process, and storm and clicks in two processes sharing one D1 over test/node/support/d1-over-http.ts —
 * must count every accepted event exactly once, post one card per issue, and measure clicks. No performance
 * threshold is asserted here.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const EVENTS = 400;
const ISSUES = 5;

type Summary = { n: number; p50: number | null };
type Topology = {
  name: string;
  accepted: number;
  refused: Record<string, number>;
  total: number;
  posts: number;
  d1: { statements: number; flushes: number; events: number } | null;
  leases: number;
  quietCardMs: number | null;
  quietClicks: Summary & { errors: number };
  healthClicks: Summary;
  stormClicks: Summary;
};

describe("storm bench smoke", () => {
  it("runs both topologies and counts every accepted event once", { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "storm-smoke-"));
    try {
      const out = path.join(dir, "storm.md");
      await run(process.execPath, ["bench/storm.mjs"], {
        cwd: ROOT,
        timeout: 230_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          STORM_EVENTS: String(EVENTS),
          STORM_ISSUES: String(ISSUES),
          STORM_CONNECTIONS: "10",
          STORM_CLICK_SECONDS: "1",
          STORM_HEALTH_REQUESTS: "200",
          STORM_OUT: out,
        },
      });
      expect(await readFile(out, "utf8")).toContain("click p50 during the event storm");
      const results = JSON.parse(await readFile(`${out}.json`, "utf8")) as Topology[];
      expect(results.map((r) => r.name.split(":")[0])).toEqual(["one process", "split"]);
      for (const r of results) {
        const refused = Object.values(r.refused).reduce((a, b) => a + b, 0);
        expect(r.accepted + refused, r.name).toBe(EVENTS);
        expect(r.accepted, r.name).toBeGreaterThan(0);
        // Exact: the storm's issues count every accepted event once, through the remote D1 too.
        expect(r.total, r.name).toBe(r.accepted);
        expect(r.posts, r.name).toBe(ISSUES);
        expect(r.d1!.flushes, r.name).toBeGreaterThanOrEqual(1);
        expect(r.d1!.events, r.name).toBe(r.accepted);
        // Every accepted event was covered by a lease of 100 (the quiet event's lease, taken before, may cover 99).
        expect(r.leases * 100 + 99, r.name).toBeGreaterThanOrEqual(r.accepted);
        expect(r.quietCardMs, r.name).not.toBeNull();
        expect(r.quietClicks.errors, r.name).toBe(0);
        for (const s of [r.quietClicks, r.healthClicks, r.stormClicks]) expect(s.n, r.name).toBeGreaterThan(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
