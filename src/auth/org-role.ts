import type { Db } from "../db/client";
import { findMembership } from "../db/organizations";

/** Whether the user is an admin member of the organization (setup and link pages check this). */
export async function isOrgAdmin(db: Db, userId: number, orgId: number): Promise<boolean> {
  const membership = await findMembership(db, orgId, userId);
  return membership?.role === "admin";
}

/** Whether the user is a member (any role) of the organization. */
export async function isOrgMember(db: Db, userId: number, orgId: number): Promise<boolean> {
  return (await findMembership(db, orgId, userId)) !== null;
}
