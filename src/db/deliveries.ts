/** Storage for the delivery log's queue-side reads and writes: hand-over, dead letters, the sweep and the backlog. */
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { DeliveryRow } from "./alert-rules";
import type { Db } from "./client";
import { alertRules, deliveries, issues, integrations, projects } from "./schema";

const PENDING = ["queued", "retrying"] as const;

export async function getDeliveries(db: Db, ids: number[]): Promise<DeliveryRow[]> {
  if (!ids.length) return [];
  return db.select().from(deliveries).where(inArray(deliveries.id, ids));
}

/** Ends deliveries that are still pending with `reason` (a finished one is left as it is); returns those ended. */
export async function endPendingDeliveries(db: Db, ids: number[], reason: string, now: number): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db
    .update(deliveries)
    .set({ status: "dead", lastError: reason, updatedAt: now })
    .where(and(inArray(deliveries.id, ids), inArray(deliveries.status, [...PENDING])))
    .returning({ id: deliveries.id });
  return rows.map((r) => r.id);
}

/** Pending deliveries not touched since `before`, oldest first (the sweep's work list). */
export async function stalePendingDeliveries(db: Db, before: number, limit: number): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(deliveries)
    .where(and(inArray(deliveries.status, [...PENDING]), lt(deliveries.updatedAt, before)))
    .orderBy(asc(deliveries.id))
    .limit(limit);
}

/** Marks rows as handed over again now, so the sweep does not pick them up at its next run. */
export async function touchDeliveries(db: Db, ids: number[], now: number): Promise<void> {
  if (ids.length) await db.update(deliveries).set({ updatedAt: now }).where(inArray(deliveries.id, ids));
}

export type ConversationBacklog = { conversationId: string | null; integrationId: number | null; waiting: number; oldestCreatedAt: number };

/** Pending deliveries per conversation, most waiting first (optionally one installation's). */
export async function deliveryBacklog(db: Db, integrationId?: number): Promise<ConversationBacklog[]> {
  const conds = [inArray(deliveries.status, [...PENDING])];
  if (integrationId !== undefined) conds.push(eq(deliveries.integrationId, integrationId));
  return db
    .select({
      conversationId: deliveries.conversationId,
      integrationId: deliveries.integrationId,
      waiting: sql<number>`count(*)`.mapWith(Number),
      oldestCreatedAt: sql<number>`min(${deliveries.createdAt})`.mapWith(Number),
    })
    .from(deliveries)
    .where(and(...conds))
    .groupBy(deliveries.conversationId, deliveries.integrationId)
    .orderBy(sql`count(*) desc`)
    .limit(100);
}

/** A dead delivery back to `queued` with a fresh attempt budget (null if it is not dead). */
export async function requeueDeadDelivery(db: Db, id: number, now: number): Promise<DeliveryRow | null> {
  const rows = await db
    .update(deliveries)
    .set({ status: "queued", attempts: 0, updatedAt: now })
    .where(and(eq(deliveries.id, id), eq(deliveries.status, "dead")))
    .returning();
  return rows[0] ?? null;
}

export type DeliveryFilter = { status?: DeliveryRow["status"]; issueId?: number; ruleId?: number; conversationId?: string; limit: number; cursor?: number };

/**
 * The delivery log of an organization (deliveries through its installations), newest first, with the issue's short id
 * and title and the rule's name (the web's Deliveries page).
 */
export async function organizationDeliveries(db: Db, organizationId: number, f: DeliveryFilter) {
  const conds = [eq(integrations.organizationId, organizationId)];
  if (f.status) conds.push(eq(deliveries.status, f.status));
  if (f.issueId) conds.push(eq(deliveries.issueId, f.issueId));
  if (f.ruleId) conds.push(eq(deliveries.ruleId, f.ruleId));
  if (f.conversationId) conds.push(eq(deliveries.conversationId, f.conversationId));
  if (f.cursor) conds.push(lt(deliveries.id, f.cursor));
  return db
    .select({
      delivery: deliveries,
      integrationName: integrations.name,
      shortId: issues.shortId,
      issueTitle: issues.title,
      ruleName: alertRules.name,
      ruleTargetName: alertRules.targetName,
      projectSlug: projects.slug,
    })
    .from(deliveries)
    .innerJoin(integrations, eq(integrations.id, deliveries.integrationId))
    .leftJoin(issues, eq(issues.id, deliveries.issueId))
    .leftJoin(alertRules, eq(alertRules.id, deliveries.ruleId))
    .leftJoin(projects, eq(projects.id, alertRules.projectId))
    .where(and(...conds))
    .orderBy(desc(deliveries.id))
    .limit(f.limit);
}

/** A delivery if it went through one of the organization's installations. */
export async function findOrganizationDelivery(db: Db, organizationId: number, id: number): Promise<DeliveryRow | null> {
  const rows = await db
    .select({ delivery: deliveries })
    .from(deliveries)
    .innerJoin(integrations, eq(integrations.id, deliveries.integrationId))
    .where(and(eq(deliveries.id, id), eq(integrations.organizationId, organizationId)))
    .limit(1);
  return rows[0]?.delivery ?? null;
}
