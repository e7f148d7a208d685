/** Storage for Teams installations (integrations). */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { deliveries, integrations, type IntegrationStatus } from "./schema";

export type IntegrationRow = typeof integrations.$inferSelect;

export async function getIntegration(db: Db, id: number): Promise<IntegrationRow | null> {
  const rows = await db.select().from(integrations).where(eq(integrations.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function findTeamIntegration(db: Db, teamId: string): Promise<IntegrationRow | null> {
  const rows = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.provider, "msteams"), eq(integrations.externalId, teamId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Active integrations of a tenant (for commands in personal chats, which carry no team). */
export async function activeTenantIntegrations(db: Db, tenantId: string): Promise<IntegrationRow[]> {
  return db
    .select()
    .from(integrations)
    .where(and(eq(integrations.tenantId, tenantId), eq(integrations.status, "active")))
    .limit(50);
}

/**
 * Records a team install. Returns the row only when this call created it or revived a disabled one, so that
 * installationUpdate and conversationUpdate arriving for the same install welcome exactly once. A revived row
 * starts a new install generation, which voids the setup links of the earlier install.
 */
export async function recordTeamInstall(
  db: Db,
  input: { tenantId: string; teamId: string; name: string; serviceUrl: string; installedBy: string; now: number },
): Promise<IntegrationRow | null> {
  const rows = await db
    .insert(integrations)
    .values({
      provider: "msteams",
      tenantId: input.tenantId,
      externalId: input.teamId,
      name: input.name,
      serviceUrl: input.serviceUrl,
      installationType: "team",
      status: "pending",
      installedBy: input.installedBy,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoUpdate({
      target: [integrations.provider, integrations.externalId],
      set: {
        status: "pending",
        statusReason: null,
        organizationId: null,
        tenantId: input.tenantId,
        name: sql`coalesce(nullif(${input.name}, ''), ${integrations.name})`,
        serviceUrl: input.serviceUrl,
        installedBy: input.installedBy,
        installGeneration: sql`${integrations.installGeneration} + 1`,
        updatedAt: input.now,
      },
      setWhere: eq(integrations.status, "disabled"),
    })
    .returning();
  return rows[0] ?? null;
}

export async function setIntegrationStatus(
  db: Db,
  id: number,
  status: IntegrationStatus,
  reason: string | null,
  now: number,
): Promise<void> {
  await db.update(integrations).set({ status, statusReason: reason, updatedAt: now }).where(eq(integrations.id, id));
}

/**
 * Connects a pending integration to an organization, if it is still in the install generation the setup link was
 * made for; false otherwise (set up already, removed, or added again since).
 */
export async function activateIntegration(
  db: Db,
  input: { id: number; generation: number; organizationId: number; now: number },
): Promise<boolean> {
  const r = await db
    .update(integrations)
    .set({ status: "active", organizationId: input.organizationId, statusReason: null, updatedAt: input.now })
    .where(and(eq(integrations.id, input.id), eq(integrations.status, "pending"), eq(integrations.installGeneration, input.generation)));
  return (r.meta.changes ?? 0) === 1;
}

export async function listIntegrations(db: Db): Promise<IntegrationRow[]> {
  return db.select().from(integrations).orderBy(integrations.id).limit(500);
}

/** Whether any installation was ever connected (active now): a fresh deployment has none. */
export async function anyActiveIntegration(db: Db): Promise<boolean> {
  const rows = await db.select({ id: integrations.id }).from(integrations).where(eq(integrations.status, "active")).limit(1);
  return rows.length > 0;
}

/** The organization's installations (team and personal), each with when a delivery last went through it (the web's list). */
export async function organizationInstallations(db: Db, organizationId: number) {
  return db
    .select({
      integration: integrations,
      lastDeliveryAt: sql<number | null>`(select max(${deliveries.updatedAt}) from ${deliveries} where ${deliveries.integrationId} = ${integrations.id})`,
    })
    .from(integrations)
    .where(eq(integrations.organizationId, organizationId))
    .orderBy(integrations.id)
    .limit(200);
}

/** An installation if it is connected to the organization. */
export async function findOrganizationIntegration(db: Db, organizationId: number, id: number): Promise<IntegrationRow | null> {
  const rows = await db.select().from(integrations).where(and(eq(integrations.id, id), eq(integrations.organizationId, organizationId))).limit(1);
  return rows[0] ?? null;
}
