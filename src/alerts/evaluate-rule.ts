/** Does an alert rule fire for this event? Pure: conditions match (any), then every filter must pass. */
import type { RuleConditions, RuleFilters } from "../db/schema";
import { EVENT_LEVELS, type EventLevel, type NormalizedEvent } from "../issues/event";

export type RuleTrigger = { isNew: boolean; isRegression: boolean; isEscalation: boolean };

/** Which of the rule's conditions this ingest satisfies (frequency is checked separately: it needs a count). */
export function matchingConditions(conditions: RuleConditions, t: RuleTrigger): { immediate: boolean; needsFrequency: boolean } {
  const immediate = (!!conditions.newIssue && t.isNew) || (!!conditions.regression && t.isRegression) || (!!conditions.escalation && t.isEscalation);
  return { immediate, needsFrequency: !immediate && !!conditions.frequency };
}

export function passesFilters(filters: RuleFilters, event: NormalizedEvent): boolean {
  if (filters.levelAtLeast && levelRank(event.level) < levelRank(filters.levelAtLeast as EventLevel)) return false;
  if (filters.environment && event.environment !== filters.environment) return false;
  for (const [k, v] of Object.entries(filters.tags ?? {})) if (event.tags[k] !== v) return false;
  return true;
}

function levelRank(level: EventLevel): number {
  const i = EVENT_LEVELS.indexOf(level);
  return i === -1 ? EVENT_LEVELS.indexOf("error") : i;
}
