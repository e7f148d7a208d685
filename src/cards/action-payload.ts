/**
 * The issue card's action wire format, both directions: the encoder the card builders use and the one parser
 * for what Teams sends back. Wire strings ("1".."5", "resolved:inNextRelease", "team:12", ...) exist only in
 * this file; everything past `parseCardAction` uses the named union.
 *
 * Wire format (kept from Sentry's Teams integration so both ends agree):
 * - Every Action.Submit carries `data = { payload: { actionType, groupId, eventId, rules, integrationId } }`,
 *   where `groupId` is the issue's id (Sentry's name for an issue, and every card already posted carries it),
 *   actionType RESOLVE="1", IGNORE="2", ASSIGN="3", UNRESOLVE="4", UNASSIGN="5".
 * - Teams merges the card's input values next to `payload`: `resolveInput`, `ignoreInput`, `assignInput`.
 * - A message Action.Submit arrives as the activity's `value`; an Action.Execute arrives as an
 *   `adaptiveCard/action` invoke whose `value.action.data` has the same shape. `parseCardAction` takes either.
 * - The chat's own cards (subscriptions list, notification settings) use the same envelope with their own
 *   actionTypes: UNSUBSCRIBE="6" `{actionType, ruleId, integrationId}`, NOTIFICATION_SETTINGS="7" `{actionType}`
 *   with the toggles `notifyAssigned`, `notifyResolvedRegressed`, `notifyFollowedNew` ("true" / "false") merged
 *   next to it. `isSettingsAction` tells them apart, `parseSettingsAction` decodes them (Action.Submit only).
 */
import type { ActionPayloadWire, ActionTypeWire, SettingsActionTypeWire, SettingsSubmitData, SubmitData } from "./types";
import type { AssignTarget, IgnoreCondition } from "../issues/lifecycle";

export const RESOLVE_INPUT_ID = "resolveInput";
export const IGNORE_INPUT_ID = "ignoreInput";
export const ASSIGN_INPUT_ID = "assignInput";

/** The card actions by name → their wire actionType. */
export const ACTION_TYPES = {
  resolve: "1",
  ignore: "2",
  assign: "3",
  unresolve: "4",
  unassign: "5",
} as const satisfies Record<string, ActionTypeWire>;
export type ActionName = keyof typeof ACTION_TYPES;

/** At most this many rule ids travel in a payload (the card builder caps, the parser rejects more). */
export const MAX_PAYLOAD_RULES = 50;

// ---------------------------------------------------------------------------------------------------------
// The choices offered on the card (single source for the card builder and the parser)
// ---------------------------------------------------------------------------------------------------------

export type ResolveMode = "immediate" | "inCurrentRelease" | "inNextRelease";

export const RESOLVE_CHOICES: readonly { value: string; title: string; mode: ResolveMode }[] = [
  { value: "resolved", title: "Immediately", mode: "immediate" },
  { value: "resolved:inCurrentRelease", title: "In the current release", mode: "inCurrentRelease" },
  { value: "resolved:inNextRelease", title: "In the next release", mode: "inNextRelease" },
];

export const IGNORE_CHOICES: readonly { value: string; title: string; condition: IgnoreCondition }[] = [
  { value: "-1", title: "Forever", condition: { kind: "forever" } },
  { value: "1", title: "Until it happens 1 more time", condition: { kind: "count", count: 1 } },
  { value: "10", title: "Until it happens 10 more times", condition: { kind: "count", count: 10 } },
  { value: "100", title: "Until it happens 100 more times", condition: { kind: "count", count: 100 } },
  { value: "1000", title: "Until it happens 1,000 more times", condition: { kind: "count", count: 1000 } },
  { value: "10000", title: "Until it happens 10,000 more times", condition: { kind: "count", count: 10000 } },
  { value: "duration:30", title: "For 30 minutes", condition: { kind: "duration", minutes: 30 } },
  { value: "duration:120", title: "For 2 hours", condition: { kind: "duration", minutes: 120 } },
  { value: "duration:1440", title: "For 24 hours", condition: { kind: "duration", minutes: 1440 } },
  { value: "duration:10080", title: "For 1 week", condition: { kind: "duration", minutes: 10080 } },
  { value: "users:10", title: "Until 10 more users are affected", condition: { kind: "userCount", count: 10 } },
  { value: "users:100", title: "Until 100 more users are affected", condition: { kind: "userCount", count: 100 } },
];

/** What the card's Assign box offers: the domain's targets (issues/lifecycle.ts), plus "me" (the clicker). */
export type AssignChoice = { kind: "me" } | AssignTarget;

/** The assignInput value for a target: `ME`, `user:<id>`, `team:<id>`. */
export function assignInputValue(target: AssignChoice): string {
  return target.kind === "me" ? "ME" : `${target.kind}:${target.id}`;
}

// ---------------------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------------------

export type CardActionContext = {
  issueId: number;
  eventId: string | null;
  rules: number[];
  integrationId: number;
};

/** The Action.Submit `data` for one of the card's actions. */
export function encodeActionData(action: ActionName, context: CardActionContext): SubmitData {
  const payload: ActionPayloadWire = {
    actionType: ACTION_TYPES[action],
    groupId: context.issueId,
    eventId: context.eventId,
    rules: context.rules.slice(0, MAX_PAYLOAD_RULES),
    integrationId: context.integrationId,
  };
  return { payload };
}

// ---------------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------------

export type CardActionChoice =
  | { kind: "resolve"; mode: ResolveMode }
  | { kind: "ignore"; condition: IgnoreCondition }
  | { kind: "assign"; target: AssignChoice }
  | { kind: "unresolve" }
  | { kind: "unassign" }
  /** The user pressed Resolve/Ignore/Assign without choosing an option: nothing must change. */
  | { kind: "empty"; action: "resolve" | "ignore" | "assign" };

export type CardAction = CardActionContext & CardActionChoice;
export type InvalidCardAction = { kind: "invalid"; reason: string };

const WIRE_TO_NAME: Record<string, ActionName> = Object.fromEntries(
  Object.entries(ACTION_TYPES).map(([name, wire]) => [wire, name as ActionName]),
);
const RESOLVE_BY_VALUE = new Map(RESOLVE_CHOICES.map((c) => [c.value, c.mode]));
const IGNORE_BY_VALUE = new Map(IGNORE_CHOICES.map((c) => [c.value, c.condition]));

/**
 * Decodes a submitted card action: a message activity's `value` (Action.Submit) or an
 * `adaptiveCard/action` invoke's `value` (Action.Execute, data under `value.action.data`).
 * Never throws; anything malformed is `{kind:"invalid", reason}` (the reason names the field, never echoes it).
 */
export function parseCardAction(value: unknown): CardAction | InvalidCardAction {
  try {
    return parseUnchecked(value);
  } catch {
    // Only reachable with exotic objects (throwing getters, proxies), never with parsed JSON.
    return invalid("value could not be read");
  }
}

function parseUnchecked(value: unknown): CardAction | InvalidCardAction {
  if (!isRecord(value)) return invalid("value must be an object");
  let data: Record<string, unknown> = value;
  if (!hasOwn(value, "payload")) {
    const action = own(value, "action");
    const executeData = isRecord(action) ? own(action, "data") : undefined;
    if (!isRecord(executeData)) return invalid("payload is missing");
    data = executeData;
  }

  const payload = own(data, "payload");
  if (!isRecord(payload)) return invalid("payload must be an object");

  const name = parseActionType(own(payload, "actionType"));
  if (name === null) return invalid("payload.actionType must be one of 1-5");

  const issueId = parseId(own(payload, "groupId"));
  if (issueId === null) return invalid("payload.groupId must be a positive integer");
  const integrationId = parseId(own(payload, "integrationId"));
  if (integrationId === null) return invalid("payload.integrationId must be a positive integer");
  const eventId = parseEventId(own(payload, "eventId"));
  if (eventId === undefined) return invalid("payload.eventId must be an event id or null");
  const rules = parseRules(own(payload, "rules"));
  if (rules === null) return invalid(`payload.rules must be an array of at most ${MAX_PAYLOAD_RULES} positive integers`);

  const context: CardActionContext = { issueId, eventId, rules, integrationId };
  const choice = parseChoice(name, data);
  if ("reason" in choice) return choice;
  return { ...context, ...choice };
}

function parseChoice(name: ActionName, data: Record<string, unknown>): CardActionChoice | InvalidCardAction {
  switch (name) {
    case "unresolve":
      return { kind: "unresolve" };
    case "unassign":
      return { kind: "unassign" };
    case "resolve": {
      const input = readInput(data, RESOLVE_INPUT_ID);
      if (input === undefined) return invalid(`${RESOLVE_INPUT_ID} must be a string`);
      if (input === "") return { kind: "empty", action: "resolve" };
      const mode = RESOLVE_BY_VALUE.get(input);
      return mode ? { kind: "resolve", mode } : invalid(`${RESOLVE_INPUT_ID} is not an offered choice`);
    }
    case "ignore": {
      const input = readInput(data, IGNORE_INPUT_ID);
      if (input === undefined) return invalid(`${IGNORE_INPUT_ID} must be a string`);
      if (input === "") return { kind: "empty", action: "ignore" };
      const condition = IGNORE_BY_VALUE.get(input);
      return condition ? { kind: "ignore", condition: { ...condition } } : invalid(`${IGNORE_INPUT_ID} is not an offered choice`);
    }
    case "assign": {
      const input = readInput(data, ASSIGN_INPUT_ID);
      if (input === undefined) return invalid(`${ASSIGN_INPUT_ID} must be a string`);
      if (input === "") return { kind: "empty", action: "assign" };
      const target = parseAssignChoice(input);
      return target ? { kind: "assign", target } : invalid(`${ASSIGN_INPUT_ID} must be ME, user:<id> or team:<id>`);
    }
  }
}

/** The input's value: "" when absent/empty/blank, undefined when present but not a string. */
function readInput(data: Record<string, unknown>, id: string): string | undefined {
  const raw = own(data, id);
  if (raw === undefined || raw === null) return "";
  if (typeof raw !== "string") return undefined;
  return raw.trim();
}

function parseAssignChoice(input: string): AssignChoice | null {
  if (input === "ME") return { kind: "me" };
  const match = /^(user|team):([0-9]+)$/.exec(input);
  if (!match) return null;
  const id = parseId(match[2]);
  if (id === null) return null;
  return match[1] === "user" ? { kind: "user", id } : { kind: "team", id };
}

function parseActionType(raw: unknown): ActionName | null {
  // Teams turns numbers in data into strings, but be liberal about a client that keeps them numbers.
  const wire = typeof raw === "number" && Number.isInteger(raw) ? String(raw) : raw;
  if (typeof wire !== "string" || !hasOwn(WIRE_TO_NAME, wire)) return null;
  return WIRE_TO_NAME[wire];
}

/** A positive safe integer given as a number or as a plain decimal string ("12"; not "012", "1e3", " 12", "12.0"). */
function parseId(raw: unknown): number | null {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw > 0 ? raw : null;
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** An event id (32 hex, or a dashed UUID) normalised to 32 lowercase hex; null when absent; undefined if invalid. */
function parseEventId(raw: unknown): string | null | undefined {
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw !== "string") return undefined;
  if (/^[0-9a-fA-F]{32}$/.test(raw)) return raw.toLowerCase();
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) {
    return raw.replace(/-/g, "").toLowerCase();
  }
  return undefined;
}

function parseRules(raw: unknown): number[] | null {
  if (!Array.isArray(raw) || raw.length > MAX_PAYLOAD_RULES) return null;
  const ids: number[] = [];
  for (const item of raw) {
    const id = parseId(item);
    if (id === null) return null;
    ids.push(id);
  }
  return ids;
}

function invalid(reason: string): InvalidCardAction {
  return { kind: "invalid", reason };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Own properties only: a hostile value cannot make us read something off a prototype. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return hasOwn(obj, key) ? obj[key] : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The chat's own cards: Unsubscribe and the notification toggles
// ---------------------------------------------------------------------------------------------------------

export const SETTINGS_ACTION_TYPES = { unsubscribe: "6", notificationSettings: "7" } as const satisfies Record<string, SettingsActionTypeWire>;

/** The toggles of the notifications card: input id → setting. */
export const NOTIFICATION_TOGGLES = {
  notifyAssigned: "assigned",
  notifyResolvedRegressed: "resolvedRegressed",
  notifyFollowedNew: "followedNew",
} as const;
export type NotificationToggleId = keyof typeof NOTIFICATION_TOGGLES;
export const TOGGLE_ON = "true";
export const TOGGLE_OFF = "false";

export type SettingsAction =
  | { kind: "unsubscribe"; ruleId: number; integrationId: number }
  | { kind: "notificationSettings"; settings: { assigned: boolean; resolvedRegressed: boolean; followedNew: boolean } };

export function encodeUnsubscribeData(ruleId: number, integrationId: number): SettingsSubmitData {
  return { payload: { actionType: SETTINGS_ACTION_TYPES.unsubscribe, ruleId, integrationId } };
}

export function encodeNotificationSettingsData(): SettingsSubmitData {
  return { payload: { actionType: SETTINGS_ACTION_TYPES.notificationSettings } };
}

/** Whether a submitted value is one of the chat cards' actions (rather than an issue card's). */
export function isSettingsAction(value: unknown): boolean {
  try {
    if (!isRecord(value)) return false;
    const payload = own(value, "payload");
    if (!isRecord(payload)) return false;
    const t = own(payload, "actionType");
    return t === SETTINGS_ACTION_TYPES.unsubscribe || t === SETTINGS_ACTION_TYPES.notificationSettings || t === 6 || t === 7;
  } catch {
    return false;
  }
}

/** Decodes a chat card's submit; never throws, anything malformed is `{kind:"invalid", reason}`. */
export function parseSettingsAction(value: unknown): SettingsAction | InvalidCardAction {
  try {
    if (!isRecord(value)) return invalid("value must be an object");
    const payload = own(value, "payload");
    if (!isRecord(payload)) return invalid("payload must be an object");
    const raw = own(payload, "actionType");
    const t = typeof raw === "number" ? String(raw) : raw;
    if (t === SETTINGS_ACTION_TYPES.unsubscribe) {
      const ruleId = parseId(own(payload, "ruleId"));
      if (ruleId === null) return invalid("payload.ruleId must be a positive integer");
      const integrationId = parseId(own(payload, "integrationId"));
      if (integrationId === null) return invalid("payload.integrationId must be a positive integer");
      return { kind: "unsubscribe", ruleId, integrationId };
    }
    if (t === SETTINGS_ACTION_TYPES.notificationSettings) {
      const settings = { assigned: false, resolvedRegressed: false, followedNew: false };
      for (const [id, name] of Object.entries(NOTIFICATION_TOGGLES)) {
        const v = own(value, id);
        if (v !== TOGGLE_ON && v !== TOGGLE_OFF && v !== true && v !== false) return invalid(`${id} must be "true" or "false"`);
        settings[name] = v === TOGGLE_ON || v === true;
      }
      return { kind: "notificationSettings", settings };
    }
    return invalid("payload.actionType must be 6 or 7");
  } catch {
    return invalid("value could not be read");
  }
}
