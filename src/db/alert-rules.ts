/** Storage for alert rules, their firing history, notification messages and deliveries. */
import { and, desc, eq, inArray, isNull, lt, lte, ne, sql } from "drizzle-orm";
import type { Db } from "./client";
import {
  alertRules,
  deliveries,
  integrations,
  notificationMessages,
  projects,
  ruleFires,
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

/**
 * Claims the right to alert for (rule, issue), as a query for a D1 batch: it returns one row when the rule had not
 * fired for the issue within its frequency window (one atomic upsert, so concurrent events can't both claim it).
 */
export function claimRuleFireQuery(db: Db, ruleId: number, issueId: number, frequencyMinutes: number, now: number) {
  return db
    .insert(ruleFires)
    .values({ ruleId, issueId, lastFiredAt: now })
    .onConflictDoUpdate({
      target: [ruleFires.ruleId, ruleFires.issueId],
      set: { lastFiredAt: now },
      setWhere: lt(ruleFires.lastFiredAt, now - frequencyMinutes * 60_000 + 1),
    })
    .returning({ ruleId: ruleFires.ruleId });
}

/**
 * How many events the issue had since `since`, as a statement for a D1 batch: one row `{ n }`. Counted on
 * `event_ids` (every accepted event) — `events` keeps only a sample.
 */
export function eventsInWindowStatement(db: Db, issueId: number, since: number): D1PreparedStatement {
  return db.$client.prepare("select count(*) as n from event_ids where issue_id = ? and timestamp >= ?").bind(issueId, since);
}

/**
 * Claims the refresh of the counts on the issue's channel cards (not personal notifications), as a query for a D1
 * batch: returns the cards not posted or refreshed within `intervalMs` and stamps them, so however many batches
 * count events for the issue, each card gets at most one refresh per interval.
 */
export function claimCountsRefreshQuery(db: Db, issueId: number, now: number, intervalMs: number) {
  return db
    .update(notificationMessages)
    .set({ countsRefreshedAt: now })
    .where(
      and(
        eq(notificationMessages.issueId, issueId),
        isNull(notificationMessages.userId),
        lte(sql`coalesce(${notificationMessages.countsRefreshedAt}, ${notificationMessages.postedAt})`, now - intervalMs),
      ),
    )
    .returning();
}

/** What refreshing a posted card needs of its notification row. */
export type PostedCard = Pick<NotificationRow, "id" | "ruleId" | "integrationId" | "conversationId" | "activityId">;

/** The issue's posted cards (at most 200), as a query to await or to put in a D1 batch. */
export function notificationsForIssueQuery(db: Db, issueId: number) {
  return db.select().from(notificationMessages).where(eq(notificationMessages.issueId, issueId)).limit(200);
}

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

export async function insertDeliveries(db: Db, rows: NewDelivery[], now: number): Promise<DeliveryRow[]> {
  if (!rows.length) return [];
  return db
    .insert(deliveries)
    .values(rows.map((r) => ({ ...r, status: "queued" as const, attempts: 0, createdAt: now, updatedAt: now })))
    .returning();
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
