/**
 * The alert rule form of the web app: its fields as the browser sends them, read into the rule the admin API takes and
 * checked with the same schemas (alerts/rule-definition.ts). Every problem is reported against the field it belongs
 * to, so the page can show it next to that field; nothing is saved unless all of them pass.
 */
import * as z from "zod/mini";
import { frequencyMinutesSchema, ruleConditionsSchema, ruleFiltersSchema, trimmedName, DEFAULT_FREQUENCY_MINUTES, type RuleDefinition } from "../alerts/rule-definition";
import { parseChoice, type PickedTarget } from "../alerts/target-choices";
import type { AlertRuleRow } from "../db/alert-rules";
import "../http/validate"; // registers zod's English messages

/** The target choice of the edit form that keeps the rule's target as it is. */
export const KEEP_TARGET = "current";

export const LEVELS = ["debug", "info", "warning", "error", "fatal"] as const;

/** The form's fields, as text (what the page shows again after a failed submit). */
export type RuleFormFields = {
  name: string;
  newIssue: boolean;
  regression: boolean;
  escalation: boolean;
  frequencyCount: string;
  frequencyWindowMinutes: string;
  levelAtLeast: string;
  environment: string;
  tags: string;
  frequencyMinutes: string;
  target: string;
};

export type RuleFormField = keyof RuleFormFields | "conditions";
export type RuleFormErrors = Partial<Record<RuleFormField, string>>;

export type CheckedRuleForm =
  | { ok: true; definition: RuleDefinition; frequencyMinutes: number; picked: PickedTarget | typeof KEEP_TARGET }
  | { ok: false; errors: RuleFormErrors };

const webRuleSchema = z.strictObject({
  name: trimmedName(),
  conditions: ruleConditionsSchema,
  filters: ruleFiltersSchema,
  frequencyMinutes: frequencyMinutesSchema,
});

const text = (v: unknown) => (typeof v === "string" ? v : "");

export function readRuleForm(form: Record<string, unknown>): RuleFormFields {
  return {
    name: text(form.name),
    newIssue: form.newIssue === "on",
    regression: form.regression === "on",
    escalation: form.escalation === "on",
    frequencyCount: text(form.frequencyCount).trim(),
    frequencyWindowMinutes: text(form.frequencyWindowMinutes).trim(),
    levelAtLeast: text(form.levelAtLeast),
    environment: text(form.environment),
    tags: text(form.tags),
    frequencyMinutes: text(form.frequencyMinutes).trim(),
    target: text(form.target),
  };
}

/** A new rule's form: new issues and regressions, as the chat's `subscribe` does without options. */
export function blankRuleForm(): RuleFormFields {
  return {
    name: "",
    newIssue: true,
    regression: true,
    escalation: false,
    frequencyCount: "",
    frequencyWindowMinutes: "",
    levelAtLeast: "",
    environment: "",
    tags: "",
    frequencyMinutes: String(DEFAULT_FREQUENCY_MINUTES),
    target: "",
  };
}

export function ruleFormOf(rule: AlertRuleRow, target: string): RuleFormFields {
  const c = rule.conditions;
  const f = rule.filters;
  return {
    name: rule.name,
    newIssue: !!c.newIssue,
    regression: !!c.regression,
    escalation: !!c.escalation,
    frequencyCount: c.frequency ? String(c.frequency.count) : "",
    frequencyWindowMinutes: c.frequency ? String(c.frequency.windowMinutes) : "",
    levelAtLeast: f.levelAtLeast ?? "",
    environment: f.environment ?? "",
    tags: Object.entries(f.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    frequencyMinutes: String(rule.frequencyMinutes),
    target,
  };
}

/** Which form field a schema path belongs to. */
function fieldOf(path: readonly PropertyKey[]): RuleFormField {
  const [top, second, third] = path.map(String);
  if (top === "name") return "name";
  if (top === "frequencyMinutes") return "frequencyMinutes";
  if (top === "conditions") {
    if (second === "frequency") return third === "windowMinutes" ? "frequencyWindowMinutes" : "frequencyCount";
    return "conditions";
  }
  if (top === "filters") {
    if (second === "levelAtLeast") return "levelAtLeast";
    if (second === "environment") return "environment";
    return "tags";
  }
  return "name";
}

function numberOrNaN(raw: string): number {
  return /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
}

/** Checks the form; the rule to save and the picked target, or an error per field. */
export function checkRuleForm(fields: RuleFormFields, opts: { editing: boolean }): CheckedRuleForm {
  const errors: RuleFormErrors = {};
  const wholeNumber = (field: "frequencyCount" | "frequencyWindowMinutes" | "frequencyMinutes", raw: string) => {
    if (raw && Number.isNaN(numberOrNaN(raw))) errors[field] = "Enter a whole number.";
  };
  wholeNumber("frequencyCount", fields.frequencyCount);
  wholeNumber("frequencyWindowMinutes", fields.frequencyWindowMinutes);
  wholeNumber("frequencyMinutes", fields.frequencyMinutes);
  if (!fields.frequencyMinutes) errors.frequencyMinutes = "Enter a number of minutes.";

  const frequency = fields.frequencyCount || fields.frequencyWindowMinutes;
  if (frequency && !fields.frequencyCount) errors.frequencyCount = "Enter how many events.";
  if (frequency && !fields.frequencyWindowMinutes) errors.frequencyWindowMinutes = "Enter the window in minutes.";

  const tags: Record<string, string> = {};
  const lines = fields.tags.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf("=");
    if (eq <= 0) {
      errors.tags ??= `Line ${i + 1}: write one tag a line as key=value.`;
      continue;
    }
    tags[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }

  const environment = fields.environment.trim();
  const candidate = {
    name: fields.name,
    conditions: {
      ...(fields.newIssue && { newIssue: true }),
      ...(fields.regression && { regression: true }),
      ...(fields.escalation && { escalation: true }),
      ...(frequency && { frequency: { count: numberOrNaN(fields.frequencyCount), windowMinutes: numberOrNaN(fields.frequencyWindowMinutes) } }),
    },
    filters: {
      ...(fields.levelAtLeast && { levelAtLeast: fields.levelAtLeast }),
      ...(environment && { environment }),
      ...(lines.length && { tags }),
    },
    frequencyMinutes: numberOrNaN(fields.frequencyMinutes),
  };
  const result = webRuleSchema.safeParse(candidate);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = fieldOf(issue.path);
      errors[field] ??= field === "conditions" ? "Choose at least one condition." : issue.message;
    }
  }
  const picked = opts.editing && fields.target === KEEP_TARGET ? KEEP_TARGET : parseChoice(fields.target);
  if (!picked) errors.target = "Choose where the alerts go.";
  if (!result.success || !picked || Object.keys(errors).length) return { ok: false, errors };
  const { frequencyMinutes, ...definition } = result.data;
  return { ok: true, definition: definition as RuleDefinition, frequencyMinutes, picked };
}
