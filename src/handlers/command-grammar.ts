/**
 * The chat command grammar: a message's text (mentions already removed) → one typed command. Total: any string
 * gives a command, an `invalid` (a usage mistake in a known command, with the reason to show) or `unknown`;
 * nothing here throws.
 *
 *   command      := word argument*
 *   word         := help | link | unlink | subscribe | unsubscribe | subscriptions | notifications
 *   subscribe    := subscribe <project> option*
 *   option       := new | regressions | escalations | level>=<level> | env=<environment>
 *   unsubscribe  := unsubscribe <project>
 *   <project>    := slug | organization-slug/slug
 *
 * Tokens are separated by whitespace; a double (or typographic) quoted part keeps its spaces, anywhere in a token
 * (`"my project"`, `env="eu west"`). Words and options are case-insensitive; singular option names are accepted.
 */
import { EVENT_LEVELS, type EventLevel } from "../issues/event";

/** What a `subscribe` asks for; no condition given means new issues and regressions. */
export type SubscribeOptions = {
  newIssue: boolean;
  regression: boolean;
  escalation: boolean;
  levelAtLeast: EventLevel | null;
  environment: string | null;
};

export type ProjectRef = { organization: string | null; slug: string };

export type ChatCommand =
  | { kind: "help" }
  | { kind: "link" }
  | { kind: "unlink" }
  | { kind: "subscribe"; project: ProjectRef; options: SubscribeOptions; optionsGiven: boolean }
  | { kind: "unsubscribe"; project: ProjectRef }
  | { kind: "subscriptions" }
  | { kind: "notifications" }
  /** A known command used wrongly: `reason` says what, for the answer card. */
  | { kind: "invalid"; command: CommandWord; reason: string }
  | { kind: "unknown"; text: string };

export const COMMAND_WORDS = ["help", "link", "unlink", "subscribe", "unsubscribe", "subscriptions", "notifications"] as const;
export type CommandWord = (typeof COMMAND_WORDS)[number];

/** Longest text read (code units); Teams messages can be 28 KB, commands are a line. */
const MAX_TEXT = 2000;
/** Longest project or environment argument (slugs are at most 50; environments at most 64, as the API allows). */
const MAX_PROJECT = 101;
const MAX_ENVIRONMENT = 64;

const OPEN_QUOTES = new Set(['"', "\u201C", "\u201E"]);
const CLOSE_QUOTES = new Set(['"', "\u201D", "\u201C"]);

type Tokens = { ok: true; tokens: string[] } | { ok: false; reason: string };

/** Splits on whitespace; quoted parts keep their spaces and lose their quotes. */
export function tokenize(text: string): Tokens {
  const tokens: string[] = [];
  let current: string | null = null;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      if (current !== null) tokens.push(current);
      current = null;
      i++;
      continue;
    }
    if (OPEN_QUOTES.has(ch)) {
      let j = i + 1;
      while (j < text.length && !CLOSE_QUOTES.has(text[j])) j++;
      if (j >= text.length) return { ok: false, reason: "a quote is not closed" };
      current = (current ?? "") + text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    current = (current ?? "") + ch;
    i++;
  }
  if (current !== null) tokens.push(current);
  return { ok: true, tokens };
}

/** Teams sends message text as HTML: the few entities a command may contain, decoded once. */
function decodeEntities(text: string): string {
  return text.replace(/&(quot|amp|lt|gt|#39|apos|nbsp);/gi, (_, name: string) => {
    switch (name.toLowerCase()) {
      case "quot":
        return '"';
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "nbsp":
        return " ";
      default:
        return "'";
    }
  });
}

export function parseChatCommand(input: string): ChatCommand {
  const text = decodeEntities(String(input).slice(0, MAX_TEXT)).trim();
  if (text === "") return { kind: "help" };
  const split = tokenize(text);
  const first = (split.ok ? split.tokens[0] : text.split(/\s+/)[0]).toLowerCase();
  const word = (COMMAND_WORDS as readonly string[]).includes(first) ? (first as CommandWord) : null;
  if (!word) return { kind: "unknown", text };
  if (!split.ok) return { kind: "invalid", command: word, reason: split.reason };
  const args = split.tokens.slice(1);
  switch (word) {
    case "help":
    case "link":
    case "unlink":
    case "subscriptions":
    case "notifications":
      return args.length ? { kind: "invalid", command: word, reason: `\`${word}\` takes no arguments` } : { kind: word };
    case "unsubscribe": {
      if (args.length !== 1) return { kind: "invalid", command: word, reason: "name one project: `unsubscribe <project>`" };
      const project = parseProject(args[0]);
      return "reason" in project ? { kind: "invalid", command: word, reason: project.reason } : { kind: "unsubscribe", project };
    }
    case "subscribe":
      return parseSubscribe(args);
  }
}

function parseSubscribe(args: string[]): ChatCommand {
  const invalid = (reason: string): ChatCommand => ({ kind: "invalid", command: "subscribe", reason });
  let project: ProjectRef | null = null;
  const options: SubscribeOptions = { newIssue: false, regression: false, escalation: false, levelAtLeast: null, environment: null };
  let conditionGiven = false;
  let optionsGiven = false;
  for (const arg of args) {
    const lower = arg.toLowerCase();
    const option = conditionOf(lower);
    if (option) {
      options[option] = true;
      conditionGiven = optionsGiven = true;
      continue;
    }
    const level = /^level>=(.*)$/s.exec(lower);
    if (level) {
      // The ingest API's aliases too.
      const value = level[1] === "warn" ? "warning" : level[1] === "critical" ? "fatal" : level[1];
      if (!(EVENT_LEVELS as readonly string[]).includes(value)) return invalid(`the level must be one of ${EVENT_LEVELS.join(", ")}`);
      if (options.levelAtLeast !== null && options.levelAtLeast !== value) return invalid("give `level>=` once");
      options.levelAtLeast = value as EventLevel;
      optionsGiven = true;
      continue;
    }
    const env = /^(?:env|environment)=(.*)$/is.exec(arg);
    if (env) {
      const value = env[1].trim();
      if (value === "" || value.length > MAX_ENVIRONMENT) return invalid(`the environment must be 1 to ${MAX_ENVIRONMENT} characters`);
      if (options.environment !== null && options.environment !== value) return invalid("give `env=` once");
      options.environment = value;
      optionsGiven = true;
      continue;
    }
    if (/^[a-z]+(?:>=|<=|=|<|>)/.test(lower)) return invalid("options are `new`, `regressions`, `escalations`, `level>=<level>` and `env=<environment>`");
    if (project) return invalid("name one project: `subscribe <project> [options]`");
    const parsed = parseProject(arg);
    if ("reason" in parsed) return invalid(parsed.reason);
    project = parsed;
  }
  if (!project) return invalid("name a project: `subscribe <project> [options]`");
  if (!conditionGiven) {
    options.newIssue = true;
    options.regression = true;
  }
  return { kind: "subscribe", project, options, optionsGiven };
}

function conditionOf(lower: string): "newIssue" | "regression" | "escalation" | null {
  if (lower === "new") return "newIssue";
  if (lower === "regressions" || lower === "regression" || lower === "regressed") return "regression";
  if (lower === "escalations" || lower === "escalation" || lower === "escalating") return "escalation";
  return null;
}

/** `slug` or `organization/slug`; matched case-insensitively later, so kept lower-case. */
function parseProject(arg: string): ProjectRef | { reason: string } {
  const value = arg.trim().toLowerCase();
  if (value === "" || value.length > MAX_PROJECT) return { reason: "name a project by its slug, e.g. `api`" };
  const parts = value.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) return { reason: "a project is `slug` or `organization/slug`" };
  return parts.length === 2 ? { organization: parts[0], slug: parts[1] } : { organization: null, slug: parts[0] };
}
