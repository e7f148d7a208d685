import { describe, expect, it } from "vitest";
import { admin, createMember, createOrg, createUser, dumpTables, ok } from "./admin-helpers";

describe("teams", () => {
  it("creates teams per organization, lists them by slug and reads one with its members", async () => {
    const org = await createOrg();
    const web = await ok("POST", `/organizations/${org.id}/teams`, { slug: "Web", name: "Web team" });
    expect(web).toMatchObject({ organizationId: org.id, slug: "web", name: "Web team" });
    const api = await ok("POST", `/organizations/${org.id}/teams`, { slug: "api" });
    expect(api.name).toBe("api");
    expect((await ok("GET", `/organizations/${org.id}/teams`)).map((t: any) => t.slug)).toEqual(["api", "web"]);
    expect(await ok("GET", `/teams/${web.id}`)).toEqual({ ...web, members: [] });
  });

  it("the same slug is fine in another organization but 409 in the same one, writing nothing", async () => {
    const a = await createOrg();
    const b = await createOrg();
    await ok("POST", `/organizations/${a.id}/teams`, { slug: "ops", name: "Ops" });
    await ok("POST", `/organizations/${b.id}/teams`, { slug: "ops", name: "Ops" });
    const before = await dumpTables();
    const dup = await admin("POST", `/organizations/${a.id}/teams`, { slug: "OPS", name: "Ops again" });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("slug_taken");
    expect(await dumpTables()).toEqual(before);
  });

  it("answers 400 for bad bodies and 404 for unknown organizations or teams, writing nothing", async () => {
    const org = await createOrg();
    const before = await dumpTables();
    for (const body of [{}, { slug: "" }, { slug: "a b" }, { slug: "ok", name: "" }, { slug: "ok", members: [] }]) {
      const res = await admin("POST", `/organizations/${org.id}/teams`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await admin("POST", "/organizations/999999/teams", { slug: "x" })).status).toBe(404);
    expect((await admin("GET", "/organizations/999999/teams")).status).toBe(404);
    expect((await admin("GET", "/teams/999999")).status).toBe(404);
    expect((await admin("GET", "/teams/999999/members")).status).toBe(404);
    expect((await admin("POST", "/teams/999999/members", { userId: 1 })).status).toBe(404);
    expect((await admin("DELETE", "/teams/999999/members/1")).status).toBe(404);
    expect(await dumpTables()).toEqual(before);
  });
});

describe("team members", () => {
  it("adds organization members, lists and removes them", async () => {
    const org = await createOrg();
    const team = await ok("POST", `/organizations/${org.id}/teams`, { slug: "core", name: "Core" });
    const alice = await createMember(org.id);
    const bob = await createMember(org.id, "admin");
    expect(await ok("POST", `/teams/${team.id}/members`, { userId: alice.id })).toEqual({
      userId: alice.id,
      email: alice.email,
      name: alice.name,
    });
    await ok("POST", `/teams/${team.id}/members`, { userId: bob.id });
    expect((await ok("GET", `/teams/${team.id}/members`)).map((m: any) => m.userId)).toEqual([alice.id, bob.id]);
    expect((await ok("GET", `/teams/${team.id}`)).members.map((m: any) => m.email)).toEqual([alice.email, bob.email]);

    await ok("DELETE", `/teams/${team.id}/members/${alice.id}`, undefined, 204);
    expect((await ok("GET", `/teams/${team.id}/members`)).map((m: any) => m.userId)).toEqual([bob.id]);
    // Still an organization member: only the team membership went.
    expect((await ok("GET", `/organizations/${org.id}/members`)).map((m: any) => m.userId)).toContain(alice.id);
  });

  it("refuses a user who is not a member of the team's organization (400 naming userId), writing nothing", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const team = await ok("POST", `/organizations/${org.id}/teams`, { slug: "core", name: "Core" });
    const outsider = await createUser();
    const memberElsewhere = await createMember(other.id, "admin");
    const before = await dumpTables();
    for (const user of [outsider, memberElsewhere]) {
      const res = await admin("POST", `/teams/${team.id}/members`, { userId: user.id });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("invalid_request");
      expect(res.json.error.message).toMatch(/^userId: .*not a member of organization/);
    }
    expect(await dumpTables()).toEqual(before);
  });

  it("409 for a duplicate, 404 for unknown users and non-members on delete, 400 for bad bodies; writes nothing", async () => {
    const org = await createOrg();
    const team = await ok("POST", `/organizations/${org.id}/teams`, { slug: "core", name: "Core" });
    const member = await createMember(org.id);
    const notInTeam = await createMember(org.id);
    await ok("POST", `/teams/${team.id}/members`, { userId: member.id });
    const before = await dumpTables();
    const dup = await admin("POST", `/teams/${team.id}/members`, { userId: member.id });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("already_member");
    expect((await admin("POST", `/teams/${team.id}/members`, { userId: 999999 })).status).toBe(404);
    expect((await admin("DELETE", `/teams/${team.id}/members/${notInTeam.id}`)).status).toBe(404);
    for (const body of [{}, { userId: "1" }, { userId: 0 }, { userId: 1.5 }]) {
      expect((await admin("POST", `/teams/${team.id}/members`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(await dumpTables()).toEqual(before);
  });
});
