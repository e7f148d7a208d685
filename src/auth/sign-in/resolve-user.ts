/**
 * Who a signed-in Microsoft identity is here, in order:
 *  1. the user tied to (tid, oid) by an earlier sign-in;
 *  2. on a first sign-in, the user with the token's email — only when `tid` has an active installation connected to
 *     one of that user's organizations (so nobody's own tenant can claim someone else's address); the identity is
 *     then tied to them;
 *  3. a new member of every organization that lets members of this tenant join (organization setting, off by
 *     default) — created with the identity tied, in one transaction;
 *  4. nobody: nothing is created.
 */
import type { Db } from "../../db/client";
import {
  findUserBySignInIdentity,
  insertJoiningUser,
  insertSignInIdentity,
  organizationsJoinableByTenant,
  tenantTrustedByUser,
  touchSignInIdentity,
} from "../../db/sign-in-identities";
import { findUserByEmail, type UserRow } from "../../db/users";
import type { VerifiedIdentity } from "./verify-id-token";

export type SignInMatch = { kind: "user"; user: UserRow; via: "identity" | "email" | "joined" } | { kind: "none" };

/** Personal Microsoft accounts sign in with this tenant id; they never match an organization's tenant. */
export const PERSONAL_ACCOUNT_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

export async function resolveSignIn(db: Db, identity: VerifiedIdentity, now: number): Promise<SignInMatch> {
  const known = await findUserBySignInIdentity(db, identity.tenantId, identity.objectId);
  if (known) {
    await touchSignInIdentity(db, identity.tenantId, identity.objectId, now);
    return { kind: "user", user: known, via: "identity" };
  }
  if (identity.tenantId === PERSONAL_ACCOUNT_TENANT || !identity.email) return { kind: "none" };
  const byEmail = await findUserByEmail(db, identity.email);
  if (byEmail) {
    if (!(await tenantTrustedByUser(db, identity.tenantId, byEmail.id))) return { kind: "none" };
    await insertSignInIdentity(db, { tenantId: identity.tenantId, objectId: identity.objectId, userId: byEmail.id, now });
    return { kind: "user", user: byEmail, via: "email" };
  }
  const joinable = await organizationsJoinableByTenant(db, identity.tenantId);
  if (!joinable.length) return { kind: "none" };
  const created = await insertJoiningUser(db, {
    email: identity.email,
    name: identity.name,
    organizationIds: joinable,
    tenantId: identity.tenantId,
    objectId: identity.objectId,
    now,
  });
  return created ? { kind: "user", user: created, via: "joined" } : { kind: "none" };
}
