import { workerFetch } from "../support/worker";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("health", () => {
  it("answers", async () => {
    const res = await workerFetch("http://x/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const t = await env.DB.prepare("select count(*) as n from organizations").first();
    expect(t).toEqual({ n: 0 });
  });
});
