import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authenticatePersonalToken, hashPersonalToken } from "../../src/auth/personal-tokens";
import { getDb } from "../../src/db/client";
import { admin, createUser, dumpTables, ok, uniq } from "./admin-helpers";

describe("users", () => {
  it("creates with a normalised email, reads, lists and filters by email", async () => {
    const local = uniq("Mixed.Case");
    const user = await ok("POST", "/users", { email: `  ${local}@Example.COM `, name: " Ada " });
    expect(user).toMatchObject({ email: `${local.toLowerCase()}@example.com`, name: "Ada", notifyOnAssign: true });
    expect(await ok("GET", `/users/${user.id}`)).toEqual({ ...user, memberships: [] });
    expect(await ok("GET", "/users")).toContainEqual(user);
    expect(await ok("GET", `/users?email=${encodeURIComponent(`${local.toUpperCase()}@EXAMPLE.com`)}`)).toEqual([user]);
    expect(await ok("GET", "/users?email=nobody@example.com")).toEqual([]);
  });

  it("name is optional", async () => {
    const user = await ok("POST", "/users", { email: `${uniq("noname")}@example.com` });
    expect(user.name).toBe("");
  });

  it("answers 409 email_taken for the same email in another case, writing nothing", async () => {
    const email = `${uniq("dup")}@example.com`;
    await ok("POST", "/users", { email });
    const before = await dumpTables();
    const res = await admin("POST", "/users", { email: email.toUpperCase() });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("email_taken");
    expect(await dumpTables()).toEqual(before);
  });

  it.each([[{}], [{ email: "not-an-email" }], [{ email: 5 }], [{ email: "a@b.co", name: 3 }], [{ email: "a@b.co", admin: true }]])(
    "answers 400 for %j, writing nothing",
    async (body) => {
      const before = await dumpTables();
      const res = await admin("POST", "/users", body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("invalid_request");
      expect(await dumpTables()).toEqual(before);
    },
  );

  it("patches name and notifyOnAssign; refuses empty, invalid and unknown-user patches", async () => {
    const user = await createUser();
    const patched = await ok("PATCH", `/users/${user.id}`, { notifyOnAssign: false, name: "Grace" });
    expect(patched).toEqual({ ...user, notifyOnAssign: false, name: "Grace" });
    const before = await dumpTables();
    expect((await admin("PATCH", `/users/${user.id}`, {})).status).toBe(400);
    const bad = await admin("PATCH", `/users/${user.id}`, { notifyOnAssign: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("notifyOnAssign");
    expect((await admin("PATCH", `/users/${user.id}`, { email: "x@y.z" })).status).toBe(400);
    expect((await admin("PATCH", "/users/999999", { name: "x" })).status).toBe(404);
    expect((await admin("GET", "/users/999999")).status).toBe(404);
    expect(await dumpTables()).toEqual(before);
  });
});

describe("personal API tokens", () => {
  it("shows the token once, stores only its SHA-256, lists without it, authenticates, and revokes", async () => {
    const user = await createUser();
    const created = await admin("POST", `/users/${user.id}/tokens`, { name: "laptop" });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const { token, ...meta } = created.json;
    expect(token).toMatch(/^tia_[A-Za-z0-9_-]{43}$/);
    expect(meta).toMatchObject({ userId: user.id, name: "laptop", revokedAt: null });
    expect(meta).not.toHaveProperty("tokenHash");

    const stored = await env.DB.prepare("select token_hash from api_tokens where id = ?").bind(meta.id).first<{ token_hash: string }>();
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.token_hash).toBe(await hashPersonalToken(token));
    // An independent SHA-256 of the token: the stored hash is exactly that.
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    expect(stored!.token_hash).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));

    const listed = await ok("GET", `/users/${user.id}/tokens`);
    expect(listed).toEqual([meta]);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(listed)).not.toContain(stored!.token_hash);

    const db = getDb(env.DB);
    expect((await authenticatePersonalToken(db, token))?.id).toBe(user.id);
    expect(await authenticatePersonalToken(db, token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"))).toBeNull();
    expect(await authenticatePersonalToken(db, "")).toBeNull();
    expect(await authenticatePersonalToken(db, stored!.token_hash)).toBeNull();

    await ok("DELETE", `/users/${user.id}/tokens/${meta.id}`, undefined, 204);
    expect(await authenticatePersonalToken(db, token)).toBeNull();
    const [revoked] = await ok("GET", `/users/${user.id}/tokens`);
    expect(revoked.revokedAt).toBeTypeOf("number");
    // Revoking again is harmless and keeps the first revocation time.
    await ok("DELETE", `/users/${user.id}/tokens/${meta.id}`, undefined, 204);
    expect((await ok("GET", `/users/${user.id}/tokens`))[0].revokedAt).toBe(revoked.revokedAt);
  });

  it("creates a token without a body, each token distinct", async () => {
    const user = await createUser();
    const a = await ok("POST", `/users/${user.id}/tokens`);
    const b = await ok("POST", `/users/${user.id}/tokens`, {});
    expect(a.name).toBe("");
    expect(a.token).not.toBe(b.token);
    const db = getDb(env.DB);
    expect((await authenticatePersonalToken(db, a.token))?.id).toBe(user.id);
    expect((await authenticatePersonalToken(db, b.token))?.id).toBe(user.id);
  });

  it("does not revoke another user's token (404), nor create tokens for unknown users; writes nothing", async () => {
    const owner = await createUser();
    const other = await createUser();
    const { id } = await ok("POST", `/users/${owner.id}/tokens`, { name: "ci" });
    const before = await dumpTables();
    expect((await admin("DELETE", `/users/${other.id}/tokens/${id}`)).status).toBe(404);
    expect((await admin("DELETE", `/users/${owner.id}/tokens/999999`)).status).toBe(404);
    expect((await admin("POST", "/users/999999/tokens", { name: "x" })).status).toBe(404);
    expect((await admin("GET", "/users/999999/tokens")).status).toBe(404);
    expect((await admin("POST", `/users/${owner.id}/tokens`, { name: 7 })).status).toBe(400);
    expect((await admin("POST", `/users/${owner.id}/tokens`, "{oops")).status).toBe(400);
    expect(await dumpTables()).toEqual(before);
  });
});
