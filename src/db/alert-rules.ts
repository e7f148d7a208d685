/** Storage for alert rules, their firing history, notification messages and deliveries. */
import { and, desc, eq, lt, ne } from "drizzle-orm";
import type { Db } from "./client";
import { insertChunks } from "./insert-chunks";
import {
  alertRules,
  deliveries,
  integrations,
  notificationMessages,
  projects,
  type DeliveryKind,
  type DeliveryStatus,
} from "./schema";

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
export type NotificationRow = typeof notificationMessages.$inferSelect;

export async function insertRule(db: Db, values: typeof alertRules.$inferInsert): Promise<AlertRuleRow> {
  const [row] = await db.insert(alertRules).values(values).returning();
  return row;
}

export async function getRule(db: Db, id: number): Promise<AlertRuleRow | null> {
  const rows = await db.select().from(alertRules).where(and(eq(alertRules.id, id), ne(alertRules.status, "deleted"))).limit(1);
  return rows[0] ?? null;
}

export async function listRules(db: Db, projectId: number): Promise<AlertRuleRow[]> {
  return db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.projectId, projectId), ne(alertRules.status, "deleted")))
    .orderBy(alertRules.id);
}

export async function updateRule(db: Db, id: number, set: Partial<typeof alertRules.$inferInsert>): Promise<AlertRuleRow | null> {
  const [row] = await db.update(alertRules).set(set).where(eq(alertRules.id, id)).returning();
  return row ?? null;
}

/** A rule that posts to a conversation, with its project's slug (the chat's `subscriptions` list). */
export type ConversationRule = { rule: AlertRuleRow; projectSlug: string; projectName: string };

/** The rules (not deleted) of an integration that post to this conversation, by project slug then id. */
export async function rulesOfConversation(db: Db, integrationId: number, conversationId: string): Promise<ConversationRule[]> {
  return db
    .select({ rule: alertRules, projectSlug: projects.slug, projectName: projects.name })
    .from(alertRules)
    .innerJoin(projects, eq(projects.id, alertRules.projectId))
    .where(and(eq(alertRules.integrationId, integrationId), eq(alertRules.conversationId, conversationId), ne(alertRules.status, "deleted")))
    .orderBy(projects.slug, alertRules.id)
    .limit(200);
}

/** The project's active rules whose integration is active (with its serviceUrl and tenant), as a query. */
export function activeRulesQuery(db: Db, projectId: number) {
  return db
    .select({ rule: alertRules, serviceUrl: integrations.serviceUrl, tenantId: integrations.tenantId })
    .from(alertRules)
    .innerJoin(integrations, eq(integrations.id, alertRules.integrationId))
    .where(and(eq(alertRules.projectId, projectId), eq(alertRules.status, "active"), eq(integrations.status, "active")));
}

/** What refreshing a posted card needs of its notification row. */
export type PostedCard = Pick<NotificationRow, "id" | "ruleId" | "integrationId" | "conversationId" | "activityId">;

export async function insertNotification(db: Db, values: typeof notificationMessages.$inferInsert): Promise<void> {
  await db.insert(notificationMessages).values(values).onConflictDoNothing();
}

export type NewDelivery = {
  kind: DeliveryKind;
  issueId: number;
  ruleId: number | null;
  integrationId: number;
  conversationId: string | null;
  data: Record<string, unknown>;
};

/** The rows in one D1 batch (a flush of a storm can alert on many issues at once), in the order given. */
export async function insertDeliveries(db: Db, rows: NewDelivery[], now: number): Promise<DeliveryRow[]> {
  if (!rows.length) return [];
  const values = rows.map((r) => ({ ...r, status: "queued" as const, attempts: 0, createdAt: now, updatedAt: now }));
  const [first, ...rest] = insertChunks(deliveries, values).map((chunk) => db.insert(deliveries).values(chunk).returning());
  return (await db.batch([first, ...rest])).flat();
}

export async function getDelivery(db: Db, id: number): Promise<DeliveryRow | null> {
  const rows = await db.select().from(deliveries).where(eq(deliveries.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function markDelivery(
  db: Db,
  id: number,
  set: { status: DeliveryStatus; attempts?: number; lastError?: string | null; data?: Record<string, unknown> },
  now: number,
): Promise<void> {
  await db.update(deliveries).set({ ...set, updatedAt: now }).where(eq(deliveries.id, id));
}

export async function listDeliveries(db: Db, f: { status?: DeliveryStatus; issueId?: number; limit: number; cursor?: number }) {
  const conds = [];
  if (f.status) conds.push(eq(deliveries.status, f.status));
  if (f.issueId) conds.push(eq(deliveries.issueId, f.issueId));
  if (f.cursor) conds.push(lt(deliveries.id, f.cursor));
  return db
    .select()
    .from(deliveries)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(deliveries.id))
    .limit(f.limit);
}
