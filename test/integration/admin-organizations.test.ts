import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isOrgAdmin, isOrgMember } from "../../src/auth/org-role";
import { getDb } from "../../src/db/client";
import { admin, createMember, createOrg, createUser, dumpTables, ok, uniq } from "./admin-helpers";

describe("organizations", () => {
  it("creates with a slug derived from the name, and lists and reads it back", async () => {
    const before = Date.now();
    const org = await ok("POST", "/organizations", { name: "  Ácme Corp! Europe " });
    expect(org).toMatchObject({ name: "Ácme Corp! Europe", slug: "acme-corp-europe", autoLinkByEmail: false });
    expect(org.id).toBeTypeOf("number");
    expect(org.createdAt).toBeGreaterThanOrEqual(before);
    expect(org.createdAt).toBeLessThanOrEqual(Date.now());

    expect(await ok("GET", `/organizations/${org.id}`)).toEqual(org);
    const list = await ok("GET", "/organizations");
    expect(list).toContainEqual(org);
  });

  it("takes an explicit slug, lower-casing it", async () => {
    const org = await ok("POST", "/organizations", { name: "Whatever", slug: "My-Team-2" });
    expect(org.slug).toBe("my-team-2");
  });

  it("answers 409 slug_taken for a duplicate slug, explicit or derived, and writes nothing", async () => {
    await ok("POST", "/organizations", { name: "Duplicate Me" });
    const before = await dumpTables();
    const derived = await admin("POST", "/organizations", { name: "duplicate me" });
    expect(derived.status).toBe(409);
    expect(derived.json.error.code).toBe("slug_taken");
    const explicit = await admin("POST", "/organizations", { name: "Other", slug: "duplicate-me" });
    expect(explicit.status).toBe(409);
    expect(await dumpTables()).toEqual(before);
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "   " }, "name"],
    [{}, "name"],
    [{ name: 42 }, "name"],
    [{ name: "x".repeat(201) }, "name"],
    [{ name: "Ok", slug: "-bad" }, "slug"],
    [{ name: "Ok", slug: "has space" }, "slug"],
    [{ name: "Ok", slug: "x".repeat(51) }, "slug"],
    [{ name: "!!!" }, "slug"],
    [{ name: "Ok", colour: "red" }, "colour"],
  ])("answers 400 naming the field for %j", async (body, field) => {
    const before = await dumpTables();
    const res = await admin("POST", "/organizations", body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_request");
    expect(res.json.error.message).toContain(field);
    expect(await dumpTables()).toEqual(before);
  });

  it("patches name and autoLinkByEmail, and refuses an empty or invalid patch", async () => {
    const org = await createOrg();
    const patched = await ok("PATCH", `/organizations/${org.id}`, { autoLinkByEmail: true });
    expect(patched).toEqual({ ...org, autoLinkByEmail: true });
    const renamed = await ok("PATCH", `/organizations/${org.id}`, { name: "Renamed" });
    expect(renamed).toEqual({ ...org, autoLinkByEmail: true, name: "Renamed" });
    expect(await ok("GET", `/organizations/${org.id}`)).toEqual(renamed);

    const before = await dumpTables();
    expect((await admin("PATCH", `/organizations/${org.id}`, {})).status).toBe(400);
    const bad = await admin("PATCH", `/organizations/${org.id}`, { autoLinkByEmail: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("autoLinkByEmail");
    expect((await admin("PATCH", `/organizations/${org.id}`, { slug: "new-slug" })).status).toBe(400);
    expect(await dumpTables()).toEqual(before);
  });

  it("answers 404 for an unknown organization and 400 for a non-numeric id", async () => {
    for (const [method, path, body] of [
      ["GET", "/organizations/999999", undefined],
      ["PATCH", "/organizations/999999", { name: "x" }],
      ["GET", "/organizations/999999/members", undefined],
      ["POST", "/organizations/999999/members", { userId: 1, role: "member" }],
      ["PATCH", "/organizations/999999/members/1", { role: "admin" }],
      ["DELETE", "/organizations/999999/members/1", undefined],
    ] as const) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe("not_found");
    }
    for (const id of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      const res = await admin("GET", `/organizations/${id}`);
      expect(res.status, id).toBe(400);
      expect(res.json.error.message).toContain("orgId");
    }
  });
});

describe("memberships", () => {
  it("adds members with roles, lists, changes the role and removes them", async () => {
    const org = await createOrg();
    const alice = await createUser();
    const bob = await createUser();
    const added = await ok("POST", `/organizations/${org.id}/members`, { userId: alice.id, role: "admin" });
    expect(added).toMatchObject({ userId: alice.id, email: alice.email, role: "admin" });
    await ok("POST", `/organizations/${org.id}/members`, { userId: bob.id }); // role defaults to member

    const members = await ok("GET", `/organizations/${org.id}/members`);
    expect(members.map((m: any) => [m.userId, m.role])).toEqual([
      [alice.id, "admin"],
      [bob.id, "member"],
    ]);

    const db = getDb(env.DB);
    expect(await isOrgAdmin(db, alice.id, org.id)).toBe(true);
    expect(await isOrgAdmin(db, bob.id, org.id)).toBe(false);
    expect(await isOrgMember(db, bob.id, org.id)).toBe(true);

    const promoted = await ok("PATCH", `/organizations/${org.id}/members/${bob.id}`, { role: "admin" });
    expect(promoted).toMatchObject({ userId: bob.id, role: "admin" });
    expect(await isOrgAdmin(db, bob.id, org.id)).toBe(true);

    await ok("DELETE", `/organizations/${org.id}/members/${alice.id}`, undefined, 204);
    expect((await ok("GET", `/organizations/${org.id}/members`)).map((m: any) => m.userId)).toEqual([bob.id]);
    expect(await isOrgAdmin(db, alice.id, org.id)).toBe(false);
    expect(await isOrgMember(db, alice.id, org.id)).toBe(false);
    expect((await ok("GET", `/users/${alice.id}`)).memberships).toEqual([]);
  });

  it("removing a member also removes them from the organization's teams, not other organizations' teams", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const user = await createMember(org.id);
    await ok("POST", `/organizations/${other.id}/members`, { userId: user.id, role: "member" });
    const team = await ok("POST", `/organizations/${org.id}/teams`, { slug: "backend", name: "Backend" });
    const otherTeam = await ok("POST", `/organizations/${other.id}/teams`, { slug: "backend", name: "Backend" });
    await ok("POST", `/teams/${team.id}/members`, { userId: user.id });
    await ok("POST", `/teams/${otherTeam.id}/members`, { userId: user.id });

    await ok("DELETE", `/organizations/${org.id}/members/${user.id}`, undefined, 204);
    expect(await ok("GET", `/teams/${team.id}/members`)).toEqual([]);
    expect((await ok("GET", `/teams/${otherTeam.id}/members`)).map((m: any) => m.userId)).toEqual([user.id]);
  });

  it("answers 409 for a duplicate membership, 404 for unknown users or non-members, 400 for bad roles; writes nothing", async () => {
    const org = await createOrg();
    const member = await createMember(org.id);
    const outsider = await createUser();
    const before = await dumpTables();

    const dup = await admin("POST", `/organizations/${org.id}/members`, { userId: member.id, role: "admin" });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("already_member");
    expect((await admin("POST", `/organizations/${org.id}/members`, { userId: 999999 })).status).toBe(404);
    expect((await admin("PATCH", `/organizations/${org.id}/members/${outsider.id}`, { role: "admin" })).status).toBe(404);
    expect((await admin("DELETE", `/organizations/${org.id}/members/${outsider.id}`)).status).toBe(404);

    for (const body of [{ userId: outsider.id, role: "owner" }, { role: "member" }, { userId: "1" }, { userId: -1 }]) {
      const res = await admin("POST", `/organizations/${org.id}/members`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const badRole = await admin("PATCH", `/organizations/${org.id}/members/${member.id}`, { role: "owner" });
    expect(badRole.status).toBe(400);
    expect(badRole.json.error.message).toContain("role");
    expect(await dumpTables()).toEqual(before);
  });

  it("lists a user's memberships on the user", async () => {
    const a = await createOrg(uniq("Alpha"));
    const b = await createOrg(uniq("Beta"));
    const user = await createMember(a.id, "admin");
    await ok("POST", `/organizations/${b.id}/members`, { userId: user.id, role: "member" });
    expect((await ok("GET", `/users/${user.id}`)).memberships).toEqual([
      { organizationId: a.id, organizationSlug: a.slug, role: "admin" },
      { organizationId: b.id, organizationSlug: b.slug, role: "member" },
    ]);
  });
});
