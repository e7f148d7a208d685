import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  cleanLine,
  escapeMarkdown,
  markdownLink,
  markdownLinkTarget,
  markdownText,
  neutralize,
  plainText,
  safeUrl,
  truncate,
} from "../../../src/cards/escape";
import { dateTimeText, formatCount, formatMinutes, isoSeconds } from "../../../src/cards/format";
import { linkTargets } from "./card-helpers";

const Z = "\u200B";

describe("cleanLine", () => {
  it("collapses whitespace and newlines into one line", () => {
    expect(cleanLine("  a\n\n- b\r\n\tc  \u2028d\u0085e ", 100)).toBe("a - b c d e");
  });

  it("removes controls, bidi overrides and BOM; keeps ordinary unicode", () => {
    expect(cleanLine("a\u0000b\u0007c\u202Ed\u202Ce\u2066f\u2069g\uFEFFh\u200Fi", 100)).toBe("abcdefghi");
    expect(cleanLine("Zoë – 漢字 🙂", 100)).toBe("Zoë – 漢字 🙂");
  });

  it("replaces lone surrogates so the JSON stays well-formed", () => {
    expect(cleanLine("a\uD800b\uDC00c🙂", 100)).toBe("a\uFFFDb\uFFFDc🙂");
  });

  it("turns non-strings into empty text", () => {
    for (const v of [undefined, null, 12, {}, [], true]) expect(cleanLine(v, 10)).toBe("");
  });
});

describe("truncate", () => {
  it("cuts by code point with an ellipsis, never splitting a surrogate pair", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefg", 6)).toBe("abcde…");
    expect(truncate("🙂🙂🙂🙂", 3)).toBe("🙂🙂…");
    expect(truncate("ab cdef", 4)).toBe("ab…");
  });

  it("property: result has at most max code points and no lone surrogate", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (s, max) => {
        const t = truncate(s, max);
        expect(Array.from(t).length).toBeLessThanOrEqual(max);
        expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
    );
  });
});

describe("markdown escaping", () => {
  it("escapes inline markdown so it shows literally", () => {
    expect(escapeMarkdown("**bold** _it_ `code` ~~s~~ [a](b) back\\slash")).toBe(
      "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\[a\\](b) back\\\\slash",
    );
  });

  it("escapes block markers only where they act (start of text, followed by a space)", () => {
    expect(escapeMarkdown("- a")).toBe("\\- a");
    expect(escapeMarkdown("+ a")).toBe("\\+ a");
    expect(escapeMarkdown("# a")).toBe("\\# a");
    expect(escapeMarkdown("> a")).toBe("\\> a");
    expect(escapeMarkdown("12. a")).toBe("12\\. a");
    expect(escapeMarkdown("3) a")).toBe("3\\) a");
    // Ordinary text is left readable.
    expect(escapeMarkdown("1.4.2")).toBe("1.4.2");
    expect(escapeMarkdown("-1 errors")).toBe("-1 errors");
    expect(escapeMarkdown("#123 failed")).toBe("#123 failed");
    expect(escapeMarkdown("a - b. c")).toBe("a - b. c");
  });

  it("neutralises mentions, tags, entities and date functions with zero-width spaces", () => {
    expect(neutralize("<at>Bob</at>")).toBe(`<${Z}at>Bob<${Z}/at>`);
    expect(neutralize("{{DATE(2020-01-01T00:00:00Z, SHORT)}}")).toBe(`{${Z}{DATE(2020-01-01T00:00:00Z, SHORT)}}`);
    expect(neutralize("{{{TIME(x)}}}")).toBe(`{${Z}{${Z}{TIME(x)}}}`);
    expect(neutralize("&lt;at&gt; &#60; AT&T & co")).toBe(`&${Z}lt;at&${Z}gt; &${Z}#60; AT&${Z}T & co`);
    expect(neutralize("a { b } c")).toBe("a { b } c");
  });

  it("neutralising is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("<", "{", "&", "a", "#", Z), maxLength: 40 }), (s) => {
        expect(neutralize(neutralize(s))).toBe(neutralize(s));
      }),
    );
  });

  it("markdownText does everything, in the right order", () => {
    expect(markdownText("  [x](https://evil)\n<at>a</at> {{DATE(", 100)).toBe(`\\[x\\](https://evil) <${Z}at>a<${Z}/at> {${Z}{DATE(`);
    expect(markdownText("x".repeat(50), 10)).toBe("xxxxxxxxx…");
  });

  it("plainText cleans and neutralises but keeps markdown characters (nothing renders them)", () => {
    expect(plainText("**Ada** <at>x</at>\n_b_", 100)).toBe(`**Ada** <${Z}at>x<${Z}/at> _b_`);
  });

  it("property: escaped user text never forms a link, a tag or a date function", () => {
    const hostileAlphabet = fc.constantFrom("[", "]", "(", ")", "\\", "<", ">", "{", "}", "a", "h", "t", "p", ":", "/", "*", "_", "&", "#", " ", "\n", "D", "A", "T", "E");
    fc.assert(
      fc.property(fc.string({ unit: hostileAlphabet, maxLength: 60 }), (s) => {
        const text = markdownText(s, 100);
        expect(linkTargets(text)).toEqual([]);
        expect(text).not.toMatch(/<(?!\u200B)/);
        expect(text).not.toContain("{{");
        // And inside a link of ours, it cannot end the link early or add another.
        expect(linkTargets(markdownLink(s, "https://alerts.test/x", 100))).toEqual(["https://alerts.test/x"]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("URLs", () => {
  it("accepts only absolute http(s) URLs", () => {
    expect(safeUrl("https://alerts.test/a?b=c")).toBe("https://alerts.test/a?b=c");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "/relative", "alerts.test", "", "file:///etc/passwd"]) {
      expect(() => safeUrl(bad), bad).toThrow(RangeError);
    }
  });

  it("link targets cannot be ended early by parentheses or spaces", () => {
    expect(markdownLinkTarget("https://alerts.test/a(b)c d")).toBe("https://alerts.test/a%28b%29c%20d");
  });
});

describe("format", () => {
  it("strict ISO timestamps without fractional seconds", () => {
    expect(isoSeconds(Date.UTC(2026, 10, 25, 10, 0, 0, 999))).toBe("2026-11-25T10:00:00Z");
    expect(isoSeconds(0)).toBe("1970-01-01T00:00:00Z");
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15, 253402300800000, -62167219200001]) expect(isoSeconds(bad)).toBeNull();
    expect(dateTimeText(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe("{{DATE(2026-01-02T03:04:05Z, SHORT)}} at {{TIME(2026-01-02T03:04:05Z)}}");
    expect(dateTimeText(Number.NaN)).toBeNull();
  });

  it("counts and durations", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1000)).toBe("1,000");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(-5)).toBe("0");
    expect(formatCount(Number.NaN)).toBe("0");
    expect(formatMinutes(1)).toBe("1 minute");
    expect(formatMinutes(30)).toBe("30 minutes");
    expect(formatMinutes(120)).toBe("2 hours");
    expect(formatMinutes(1440)).toBe("24 hours");
    expect(formatMinutes(4320)).toBe("3 days");
    expect(formatMinutes(10080)).toBe("1 week");
    expect(formatMinutes(90)).toBe("90 minutes");
  });
});
