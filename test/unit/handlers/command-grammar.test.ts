import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_WORDS, parseChatCommand, tokenize } from "../../../src/handlers/command-grammar";

const DEFAULTS = { newIssue: true, regression: true, escalation: false, levelAtLeast: null, environment: null };

describe("chat command grammar", () => {
  it("parses subscribe with no options as new issues and regressions", () => {
    expect(parseChatCommand("subscribe api")).toEqual({ kind: "subscribe", project: { organization: null, slug: "api" }, options: DEFAULTS, optionsGiven: false });
  });

  it("parses every option, in any order and case, and organization/slug", () => {
    expect(parseChatCommand("Subscribe  ACME/Api ESCALATIONS level>=Error env=production new")).toEqual({
      kind: "subscribe",
      project: { organization: "acme", slug: "api" },
      options: { newIssue: true, regression: false, escalation: true, levelAtLeast: "error", environment: "production" },
      optionsGiven: true,
    });
    expect(parseChatCommand("subscribe api regression")).toMatchObject({ options: { newIssue: false, regression: true, escalation: false } });
    // A filter alone keeps the default conditions.
    expect(parseChatCommand("subscribe api level>=fatal")).toMatchObject({ options: { ...DEFAULTS, levelAtLeast: "fatal" }, optionsGiven: true });
    expect(parseChatCommand("subscribe api level>=WARN")).toMatchObject({ options: { levelAtLeast: "warning" } });
  });

  it("keeps quoted parts together, typographic quotes too, and decodes Teams' HTML entities", () => {
    expect(parseChatCommand('subscribe "api" env="eu west"')).toMatchObject({ project: { slug: "api" }, options: { environment: "eu west" } });
    expect(parseChatCommand("subscribe api env=\u201Cstaging 2\u201D")).toMatchObject({ options: { environment: "staging 2" } });
    expect(parseChatCommand("subscribe api env=&quot;eu west&quot;")).toMatchObject({ options: { environment: "eu west" } });
    expect(tokenize('a "b c"d e')).toEqual({ ok: true, tokens: ["a", "b cd", "e"] });
  });

  it("answers usage mistakes of known commands with a reason", () => {
    const cases: [string, RegExp][] = [
      ["subscribe", /name a project/],
      ["subscribe api web", /one project/],
      ["subscribe api level>=loud", /level must be one of/],
      ["subscribe api level>=error level>=fatal", /once/],
      ["subscribe api env=", /environment must be/],
      ["subscribe api colour=red", /options are/],
      ['subscribe "api', /quote is not closed/],
      ["subscribe a/b/c", /organization\/slug/],
      ["unsubscribe", /name one project/],
      ["unsubscribe api web", /name one project/],
      ["subscriptions now", /takes no arguments/],
      ["help me", /takes no arguments/],
    ];
    for (const [text, reason] of cases) {
      const parsed = parseChatCommand(text);
      expect(parsed.kind, text).toBe("invalid");
      expect(parsed.kind === "invalid" && parsed.reason, text).toMatch(reason);
    }
  });

  it("plain words, empty text and anything else", () => {
    for (const word of ["help", "link", "unlink", "subscriptions", "notifications"]) expect(parseChatCommand(` ${word.toUpperCase()} `)).toEqual({ kind: word });
    expect(parseChatCommand("   ")).toEqual({ kind: "help" });
    expect(parseChatCommand("unsubscribe Api")).toEqual({ kind: "unsubscribe", project: { organization: null, slug: "api" } });
    expect(parseChatCommand("make coffee")).toEqual({ kind: "unknown", text: "make coffee" });
  });

  it("fuzzed: any text gives a command, never throws, and arguments stay bounded", () => {
    const word = fc.constantFrom(...COMMAND_WORDS, "new", "regressions", "level>=", "env=", '"', "\u201C", "/", "&quot;", "level>=error", "=");
    const commandish = fc.array(fc.oneof(word, fc.string(), fc.string({ unit: "grapheme", maxLength: 20 })), { maxLength: 12 }).map((parts) => parts.join(" "));
    fc.assert(
      fc.property(fc.oneof(commandish, fc.string({ unit: "binary", maxLength: 3000 })), (text) => {
        const parsed = parseChatCommand(text);
        expect(["help", "link", "unlink", "subscribe", "unsubscribe", "subscriptions", "notifications", "invalid", "unknown"]).toContain(parsed.kind);
        if (parsed.kind === "subscribe") {
          const o = parsed.options;
          expect(o.newIssue || o.regression || o.escalation).toBe(true);
          expect(parsed.project.slug.length).toBeGreaterThan(0);
          expect(parsed.project.slug.length).toBeLessThanOrEqual(101);
          if (o.environment !== null) expect(o.environment.length).toBeLessThanOrEqual(64);
        }
        if (parsed.kind === "invalid") expect(parsed.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 1500 },
    );
  });
});
