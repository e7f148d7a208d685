/** Keeping an installation's Connector address current (bot/service-url-refresh.ts decides when). */
import { and, eq, ne, or } from "drizzle-orm";
import type { Db } from "./client";
import { integrations } from "./schema";

/**
 * Points a tenant's integrations at `serviceUrl` where they hold another one: the team's install (when `teamId` is
 * given) and the tenant's personal install. Returns how many rows changed.
 */
export async function pointIntegrationsAt(db: Db, scope: { tenantId: string; teamId: string | null }, serviceUrl: string, now: number): Promise<number> {
  const owner = scope.teamId
    ? or(
        and(eq(integrations.installationType, "team"), eq(integrations.externalId, scope.teamId)),
        and(eq(integrations.installationType, "tenant"), eq(integrations.externalId, scope.tenantId)),
      )
    : and(eq(integrations.installationType, "tenant"), eq(integrations.externalId, scope.tenantId));
  const result = await db
    .update(integrations)
    .set({ serviceUrl, updatedAt: now })
    .where(and(eq(integrations.provider, "msteams"), eq(integrations.tenantId, scope.tenantId), owner, ne(integrations.serviceUrl, serviceUrl)));
  return result.meta.changes ?? 0;
}
