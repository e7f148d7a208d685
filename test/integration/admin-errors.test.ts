import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { insertProjectWithKey } from "../../src/db/projects";
import { isUniqueViolation } from "../../src/db/unique-violation";
import { workerFetch } from "../support/worker";
import { ADMIN, admin, createOrg, createUser, dumpTables, ok } from "./admin-helpers";

/** Every write route, with a body that would otherwise be valid (ids filled in by `setup`). */
async function writeRoutes() {
  const org = await createOrg();
  const user = await createUser();
  const member = await createUser();
  await ok("POST", `/organizations/${org.id}/members`, { userId: member.id, role: "member" });
  const team = await ok("POST", `/organizations/${org.id}/teams`, { slug: "t", name: "T" });
  const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "p" });
  return [
    ["POST", "/organizations"],
    ["PATCH", `/organizations/${org.id}`],
    ["POST", `/organizations/${org.id}/members`],
    ["PATCH", `/organizations/${org.id}/members/${member.id}`],
    ["POST", "/users"],
    ["PATCH", `/users/${user.id}`],
    ["POST", `/users/${user.id}/tokens`],
    ["POST", `/organizations/${org.id}/teams`],
    ["POST", `/teams/${team.id}/members`],
    ["POST", `/organizations/${org.id}/projects`],
    ["POST", `/projects/${project.id}/keys`],
    ["POST", `/projects/${project.id}/releases`],
  ] as const;
}

describe("admin request bodies", () => {
  it("malformed JSON, non-object JSON and invalid UTF-8 are 400 malformed_body on every write route; nothing written", async () => {
    const routes = await writeRoutes();
    const before = await dumpTables();
    for (const [method, path] of routes) {
      for (const body of ["{", "not json", "[1,2]", "null", '"str"', "42"]) {
        const res = await admin(method, path, body);
        expect(res.status, `${method} ${path} ${body}`).toBe(400);
        expect(res.json.error.code).toBe("malformed_body");
      }
      const res = await workerFetch(`http://alerts.test/api/admin${path}`, {
        method,
        headers: { authorization: ADMIN, "content-type": "application/json" },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      });
      expect(res.status, `${method} ${path} bad utf-8`).toBe(400);
    }
    expect(await dumpTables()).toEqual(before);
  });

  it("bodies over 64 KB are 413, by Content-Length or by streamed size; nothing written", async () => {
    const routes = await writeRoutes();
    const before = await dumpTables();
    const big = JSON.stringify({ name: "x".repeat(70 * 1024) });
    for (const [method, path] of routes) {
      const declared = await admin(method, path, big);
      expect(declared.status, `${method} ${path}`).toBe(413);
      expect(declared.json.error.code).toBe("payload_too_large");

      // No Content-Length: a stream, so only the real size can tell.
      const bytes = new TextEncoder().encode(big);
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          for (let i = 0; i < bytes.length; i += 8192) ctrl.enqueue(bytes.slice(i, i + 8192));
          ctrl.close();
        },
      });
      const streamed = await workerFetch(
        new Request(`http://alerts.test/api/admin${path}`, {
          method,
          headers: { authorization: ADMIN, "content-type": "application/json" },
          body: stream,
          // @ts-expect-error duplex is required by some runtimes for streamed bodies
          duplex: "half",
        }),
      );
      expect(streamed.status, `${method} ${path} streamed`).toBe(413);
    }
    expect(await dumpTables()).toEqual(before);
  });

  it("errors are JSON {error:{code,message}}", async () => {
    const res = await admin("GET", "/organizations/999999");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(res.json)).toEqual(["error"]);
    expect(Object.keys(res.json.error).sort()).toEqual(["code", "message"]);
  });
});

describe("project creation is atomic", () => {
  it("when the key insert fails, the project is not written either", async () => {
    const org = await createOrg();
    const db = getDb(env.DB);
    const first = await insertProjectWithKey(
      db,
      { organizationId: org.id, slug: "one", name: "One", shortIdPrefix: "ONE", publicKey: "a".repeat(32) },
      Date.now(),
    );
    expect(first.key.projectId).toBe(first.project.id);
    const before = await dumpTables();
    // Same public key: the second statement of the batch violates project_keys.public_key's unique index.
    const err = await insertProjectWithKey(
      db,
      { organizationId: org.id, slug: "two", name: "Two", shortIdPrefix: "TWO", publicKey: "a".repeat(32) },
      Date.now(),
    ).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(await dumpTables()).toEqual(before);
    expect((await ok("GET", `/organizations/${org.id}/projects`)).map((p: any) => p.slug)).toEqual(["one"]);
  });
});
