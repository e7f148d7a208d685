/**
 * What an alert rule is made of, checked one way for every door that writes rules: the admin API's bodies and the
 * chat's `subscribe` command validate with these schemas and store with `newRuleValues`, so a rule made in Teams is
 * the same row the API makes (and the API and web can edit it).
 */
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { alertRules, RuleConditions, RuleFilters, RuleOrigin } from "../db/schema";
import { validate } from "../http/validate";

/** How often a rule may alert for the same issue, unless the rule says otherwise. */
export const DEFAULT_FREQUENCY_MINUTES = 30;

const intBetween = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));
export const trimmedName = () => z.string().check(z.trim(), z.minLength(1), z.maxLength(200));

export const ruleConditionsSchema = z
  .strictObject({
    newIssue: z.optional(z.boolean()),
    regression: z.optional(z.boolean()),
    escalation: z.optional(z.boolean()),
    frequency: z.optional(z.strictObject({ count: intBetween(1, 1_000_000), windowMinutes: intBetween(1, 10_080) })),
  })
  .check(z.refine((c) => c.newIssue || c.regression || c.escalation || c.frequency, { message: "at least one condition is required" }));

export const ruleFiltersSchema = z.strictObject({
  levelAtLeast: z.optional(z.enum(["debug", "info", "warning", "error", "fatal"])),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  tags: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(32)), z.string().check(z.maxLength(200)))),
});

export const frequencyMinutesSchema = intBetween(1, 43_200);

const definition = z.strictObject({ name: trimmedName(), conditions: ruleConditionsSchema, filters: ruleFiltersSchema });

export type RuleDefinition = { name: string; conditions: RuleConditions; filters: RuleFilters };

/** Checks a rule's name, conditions and filters (throws ValidationError naming the field). */
export function checkRuleDefinition(input: RuleDefinition): RuleDefinition {
  return validate(definition, input);
}

/** Where a rule sends, resolved (the API resolves a channel or member name; the chat knows its channel). */
export type RuleTarget = { integrationId: number; targetName: string; targetType: "channel" | "user"; conversationId: string };

/** The row to insert for a new rule, with the same defaults whichever door it came through. */
export function newRuleValues(input: {
  projectId: number;
  definition: RuleDefinition;
  target: RuleTarget;
  frequencyMinutes?: number;
  createdBy: number | null;
  createdVia: RuleOrigin;
  now: number;
}): typeof alertRules.$inferInsert {
  return {
    projectId: input.projectId,
    name: input.definition.name,
    conditions: input.definition.conditions,
    filters: input.definition.filters,
    ...input.target,
    frequencyMinutes: input.frequencyMinutes ?? DEFAULT_FREQUENCY_MINUTES,
    createdByUserId: input.createdBy,
    createdVia: input.createdVia,
    createdAt: input.now,
  };
}
