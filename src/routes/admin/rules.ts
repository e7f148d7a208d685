import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { frequencyMinutesSchema, newRuleValues, ruleConditionsSchema, ruleFiltersSchema, trimmedName } from "../../alerts/rule-definition";
import { resolveRuleTarget } from "../../alerts/rule-target";
import { connectorFor } from "../../bot/connector-client";
import { retryDeadDelivery } from "../../alerts/retry-delivery";
import { getRule, insertRule, listDeliveries, listRules, updateRule, type AlertRuleRow } from "../../db/alert-rules";
import { getDb } from "../../db/client";
import { deliveryBacklog } from "../../db/deliveries";
import { getIntegration, listIntegrations } from "../../db/integrations";
import { NotFoundError, ValidationError } from "../../errors";
import { readJsonObject } from "../../http/json-body";
import { validate } from "../../http/validate";
import { requireProject } from "./lookups";
import { ADMIN_BODY_LIMIT, idParam } from "./request";

/** Alert rules per project, and the delivery log. */
export const ruleRoutes = new Hono<AppEnv>();

const action = z.strictObject({ integrationId: z.int().check(z.positive()), target: trimmedName() });

const createRule = z.strictObject({
  name: trimmedName(),
  conditions: ruleConditionsSchema,
  filters: z.optional(ruleFiltersSchema),
  action,
  frequencyMinutes: z.optional(frequencyMinutesSchema),
});

const patchRule = z.strictObject({
  name: z.optional(trimmedName()),
  conditions: z.optional(ruleConditionsSchema),
  filters: z.optional(ruleFiltersSchema),
  action: z.optional(action),
  frequencyMinutes: z.optional(frequencyMinutesSchema),
  status: z.optional(z.enum(["active", "disabled"])),
});

async function resolveAction(c: import("hono").Context<AppEnv>, organizationId: number, action: { integrationId: number; target: string }) {
  const integration = await getIntegration(getDb(c.env.DB), action.integrationId);
  if (!integration || integration.organizationId !== organizationId) {
    throw new ValidationError("action.integrationId: no Teams installation with that id is connected to this organization.");
  }
  if (integration.status !== "active") throw new ValidationError("action.integrationId: that Teams installation is not active.");
  const target = await resolveRuleTarget(connectorFor(c.env, integration.serviceUrl), integration, action.target);
  return { integrationId: integration.id, targetName: action.target, targetType: target.type, conversationId: target.conversationId };
}

ruleRoutes.post("/projects/:id/rules", async (c) => {
  const projectId = idParam(c, "id");
  const body = validate(createRule, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  const project = await requireProject(db, projectId);
  const target = await resolveAction(c, project.organizationId, body.action);
  const rule = await insertRule(
    db,
    newRuleValues({
      projectId,
      definition: { name: body.name, conditions: body.conditions, filters: body.filters ?? {} },
      target,
      frequencyMinutes: body.frequencyMinutes,
      createdBy: null,
      createdVia: "api",
      now: Date.now(),
    }),
  );
  return c.json(publicRule(rule), 201);
});

ruleRoutes.get("/projects/:id/rules", async (c) => {
  const projectId = idParam(c, "id");
  const db = getDb(c.env.DB);
  await requireProject(db, projectId);
  return c.json({ rules: (await listRules(db, projectId)).map(publicRule) });
});

ruleRoutes.get("/rules/:id", async (c) => {
  const rule = await getRule(getDb(c.env.DB), idParam(c, "id"));
  if (!rule) throw new NotFoundError("No such rule.");
  return c.json(publicRule(rule));
});

ruleRoutes.patch("/rules/:id", async (c) => {
  const id = idParam(c, "id");
  const body = validate(patchRule, await readJsonObject(c, ADMIN_BODY_LIMIT));
  const db = getDb(c.env.DB);
  const rule = await getRule(db, id);
  if (!rule) throw new NotFoundError("No such rule.");
  const project = await requireProject(db, rule.projectId);
  const target = body.action ? await resolveAction(c, project.organizationId, body.action) : {};
  const updated = await updateRule(db, id, {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.conditions !== undefined && { conditions: body.conditions }),
    ...(body.filters !== undefined && { filters: body.filters }),
    ...(body.frequencyMinutes !== undefined && { frequencyMinutes: body.frequencyMinutes }),
    ...(body.status !== undefined && { status: body.status, statusReason: null }),
    ...target,
  });
  return c.json(publicRule(updated!));
});

ruleRoutes.delete("/rules/:id", async (c) => {
  const id = idParam(c, "id");
  const db = getDb(c.env.DB);
  if (!(await getRule(db, id))) throw new NotFoundError("No such rule.");
  // Soft delete: posted cards and deliveries keep pointing at the rule.
  await updateRule(db, id, { status: "deleted", statusReason: "deleted" });
  return c.body(null, 204);
});

/** Teams installations (team installs), with status and organization: the `integrationId` rules need. */
ruleRoutes.get("/integrations", async (c) => {
  const rows = await listIntegrations(getDb(c.env.DB));
  return c.json({
    integrations: rows.map((i) => ({
      id: i.id,
      provider: i.provider,
      tenantId: i.tenantId,
      teamId: i.externalId,
      name: i.name,
      installationType: i.installationType,
      status: i.status,
      statusReason: i.statusReason,
      organizationId: i.organizationId,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
    })),
  });
});

const deliveriesQuery = z.object({
  status: z.optional(z.enum(["queued", "retrying", "delivered", "dead"])),
  issue: z.optional(z.coerce.number().check(z.int(), z.positive())),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50),
  cursor: z.optional(z.coerce.number().check(z.int(), z.positive())),
});

ruleRoutes.get("/deliveries", async (c) => {
  const q = validate(deliveriesQuery, c.req.query());
  const rows = await listDeliveries(getDb(c.env.DB), { status: q.status, issueId: q.issue, limit: q.limit, cursor: q.cursor });
  return c.json({
    deliveries: rows.map((d) => ({
      id: d.id,
      kind: d.kind,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      issueId: d.issueId,
      ruleId: d.ruleId,
      integrationId: d.integrationId,
      conversationId: d.conversationId,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    })),
    nextCursor: rows.length === q.limit ? rows[rows.length - 1].id : null,
  });
});

/** Deliveries waiting per conversation, and how long the oldest has waited. */
ruleRoutes.get("/deliveries/backlog", async (c) => {
  const now = Date.now();
  const backlog = await deliveryBacklog(getDb(c.env.DB));
  return c.json({
    conversations: backlog.map((b) => ({ ...b, oldestAgeSeconds: Math.max(0, Math.round((now - b.oldestCreatedAt) / 1000)) })),
  });
});

/** Sends a dead delivery again: back to `queued` with a fresh attempt budget; the outcome is recorded as for any delivery. */
ruleRoutes.post("/deliveries/:id/retry", async (c) => {
  const row = await retryDeadDelivery(c.env, getDb(c.env.DB), idParam(c, "id"), Date.now());
  return c.json({ id: row.id, status: row.status, attempts: row.attempts, lastError: row.lastError });
});

function publicRule(r: AlertRuleRow) {
  return {
    id: r.id,
    projectId: r.projectId,
    name: r.name,
    conditions: r.conditions,
    filters: r.filters,
    action: { integrationId: r.integrationId, target: r.targetName, targetType: r.targetType, conversationId: r.conversationId },
    frequencyMinutes: r.frequencyMinutes,
    status: r.status,
    statusReason: r.statusReason,
    createdAt: r.createdAt,
    createdBy: r.createdByUserId === null ? null : { userId: r.createdByUserId },
    createdVia: r.createdVia,
  };
}
