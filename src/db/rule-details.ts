/** Reads for the web app's alert rule page: the rule in its project, its recent fires and deliveries. */
import { and, desc, eq, ne } from "drizzle-orm";
import type { Db } from "./client";
import { alertRules, deliveries, issues, integrations, projects, ruleFires } from "./schema";

/** The rule if it belongs to the organization's project with that slug (deleted rules are not shown). */
export async function findRuleInProject(db: Db, organizationId: number, projectSlug: string, ruleId: number) {
  const [row] = await db
    .select({ rule: alertRules, projectSlug: projects.slug, projectName: projects.name, integrationName: integrations.name, integrationStatus: integrations.status })
    .from(alertRules)
    .innerJoin(projects, eq(projects.id, alertRules.projectId))
    .innerJoin(integrations, eq(integrations.id, alertRules.integrationId))
    .where(and(eq(alertRules.id, ruleId), eq(projects.organizationId, organizationId), eq(projects.slug, projectSlug)))
    .limit(1);
  return row && row.rule.status !== "deleted" ? row : null;
}

export async function recentRuleFires(db: Db, ruleId: number, limit = 20) {
  return db
    .select({ issueId: issues.id, shortId: issues.shortId, title: issues.title, lastFiredAt: ruleFires.lastFiredAt })
    .from(ruleFires)
    .innerJoin(issues, eq(issues.id, ruleFires.issueId))
    .where(eq(ruleFires.ruleId, ruleId))
    .orderBy(desc(ruleFires.lastFiredAt))
    .limit(limit);
}

export async function recentRuleDeliveries(db: Db, ruleId: number, limit = 20) {
  return db
    .select({ id: deliveries.id, kind: deliveries.kind, status: deliveries.status, attempts: deliveries.attempts, lastError: deliveries.lastError, updatedAt: deliveries.updatedAt, issueId: deliveries.issueId })
    .from(deliveries)
    .where(eq(deliveries.ruleId, ruleId))
    .orderBy(desc(deliveries.id))
    .limit(limit);
}

/** The organization's rules (not deleted), with their project and installation, by project then id (the rule list). */
export async function rulesOfOrganization(db: Db, organizationId: number) {
  return db
    .select({ rule: alertRules, projectSlug: projects.slug, projectName: projects.name, integrationName: integrations.name, integrationStatus: integrations.status })
    .from(alertRules)
    .innerJoin(projects, eq(projects.id, alertRules.projectId))
    .innerJoin(integrations, eq(integrations.id, alertRules.integrationId))
    .where(and(eq(projects.organizationId, organizationId), ne(alertRules.status, "deleted")))
    .orderBy(projects.slug, alertRules.id)
    .limit(500);
}
