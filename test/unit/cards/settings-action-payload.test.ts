import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeNotificationSettingsData, encodeUnsubscribeData, isSettingsAction, parseCardAction, parseSettingsAction } from "../../../src/cards/action-payload";

describe("the chat cards' submits (actionType 6 and 7)", () => {
  it("round-trips Unsubscribe and the notification toggles", () => {
    const unsubscribe = encodeUnsubscribeData(12, 3);
    expect(isSettingsAction(unsubscribe)).toBe(true);
    expect(parseSettingsAction(unsubscribe)).toEqual({ kind: "unsubscribe", ruleId: 12, integrationId: 3 });
    const save = { ...encodeNotificationSettingsData(), notifyAssigned: "false", notifyResolvedRegressed: "true", notifyFollowedNew: "false" };
    expect(isSettingsAction(save)).toBe(true);
    expect(parseSettingsAction(save)).toEqual({ kind: "notificationSettings", settings: { assigned: false, resolvedRegressed: true, followedNew: false } });
  });

  it("refuses malformed values by naming the field, and issue-card payloads are not theirs", () => {
    expect(parseSettingsAction({ payload: { actionType: "6", ruleId: "012", integrationId: 1 } })).toEqual({ kind: "invalid", reason: "payload.ruleId must be a positive integer" });
    expect(parseSettingsAction({ payload: { actionType: "7" }, notifyAssigned: "yes" })).toEqual({ kind: "invalid", reason: 'notifyAssigned must be "true" or "false"' });
    expect(isSettingsAction({ payload: { actionType: "1", groupId: 1 } })).toBe(false);
    // The issue-card parser still refuses them (they never reach it: the classifier routes them first).
    expect(parseCardAction(encodeUnsubscribeData(1, 1))).toMatchObject({ kind: "invalid" });
  });

  it("fuzzed: never throws, always a settings action or invalid", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseSettingsAction(value);
        expect(["unsubscribe", "notificationSettings", "invalid"]).toContain(parsed.kind);
        expect(typeof isSettingsAction(value)).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });
});
