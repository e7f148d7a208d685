import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { workerFetch } from "../support/worker";

const URL_ORGS = "http://alerts.test/api/admin/organizations";

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await workerFetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe("admin token", () => {
  it("accepts the configured token", async () => {
    const res = await get(URL_ORGS, { authorization: `Bearer ${env.ADMIN_TOKEN}` });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
  });

  it("answers 401 missing_token without an Authorization header, with a Bearer challenge", async () => {
    const res = await get(URL_ORGS);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("missing_token");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it.each([
    ["Basic scheme", `Basic ${btoa(`admin:${"test-admin-token"}`)}`],
    ["lower-case scheme", `bearer ${"test-admin-token"}`],
    ["empty bearer", "Bearer "],
    ["two tokens", `Bearer ${"test-admin-token"} extra`],
  ])("answers 401 missing_token for a malformed header (%s)", async (_name, header) => {
    const res = await get(URL_ORGS, { authorization: header });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("missing_token");
  });

  it.each([
    ["wrong token", "Bearer not-the-token"],
    ["prefix of the token", `Bearer ${env.ADMIN_TOKEN!.slice(0, -1)}`],
    ["token plus a character", `Bearer ${env.ADMIN_TOKEN}x`],
    ["different case", `Bearer ${env.ADMIN_TOKEN!.toUpperCase()}`],
  ])("answers 401 invalid_token for a %s, without echoing it", async (_name, header) => {
    const res = await get(URL_ORGS, { authorization: header });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
    expect(JSON.stringify(res.body)).not.toContain(header.slice("Bearer ".length));
  });

  it("guards every admin path, including unknown ones, before routing", async () => {
    for (const path of ["/users", "/organizations/1", "/projects/1/releases", "/teams/1/members", "/no-such-route"]) {
      const res = await get(`http://alerts.test/api/admin${path}`);
      expect(res.status, path).toBe(401);
    }
    const unknown = await get("http://alerts.test/api/admin/no-such-route", { authorization: `Bearer ${env.ADMIN_TOKEN}` });
    expect(unknown.status).toBe(404);
  });

  it("refuses writes without the token and writes nothing", async () => {
    const res = await workerFetch(URL_ORGS, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer nope" },
      body: JSON.stringify({ name: "Sneaky" }),
    });
    expect(res.status).toBe(401);
    const row = await env.DB.prepare("select count(*) as n from organizations where name = 'Sneaky'").first();
    expect(row).toEqual({ n: 0 });
  });

  it.each([undefined, "", "   "])("answers 503 not_configured when ADMIN_TOKEN is %j, saying how to set it", async (value) => {
    const res = await app.fetch(
      new Request(URL_ORGS, { headers: { authorization: `Bearer ${value ?? ""}` } }),
      { ...env, ADMIN_TOKEN: value },
    );
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("not_configured");
    expect(body.error.message).toContain("ADMIN_TOKEN");
    expect(body.error.message).toContain("wrangler secret put ADMIN_TOKEN");
  });
});
