/**
 * The one-time "claim this instance" step of a fresh deployment: the first admin, signed in with Microsoft and
 * holding ADMIN_TOKEN, becomes an admin of an organization (created if new). One D1 batch: the claim row (id = 1,
 * so a second claim fails the whole batch), the user, the organization, the admin membership, the sign-in identity.
 */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { instanceClaims } from "./schema";
import { isUniqueViolation } from "./unique-violation";

export async function instanceClaimed(db: Db): Promise<boolean> {
  const rows = await db.select({ id: instanceClaims.id }).from(instanceClaims).where(eq(instanceClaims.id, 1)).limit(1);
  return rows.length > 0;
}

export type ClaimInput = {
  email: string;
  name: string;
  organizationSlug: string;
  organizationName: string;
  tenantId: string;
  objectId: string;
  now: number;
};

/** The claiming user's id, or null when the instance was already claimed. */
export async function claimInstance(db: Db, input: ClaimInput): Promise<number | null> {
  const d1 = db.$client;
  const user = "(select id from users where email = ?)";
  const org = "(select id from organizations where slug = ?)";
  try {
    const results = await d1.batch<{ id: number }>([
      d1.prepare("insert into users (email, name, created_at) values (?, ?, ?) on conflict (email) do nothing").bind(input.email, input.name, input.now),
      d1
        .prepare("insert into organizations (name, slug, created_at) values (?, ?, ?) on conflict (slug) do nothing")
        .bind(input.organizationName, input.organizationSlug, input.now),
      d1.prepare(`insert into instance_claims (id, user_id, claimed_at) values (1, ${user}, ?)`).bind(input.email, input.now),
      d1
        .prepare(
          `insert into memberships (organization_id, user_id, role, created_at) values (${org}, ${user}, 'admin', ?)
           on conflict (organization_id, user_id) do update set role = 'admin'`,
        )
        .bind(input.organizationSlug, input.email, input.now),
      d1
        .prepare(
          `insert into sign_in_identities (tenant_id, object_id, user_id, created_at, last_sign_in_at) values (?, ?, ${user}, ?, ?)
           on conflict (tenant_id, object_id) do nothing`,
        )
        .bind(input.tenantId, input.objectId, input.email, input.now, input.now),
      d1.prepare(`select id from users where email = ?`).bind(input.email),
    ]);
    return results.at(-1)?.results?.[0]?.id ?? null;
  } catch (err) {
    // The claim row exists (a concurrent or earlier claim): the batch rolled back, nothing was written.
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}
