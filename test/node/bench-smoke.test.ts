/**
 * The bench must not rot: `npm run bench:smoke` runs every part of the performance suite at a small size and
 * must finish and produce figures. No performance threshold is asserted here (bench/RESULTS.md has those).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");

type Figures = {
  inbound: { results: { side: string; kind: string; connections: number; rps: number; total: number; unexpected: number; puts: number }[] };
  token: { rounds: { coldTokenRequests: number; cold: { failed: number } }[] };
  cpu: { inWorkerd: { name: string; cpuMs: number; bad: number }[]; d1QueryMs: number; micro: Record<string, number> };
  bundle: { gzip: number; ours: { p50: number }; base: { p50: number } };
  ingest: { health: { perSecond: number }; existing: { perSecond: number; errors: number }; fresh: { perSecond: number; errors: number }; withRules: { perSecond: number; errors: number }; latency: { n: number; p50: number } };
};

const positive = (x: number) => Number.isFinite(x) && x > 0;

describe("bench smoke", () => {
  it("runs every part of the suite in bounded time and produces figures", { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "bench-smoke-"));
    try {
      const json = path.join(dir, "figures.json");
      const { stdout } = await run(process.execPath, ["bench/smoke.mjs", "--json", json], {
        cwd: ROOT,
        timeout: 170_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      });
      expect(stdout).toContain("## 1–2. Inbound");
      const f = JSON.parse(await readFile(json, "utf8")) as Figures;

      // Every inbound scenario ran, on both sides, and answered as expected (2xx only).
      for (const side of ["ours", "botbuilder"]) for (const kind of ["noop", "card"]) expect(f.inbound.results.some((r) => r.side === side && r.kind === kind)).toBe(true);
      for (const r of f.inbound.results) {
        expect(positive(r.rps), `${r.side} ${r.kind}`).toBe(true);
        expect(r.unexpected, `${r.side} ${r.kind} ×${r.connections}`).toBe(0);
      }
      // Our card clicks really changed issues and updated the card (one PUT each), not refusals. autocannon's total
      // leaves out the requests in flight when it stops, so up to one more per connection may have been served.
      for (const r of f.inbound.results.filter((x) => x.side === "ours" && x.kind === "card")) {
        expect(r.puts).toBeGreaterThanOrEqual(r.total);
        expect(r.puts).toBeLessThanOrEqual(r.total + r.connections);
      }

      expect(f.token.rounds.every((r) => r.cold.failed === 0)).toBe(true);
      expect(f.token.rounds.every((r) => Number.isInteger(r.coldTokenRequests) && r.coldTokenRequests >= 1)).toBe(true);

      expect(f.cpu.inWorkerd.every((x) => positive(x.cpuMs) && x.bad === 0)).toBe(true);
      expect(positive(f.cpu.d1QueryMs)).toBe(true);
      expect(Object.values(f.cpu.micro).every(positive)).toBe(true);

      expect(positive(f.bundle.gzip) && positive(f.bundle.ours.p50) && positive(f.bundle.base.p50)).toBe(true);

      for (const x of [f.ingest.existing, f.ingest.fresh, f.ingest.withRules]) {
        expect(positive(x.perSecond)).toBe(true);
        expect(x.errors).toBe(0);
      }
      expect(f.ingest.latency.n).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
