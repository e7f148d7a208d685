/** What the doctor (routes/admin/doctor.ts) reads about Teams installations: the list, refused rules, the last delivery. */
import { and, asc, desc, eq, isNotNull } from "drizzle-orm";
import type { Db } from "./client";
import type { DeliveryRow } from "./alert-rules";
import { alertRules, deliveries, integrations } from "./schema";

export type IntegrationSummary = Pick<
  typeof integrations.$inferSelect,
  "id" | "name" | "externalId" | "status" | "statusReason" | "organizationId" | "installationType"
>;

/** The first `limit` installations by id. */
export async function integrationSummaries(db: Db, limit: number): Promise<IntegrationSummary[]> {
  return db
    .select({
      id: integrations.id,
      name: integrations.name,
      externalId: integrations.externalId,
      status: integrations.status,
      statusReason: integrations.statusReason,
      organizationId: integrations.organizationId,
      installationType: integrations.installationType,
    })
    .from(integrations)
    .orderBy(asc(integrations.id))
    .limit(limit);
}

/** Rules of the installation disabled because Teams refused their target (with the reason), at most 10. */
export async function refusedRules(db: Db, integrationId: number): Promise<{ id: number; name: string; reason: string | null }[]> {
  return db
    .select({ id: alertRules.id, name: alertRules.name, reason: alertRules.statusReason })
    .from(alertRules)
    .where(and(eq(alertRules.integrationId, integrationId), eq(alertRules.status, "disabled"), isNotNull(alertRules.statusReason)))
    .limit(10);
}

/** The installation's newest delivery (walks the deliveries primary key backwards: it is near the end). */
export async function lastDelivery(db: Db, integrationId: number): Promise<DeliveryRow | null> {
  const [last] = await db.select().from(deliveries).where(eq(deliveries.integrationId, integrationId)).orderBy(desc(deliveries.id)).limit(1);
  return last ?? null;
}
