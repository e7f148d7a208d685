import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { getDb } from "../../src/db/client";
import { findProjectByIngestKey } from "../../src/db/projects";
import { latestRelease } from "../../src/db/releases";
import { admin, createOrg, dumpTables, ok, uniq } from "./admin-helpers";

async function ingestKeyWorks(key: string): Promise<boolean> {
  return (await findProjectByIngestKey(getDb(env.DB), key)) !== null;
}

describe("projects", () => {
  it("creates a project with a derived short-id prefix, an initial ingest key and its DSN", async () => {
    const org = await createOrg();
    const created = await ok("POST", `/organizations/${org.id}/projects`, { slug: "api-server", name: "API server" });
    expect(created).toMatchObject({
      organizationId: org.id,
      slug: "api-server",
      name: "API server",
      shortIdPrefix: "APISERVER",
    });
    expect(created.key.publicKey).toMatch(/^[0-9a-f]{32}$/);
    expect(created.key.isActive).toBe(true);
    // PUBLIC_BASE_URL is https://alerts.test in the test bindings.
    expect(created.dsn).toBe(`https://${created.key.publicKey}@alerts.test/${created.id}`);
    expect(created.key.dsn).toBe(created.dsn);
    expect((await findProjectByIngestKey(getDb(env.DB), created.key.publicKey))?.id).toBe(created.id);

    const detail = await ok("GET", `/projects/${created.id}`);
    expect(detail.dsn).toBe(created.dsn);
    expect(detail.keys).toEqual([created.key]);
    const { key: _k, dsn: _d, ...project } = created;
    expect(await ok("GET", `/organizations/${org.id}/projects`)).toEqual([project]);
  });

  it("derives a prefix of at most 10 characters, accepts an explicit one (upper-cased), name defaults to slug", async () => {
    const org = await createOrg();
    const long = await ok("POST", `/organizations/${org.id}/projects`, { slug: "payments-gateway-eu", name: "P" });
    expect(long.shortIdPrefix).toBe("PAYMENTSGA");
    const explicit = await ok("POST", `/organizations/${org.id}/projects`, { slug: "web", shortIdPrefix: "fe2" });
    expect(explicit).toMatchObject({ shortIdPrefix: "FE2", name: "web" });
  });

  it("409 for a duplicate slug in the organization (no project, no key written); fine in another organization", async () => {
    const a = await createOrg();
    const b = await createOrg();
    await ok("POST", `/organizations/${a.id}/projects`, { slug: "backend" });
    const before = await dumpTables();
    const dup = await admin("POST", `/organizations/${a.id}/projects`, { slug: "backend", name: "Other" });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("slug_taken");
    expect(await dumpTables()).toEqual(before);
    await ok("POST", `/organizations/${b.id}/projects`, { slug: "backend" });
  });

  it.each([
    [{}, "slug"],
    [{ slug: "Has Space" }, "slug"],
    [{ slug: "ok", shortIdPrefix: "API-1" }, "shortIdPrefix"],
    [{ slug: "ok", shortIdPrefix: "ABCDEFGHIJK" }, "shortIdPrefix"],
    [{ slug: "ok", shortIdPrefix: "" }, "shortIdPrefix"],
    [{ slug: "ok", name: "" }, "name"],
    [{ slug: "ok", rateLimitPerMinute: 5 }, "rateLimitPerMinute"],
  ])("answers 400 naming the field for %j, writing nothing", async (body, field) => {
    const org = await createOrg();
    const before = await dumpTables();
    const res = await admin("POST", `/organizations/${org.id}/projects`, body);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain(field);
    expect(await dumpTables()).toEqual(before);
  });

  it("404 for unknown organizations and projects, writing nothing", async () => {
    const before = await dumpTables();
    expect((await admin("POST", "/organizations/999999/projects", { slug: "x" })).status).toBe(404);
    expect((await admin("GET", "/organizations/999999/projects")).status).toBe(404);
    expect((await admin("GET", "/projects/999999")).status).toBe(404);
    expect((await admin("POST", "/projects/999999/keys", {})).status).toBe(404);
    expect((await admin("DELETE", "/projects/999999/keys/1")).status).toBe(404);
    expect((await admin("POST", "/projects/999999/releases", { version: "1.0.0" })).status).toBe(404);
    expect((await admin("GET", "/projects/999999/releases")).status).toBe(404);
    expect(await dumpTables()).toEqual(before);
  });

  it("builds DSNs from the request origin when PUBLIC_BASE_URL is unset, and keeps a base path", async () => {
    const org = await createOrg();
    const { id, key } = await ok("POST", `/organizations/${org.id}/projects`, { slug: uniq("p") });
    const headers = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const viaOrigin = await app.fetch(new Request(`http://127.0.0.1:9999/api/admin/projects/${id}`, { headers }), {
      ...env,
      PUBLIC_BASE_URL: undefined,
    });
    expect(((await viaOrigin.json()) as any).dsn).toBe(`http://${key.publicKey}@127.0.0.1:9999/${id}`);
    const viaPath = await app.fetch(new Request(`http://x/api/admin/projects/${id}`, { headers }), {
      ...env,
      PUBLIC_BASE_URL: "https://errors.example.com/alerts/",
    });
    expect(((await viaPath.json()) as any).dsn).toBe(`https://${key.publicKey}@errors.example.com/alerts/${id}`);
  });
});

describe("ingest keys", () => {
  it("adds a key beside the old one; both ingest", async () => {
    const org = await createOrg();
    const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "svc" });
    const added = await ok("POST", `/projects/${project.id}/keys`, { label: "staging" });
    expect(added).toMatchObject({ label: "staging", isActive: true, revokedKeyIds: [] });
    expect(added.dsn).toBe(`https://${added.publicKey}@alerts.test/${project.id}`);
    expect(added.publicKey).not.toBe(project.key.publicKey);
    expect(await ingestKeyWorks(project.key.publicKey)).toBe(true);
    expect(await ingestKeyWorks(added.publicKey)).toBe(true);
    const detail = await ok("GET", `/projects/${project.id}`);
    expect(detail.keys.map((k: any) => k.id)).toEqual([added.id, project.key.id]);
    expect(detail.dsn).toBe(added.dsn);
  });

  it("rotates with revokeOthers: only the new key ingests afterwards", async () => {
    const org = await createOrg();
    const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "svc" });
    const second = await ok("POST", `/projects/${project.id}/keys`); // no body: label "default"
    expect(second.label).toBe("default");
    const rotated = await ok("POST", `/projects/${project.id}/keys`, { revokeOthers: true });
    expect(rotated.revokedKeyIds.sort()).toEqual([project.key.id, second.id].sort());
    expect(await ingestKeyWorks(project.key.publicKey)).toBe(false);
    expect(await ingestKeyWorks(second.publicKey)).toBe(false);
    expect(await ingestKeyWorks(rotated.publicKey)).toBe(true);
    const detail = await ok("GET", `/projects/${project.id}`);
    expect(detail.keys[0]).toMatchObject({ id: rotated.id, isActive: true, revokedAt: null });
    expect(detail.keys.slice(1).every((k: any) => !k.isActive && typeof k.revokedAt === "number")).toBe(true);
    expect(detail.dsn).toBe(rotated.dsn);
  });

  it("revokes one key; the project then has no DSN when none is live", async () => {
    const org = await createOrg();
    const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "svc" });
    await ok("DELETE", `/projects/${project.id}/keys/${project.key.id}`, undefined, 204);
    expect(await ingestKeyWorks(project.key.publicKey)).toBe(false);
    const detail = await ok("GET", `/projects/${project.id}`);
    expect(detail.dsn).toBeNull();
    expect(detail.keys[0].isActive).toBe(false);
    const revokedAt = detail.keys[0].revokedAt;
    await ok("DELETE", `/projects/${project.id}/keys/${project.key.id}`, undefined, 204);
    expect((await ok("GET", `/projects/${project.id}`)).keys[0].revokedAt).toBe(revokedAt);
  });

  it("does not revoke another project's key (404), refuses bad bodies (400); writes nothing", async () => {
    const org = await createOrg();
    const a = await ok("POST", `/organizations/${org.id}/projects`, { slug: "a" });
    const b = await ok("POST", `/organizations/${org.id}/projects`, { slug: "b" });
    const before = await dumpTables();
    expect((await admin("DELETE", `/projects/${b.id}/keys/${a.key.id}`)).status).toBe(404);
    for (const body of [{ revokeOthers: "yes" }, { label: "" }, { label: 3 }, { rotate: true }, "[]", "nope"]) {
      const res = await admin("POST", `/projects/${a.id}/keys`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await dumpTables()).toEqual(before);
    expect(await ingestKeyWorks(a.key.publicKey)).toBe(true);
  });
});

describe("releases", () => {
  it("creates releases and lists them newest first; the newest is the project's current release", async () => {
    const org = await createOrg();
    const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "app" });
    expect(await ok("GET", `/projects/${project.id}/releases`)).toEqual([]);
    expect(await latestRelease(getDb(env.DB), project.id)).toBeNull();
    const r1 = await ok("POST", `/projects/${project.id}/releases`, { version: "1.0.0" });
    expect(r1).toMatchObject({ projectId: project.id, version: "1.0.0" });
    const r2 = await ok("POST", `/projects/${project.id}/releases`, { version: "app@1.1.0+build.7" });
    const r3 = await ok("POST", `/projects/${project.id}/releases`, { version: "0.9.0" }); // created last = newest
    expect((await ok("GET", `/projects/${project.id}/releases`)).map((r: any) => r.id)).toEqual([r3.id, r2.id, r1.id]);
    expect((await ok("GET", `/projects/${project.id}/releases?limit=2`)).map((r: any) => r.id)).toEqual([r3.id, r2.id]);
    expect((await latestRelease(getDb(env.DB), project.id))?.version).toBe("0.9.0");
  });

  it("409 for a duplicate version in the project, fine in another project", async () => {
    const org = await createOrg();
    const a = await ok("POST", `/organizations/${org.id}/projects`, { slug: "a" });
    const b = await ok("POST", `/organizations/${org.id}/projects`, { slug: "b" });
    await ok("POST", `/projects/${a.id}/releases`, { version: "2.0.0" });
    await ok("POST", `/projects/${b.id}/releases`, { version: "2.0.0" });
    const before = await dumpTables();
    const dup = await admin("POST", `/projects/${a.id}/releases`, { version: "2.0.0" });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("release_exists");
    expect(await dumpTables()).toEqual(before);
  });

  it.each([[{}], [{ version: "" }], [{ version: "1.0 beta" }], [{ version: "a/b" }], [{ version: "latest" }], [{ version: ".." }], [{ version: "x".repeat(201) }], [{ version: 1 }]])(
    "answers 400 naming version for %j, writing nothing",
    async (body) => {
      const org = await createOrg();
      const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "app" });
      const before = await dumpTables();
      const res = await admin("POST", `/projects/${project.id}/releases`, body);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain("version");
      expect(await dumpTables()).toEqual(before);
    },
  );

  it("answers 400 for a bad limit", async () => {
    const org = await createOrg();
    const project = await ok("POST", `/organizations/${org.id}/projects`, { slug: "app" });
    for (const limit of ["0", "abc", "1001", "2.5"]) {
      const res = await admin("GET", `/projects/${project.id}/releases?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.json.error.message).toContain("limit");
    }
  });
});
