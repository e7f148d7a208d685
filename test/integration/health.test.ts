import { afterEach, describe, expect, it, vi } from "vitest";
import { workerFetch } from "../support/worker";

describe("health", () => {
  afterEach(() => vi.restoreAllMocks());

  it("GET /health answers 200 {ok:true} as JSON, with no token and without calling anything outside", async () => {
    const outbound = vi.spyOn(globalThis, "fetch");
    const res = await workerFetch("https://alerts.test/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ok: true });
    expect(outbound).not.toHaveBeenCalled();
  });

  it("only GET: another method is the JSON 404 of any unknown route", async () => {
    const res = await workerFetch("https://alerts.test/health", { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "No such route." } });
  });
});
