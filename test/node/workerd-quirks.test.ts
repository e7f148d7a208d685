/**
 * Behaviour of the runtime in front of our code, pinned so a change upstream shows (docs/reliability.md, "wrangler
 * and workerd quirks"). Raw HTTP over a socket against the real worker in Miniflare's workerd.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHarness } from "./support/worker-harness";

let worker: WorkerHarness;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(async () => {
  await worker?.dispose();
});

/** Writes `request` on a fresh connection and collects everything until the server closes it. */
function rawExchange(request: string): Promise<string> {
  const { hostname, port } = new URL(worker.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let out = "";
    socket.on("data", (d) => (out += d.toString("latin1")));
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer in 10 s")));
  });
}

describe("workerd quirks (not ours)", () => {
  it("an absolute-form request target gets workerd's own plain-text 500, before the worker runs", async () => {
    const { port } = new URL(worker.url);
    const answer = await rawExchange(`GET http://127.0.0.1:${port}/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 500 /);
    // Our app answers every error as JSON {error:{code,message}}; this body is workerd's, so no route ran.
    expect(answer).toMatch(/\r\n\r\nInternal Server Error$/);
    expect(answer).not.toContain('"error"');
    // The origin-form of the same request is fine.
    const ok = await rawExchange(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(ok).toMatch(/^HTTP\/1\.1 200 /);
  });
});
