/**
 * Who a signed-in Microsoft identity is here, in order:
 *  1. the user tied to (tid, oid) by an earlier sign-in;
 *  2. on a first sign-in, the user with the token's email — only when `tid` has an active installation connected to
 *     one of that user's organizations (so nobody's own tenant can claim someone else's address); the identity is
 *     then tied to them;
 *  3. a new member of every organization that lets members of this tenant join (organization setting, off by
 *     default) — created with the identity tied, in one transaction;
 *  4. nobody: nothing is created.
 * Invitations by email (People page): an unexpired invitation of an organization with an active installation in this
 * tenant creates the user in step 3 (it never makes a tenant trusted for an existing user in step 2) and becomes a
 * membership with the invited role (then it is deleted); known users accept new ones when they sign in.
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
import { acceptInvitations, usableInvitations } from "../../db/invitations";
import { findUserByEmail, type UserRow } from "../../db/users";
import type { VerifiedIdentity } from "./verify-id-token";

export type SignInMatch = { kind: "user"; user: UserRow; via: "identity" | "email" | "joined" | "invited" } | { kind: "none" };

/** Personal Microsoft accounts sign in with this tenant id; they never match an organization's tenant. */
export const PERSONAL_ACCOUNT_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

export async function resolveSignIn(db: Db, identity: VerifiedIdentity, now: number): Promise<SignInMatch> {
  const known = await findUserBySignInIdentity(db, identity.tenantId, identity.objectId);
  if (known) {
    await touchSignInIdentity(db, identity.tenantId, identity.objectId, now);
    // The address is the user's own (users.email), not the token's claim.
    await acceptInvitations(db, { userId: known.id, email: known.email, tenantId: identity.tenantId, now });
    return { kind: "user", user: known, via: "identity" };
  }
  if (identity.tenantId === PERSONAL_ACCOUNT_TENANT || !identity.email) return { kind: "none" };
  const invited = await usableInvitations(db, identity.email, identity.tenantId, now);
  const byEmail = await findUserByEmail(db, identity.email);
  if (byEmail) {
    // An invitation never makes the tenant trusted for an existing user: an organization's admin could then invite
    // someone else's address from a tenant they control and sign in as that user, with all their organizations.
    if (!(await tenantTrustedByUser(db, identity.tenantId, byEmail.id))) return { kind: "none" };
    await insertSignInIdentity(db, { tenantId: identity.tenantId, objectId: identity.objectId, userId: byEmail.id, now });
    if (invited.length) await acceptInvitations(db, { userId: byEmail.id, email: byEmail.email, tenantId: identity.tenantId, now });
    return { kind: "user", user: byEmail, via: invited.length ? "invited" : "email" };
  }
  const joinable = await organizationsJoinableByTenant(db, identity.tenantId);
  if (!joinable.length && !invited.length) return { kind: "none" };
  const created = await insertJoiningUser(db, {
    email: identity.email,
    name: identity.name,
    organizationIds: joinable,
    tenantId: identity.tenantId,
    objectId: identity.objectId,
    now,
  });
  if (!created) return { kind: "none" };
  // Not in the user's batch: should this fail, the next sign-in (a known identity) accepts them.
  if (invited.length) await acceptInvitations(db, { userId: created.id, email: created.email, tenantId: identity.tenantId, now });
  return { kind: "user", user: created, via: invited.length ? "invited" : "joined" };
}
