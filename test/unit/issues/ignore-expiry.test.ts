/** issues/lifecycle.planIgnoreExpiry: the cron's decision for an ignored issue whose ignore may have run out. */
import { describe, expect, it } from "vitest";
import { planIgnoreExpiry, type IssueState } from "../../../src/issues/lifecycle";

const NOW = 1_764_100_000_000;
const ignored = (ignoreConditions: IssueState["ignoreConditions"]): IssueState => ({
  status: "ignored",
  substatus: "ongoing",
  timesSeen: 10,
  usersSeen: 2,
  resolution: null,
  ignoreConditions,
});

describe("planIgnoreExpiry", () => {
  it("unresolves an issue ignored for a duration that has passed, with the audit reason", () => {
    expect(planIgnoreExpiry(ignored({ kind: "duration", minutes: 30, until: NOW }), NOW)).toEqual({
      status: { status: "unresolved", substatus: "ongoing", resolution: null, resolvedAt: null, ignoreConditions: null },
      activity: { type: "set_unresolved", data: { from: "ignored", reason: "ignoreExpired" } },
    });
  });

  it("plans nothing before the time, for other ignore conditions, or for an issue no longer ignored", () => {
    expect(planIgnoreExpiry(ignored({ kind: "duration", minutes: 30, until: NOW + 1 }), NOW)).toBeNull();
    expect(planIgnoreExpiry(ignored({ kind: "forever" }), NOW)).toBeNull();
    expect(planIgnoreExpiry(ignored({ kind: "count", count: 5, baseline: 10 }), NOW)).toBeNull();
    expect(planIgnoreExpiry(ignored(null), NOW)).toBeNull();
    expect(planIgnoreExpiry({ ...ignored({ kind: "duration", minutes: 30, until: NOW - 1 }), status: "unresolved" }, NOW)).toBeNull();
  });
});
