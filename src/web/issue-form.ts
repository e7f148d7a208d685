/**
 * The issue page's action forms, one wire format: `action` = resolve | ignore | assign | unassign | unresolve, with
 * `resolve` (a RESOLVE_CHOICES value), `ignore` (an IGNORE_CHOICES value, the card's choices) and `assignee`
 * (`me`, `user:<id>`, `team:<id>`). A total parser: anything else is a refusal with a message, never a guess.
 */
import { IGNORE_CHOICES, RESOLVE_CHOICES } from "../cards/action-payload";
import type { IssueCommand } from "../issues/lifecycle";

export type ParsedIssueForm = { ok: true; command: IssueCommand } | { ok: false; message: string };

const RESOLVE_BY_VALUE = new Map(RESOLVE_CHOICES.map((c) => [c.value, c.mode]));
const IGNORE_BY_VALUE = new Map(IGNORE_CHOICES.map((c) => [c.value, c.condition]));

export function parseIssueForm(form: Record<string, unknown>, viewerUserId: number): ParsedIssueForm {
  const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
  switch (field("action")) {
    case "resolve": {
      const mode = RESOLVE_BY_VALUE.get(field("resolve") || "resolved");
      return mode ? { ok: true, command: { kind: "resolve", mode } } : { ok: false, message: "Choose how to resolve the issue." };
    }
    case "ignore": {
      const condition = IGNORE_BY_VALUE.get(field("ignore"));
      return condition ? { ok: true, command: { kind: "ignore", condition: { ...condition } } } : { ok: false, message: "Choose how long to ignore the issue." };
    }
    case "assign": {
      const value = field("assignee");
      if (value === "me") return { ok: true, command: { kind: "assign", target: { kind: "user", id: viewerUserId } } };
      const m = /^(user|team):([1-9]\d{0,15})$/.exec(value);
      return m
        ? { ok: true, command: { kind: "assign", target: { kind: m[1] as "user" | "team", id: Number(m[2]) } } }
        : { ok: false, message: "Choose someone to assign the issue to." };
    }
    case "unassign":
      return { ok: true, command: { kind: "unassign" } };
    case "unresolve":
      return { ok: true, command: { kind: "unresolve" } };
    default:
      return { ok: false, message: "Unknown action." };
  }
}
