import type { Db } from "../../db/client";
import { findOrganization, type OrganizationRow } from "../../db/organizations";
import { findProject, type ProjectRow } from "../../db/projects";
import { findTeam, type OrgTeamRow } from "../../db/org-teams";
import { findUser, type UserRow } from "../../db/users";
import { NotFoundError } from "../../errors";

// Each admin route resolves the ids in its path first, so an unknown id is a 404 before anything is written.

export async function requireOrganization(db: Db, id: number): Promise<OrganizationRow> {
  const row = await findOrganization(db, id);
  if (!row) throw new NotFoundError(`No organization with id ${id}.`);
  return row;
}

export async function requireUser(db: Db, id: number): Promise<UserRow> {
  const row = await findUser(db, id);
  if (!row) throw new NotFoundError(`No user with id ${id}.`);
  return row;
}

export async function requireTeam(db: Db, id: number): Promise<OrgTeamRow> {
  const row = await findTeam(db, id);
  if (!row) throw new NotFoundError(`No team with id ${id}.`);
  return row;
}

export async function requireProject(db: Db, id: number): Promise<ProjectRow> {
  const row = await findProject(db, id);
  if (!row) throw new NotFoundError(`No project with id ${id}.`);
  return row;
}
