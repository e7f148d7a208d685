import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ACTION_TYPES,
  IGNORE_CHOICES,
  MAX_PAYLOAD_RULES,
  RESOLVE_CHOICES,
  assignInputValue,
  encodeActionData,
  parseCardAction,
  type ActionName,
  type CardActionContext,
} from "../../../src/cards/action-payload";

const EVENT_ID = "0123456789abcdef0123456789abcdef";
const context: CardActionContext = { issueId: 42, eventId: EVENT_ID, rules: [11, 12], integrationId: 7 };
/** What Teams sends for a message Action.Submit: the action's data with the card's inputs merged in. */
const submitted = (action: ActionName, inputs: Record<string, unknown> = {}) => ({ ...encodeActionData(action, context), ...inputs });
/** What Teams sends for Action.Execute: an adaptiveCard/action invoke value. */
const executed = (action: ActionName, inputs: Record<string, unknown> = {}) => ({
  action: { type: "Action.Execute", verb: "issueAction", data: submitted(action, inputs) },
  trigger: "manual",
});

describe("encodeActionData", () => {
  it("writes Sentry's wire format", () => {
    expect(encodeActionData("resolve", context)).toEqual({
      payload: { actionType: "1", groupId: 42, eventId: EVENT_ID, rules: [11, 12], integrationId: 7 },
    });
    expect(Object.values(ACTION_TYPES)).toEqual(["1", "2", "3", "4", "5"]);
    expect(encodeActionData("unassign", { ...context, eventId: null }).payload).toMatchObject({ actionType: "5", eventId: null });
  });

  it("caps the rule ids it carries", () => {
    const rules = Array.from({ length: 70 }, (_, i) => i + 1);
    expect(encodeActionData("ignore", { ...context, rules }).payload.rules).toEqual(rules.slice(0, MAX_PAYLOAD_RULES));
  });
});

describe("parseCardAction: valid actions", () => {
  for (const [shape, wrap] of [
    ["Action.Submit (message value)", submitted],
    ["Action.Execute (invoke value.action.data)", executed],
  ] as const) {
    describe(shape, () => {
      it("resolve, each mode", () => {
        expect(parseCardAction(wrap("resolve", { resolveInput: "resolved" }))).toEqual({ ...context, kind: "resolve", mode: "immediate" });
        expect(parseCardAction(wrap("resolve", { resolveInput: "resolved:inCurrentRelease" }))).toEqual({
          ...context,
          kind: "resolve",
          mode: "inCurrentRelease",
        });
        expect(parseCardAction(wrap("resolve", { resolveInput: "resolved:inNextRelease" }))).toEqual({
          ...context,
          kind: "resolve",
          mode: "inNextRelease",
        });
      });

      it("ignore, each offered condition", () => {
        const expected: [string, unknown][] = [
          ["-1", { kind: "forever" }],
          ["1", { kind: "count", count: 1 }],
          ["10", { kind: "count", count: 10 }],
          ["100", { kind: "count", count: 100 }],
          ["1000", { kind: "count", count: 1000 }],
          ["10000", { kind: "count", count: 10000 }],
          ["duration:30", { kind: "duration", minutes: 30 }],
          ["duration:120", { kind: "duration", minutes: 120 }],
          ["duration:1440", { kind: "duration", minutes: 1440 }],
          ["duration:10080", { kind: "duration", minutes: 10080 }],
          ["users:10", { kind: "userCount", count: 10 }],
          ["users:100", { kind: "userCount", count: 100 }],
        ];
        expect(IGNORE_CHOICES.map((c) => c.value)).toEqual(expected.map(([v]) => v));
        for (const [value, condition] of expected) {
          expect(parseCardAction(wrap("ignore", { ignoreInput: value }))).toEqual({ ...context, kind: "ignore", condition });
        }
      });

      it("assign to me, a user, a team", () => {
        expect(parseCardAction(wrap("assign", { assignInput: "ME" }))).toEqual({ ...context, kind: "assign", target: { kind: "me" } });
        expect(parseCardAction(wrap("assign", { assignInput: "user:1001" }))).toEqual({
          ...context,
          kind: "assign",
          target: { kind: "user", id: 1001 },
        });
        expect(parseCardAction(wrap("assign", { assignInput: "team:5" }))).toEqual({ ...context, kind: "assign", target: { kind: "team", id: 5 } });
      });

      it("unresolve and unassign ignore stray inputs", () => {
        expect(parseCardAction(wrap("unresolve", { resolveInput: "whatever" }))).toEqual({ ...context, kind: "unresolve" });
        expect(parseCardAction(wrap("unassign"))).toEqual({ ...context, kind: "unassign" });
      });

      it("an action chosen without a value is empty: nothing must change", () => {
        expect(parseCardAction(wrap("resolve"))).toEqual({ ...context, kind: "empty", action: "resolve" });
        expect(parseCardAction(wrap("ignore", { ignoreInput: "" }))).toEqual({ ...context, kind: "empty", action: "ignore" });
        expect(parseCardAction(wrap("assign", { assignInput: "   " }))).toEqual({ ...context, kind: "empty", action: "assign" });
        expect(parseCardAction(wrap("assign", { assignInput: null }))).toEqual({ ...context, kind: "empty", action: "assign" });
      });
    });
  }

  it("accepts what Teams does to numbers: strings for ids and actionType", () => {
    const value = { payload: { actionType: "4", groupId: "42", eventId: EVENT_ID, rules: ["11", "12"], integrationId: "7" } };
    expect(parseCardAction(value)).toEqual({ ...context, kind: "unresolve" });
    expect(parseCardAction({ payload: { ...value.payload, actionType: 4 } })).toEqual({ ...context, kind: "unresolve" });
  });

  it("normalises event ids; a missing one is null", () => {
    const base = encodeActionData("unresolve", context);
    const withEvent = (eventId: unknown) => parseCardAction({ payload: { ...base.payload, eventId } });
    expect(withEvent("0123456789ABCDEF0123456789ABCDEF")).toMatchObject({ eventId: EVENT_ID });
    expect(withEvent("01234567-89ab-cdef-0123-456789abcdef")).toMatchObject({ eventId: EVENT_ID });
    expect(withEvent(null)).toMatchObject({ kind: "unresolve", eventId: null });
    expect(withEvent("")).toMatchObject({ kind: "unresolve", eventId: null });
    const { eventId: _omit, ...noEvent } = base.payload;
    expect(parseCardAction({ payload: noEvent })).toMatchObject({ kind: "unresolve", eventId: null });
  });

  it("an empty rules list is fine (an issue card sent without a rule)", () => {
    expect(parseCardAction(encodeActionData("unassign", { ...context, rules: [] }))).toEqual({ ...context, rules: [], kind: "unassign" });
  });

  it("a top-level payload wins over an action.data in the same value", () => {
    const value = { ...submitted("unassign"), action: { data: submitted("unresolve") } };
    expect(parseCardAction(value)).toMatchObject({ kind: "unassign" });
  });
});

describe("parseCardAction: hostile or broken values", () => {
  const base = encodeActionData("unresolve", context).payload;
  const withPayload = (changes: Record<string, unknown>) => parseCardAction({ payload: { ...base, ...changes } });
  const reasonOf = (r: ReturnType<typeof parseCardAction>) => (r.kind === "invalid" ? r.reason : `not invalid: ${r.kind}`);

  it("rejects values that are not objects or have no payload", () => {
    for (const value of [undefined, null, "payload", 12, true, [], [encodeActionData("resolve", context)], {}, { payload: null }, { payload: "x" }, { payload: [] }, { action: { data: "x" } }, { action: null }]) {
      expect(parseCardAction(value).kind, JSON.stringify(value)).toBe("invalid");
    }
    expect(reasonOf(parseCardAction({}))).toBe("payload is missing");
  });

  it("rejects unknown action types", () => {
    for (const actionType of ["0", "6", "01", " 1", "1 ", "1.0", "", "resolve", 1.5, 0, 6, -1, null, undefined, true, ["1"], { valueOf: 1 }]) {
      expect(reasonOf(withPayload({ actionType })), String(actionType)).toBe("payload.actionType must be one of 1-5");
    }
    // Inherited names are not action types.
    for (const actionType of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      expect(withPayload({ actionType }).kind).toBe("invalid");
    }
  });

  it("parses ids strictly: positive safe integers only", () => {
    const bad = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "0", "-1", "+1", "01", "1e3", "0x10", " 12", "12 ", "12.0", "١٢", "", "9007199254740993", "99999999999999999", null, undefined, true, [], {}, [1]];
    for (const groupId of bad) expect(reasonOf(withPayload({ groupId })), String(groupId)).toBe("payload.groupId must be a positive integer");
    for (const integrationId of bad) {
      expect(reasonOf(withPayload({ integrationId })), String(integrationId)).toBe("payload.integrationId must be a positive integer");
    }
    expect(withPayload({ groupId: Number.MAX_SAFE_INTEGER })).toMatchObject({ issueId: Number.MAX_SAFE_INTEGER });
    expect(withPayload({ groupId: "9007199254740991" })).toMatchObject({ issueId: Number.MAX_SAFE_INTEGER });
  });

  it("rejects bad rule lists", () => {
    const tooMany = Array.from({ length: MAX_PAYLOAD_RULES + 1 }, (_, i) => i + 1);
    for (const rules of [undefined, null, "11", 11, {}, [0], [-1], ["x"], [1.5], [[1]], [null], tooMany]) {
      expect(withPayload({ rules }).kind, JSON.stringify(rules)).toBe("invalid");
    }
    expect(withPayload({ rules: tooMany.slice(0, MAX_PAYLOAD_RULES) }).kind).toBe("unresolve");
  });

  it("rejects malformed event ids", () => {
    for (const eventId of ["x", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefg", "../../etc/passwd", 12, {}, [], true]) {
      expect(reasonOf(withPayload({ eventId })), String(eventId)).toBe("payload.eventId must be an event id or null");
    }
  });

  it("rejects input values that were not offered", () => {
    const resolve = (resolveInput: unknown) => parseCardAction(submitted("resolve", { resolveInput }));
    for (const v of ["resolved:inRelease", "RESOLVED", "resolved,resolved:inNextRelease", "unresolved", "1"]) expect(resolve(v).kind, v).toBe("invalid");
    for (const v of [1, true, ["resolved"], { value: "resolved" }]) expect(reasonOf(resolve(v))).toBe("resolveInput must be a string");

    const ignore = (ignoreInput: unknown) => parseCardAction(submitted("ignore", { ignoreInput }));
    for (const v of ["5", "0", "-2", "duration:31", "duration:-30", "users:1", "users:", "forever", "10 ", "1e1", "100000", "__proto__", "toString"]) {
      expect(ignore(v).kind, v).toBe(v === "10 " ? "ignore" : "invalid");
    }
    expect(reasonOf(ignore(-1))).toBe("ignoreInput must be a string");

    const assign = (assignInput: unknown) => parseCardAction(submitted("assign", { assignInput }));
    for (const v of ["me", "Me", "user:0", "user:-1", "user:01", "user:1;DROP TABLE users", "team:", "team:abc", "user:1,team:2", "org:1", "user: 1", "user:99999999999999999"]) {
      expect(reasonOf(assign(v)), v).toBe("assignInput must be ME, user:<id> or team:<id>");
    }
  });

  it("never echoes the submitted value in the reason", () => {
    const secret = "SECRET-TOKEN-abc";
    for (const r of [withPayload({ issueId: secret }), parseCardAction(submitted("assign", { assignInput: secret })), withPayload({ eventId: secret })]) {
      expect(reasonOf(r)).not.toContain(secret);
    }
  });

  it("survives prototype tricks and exotic objects", () => {
    const polluted = JSON.parse('{"payload":{"actionType":"4","groupId":1,"rules":[],"integrationId":1,"__proto__":{"eventId":"zz"}}}');
    expect(parseCardAction(polluted)).toMatchObject({ kind: "unresolve", eventId: null });
    const inherited = Object.create({ payload: base });
    expect(parseCardAction(inherited).kind).toBe("invalid");
    const throwing = { get payload() { throw new Error("boom"); } };
    expect(parseCardAction(throwing)).toEqual({ kind: "invalid", reason: "value could not be read" });
  });

  it("property: never throws, whatever JSON arrives", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = parseCardAction(value);
        expect(typeof r.kind).toBe("string");
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (payload, input) => {
        const r = parseCardAction({ payload, resolveInput: input, ignoreInput: input, assignInput: input });
        expect(typeof r.kind).toBe("string");
      }),
      { numRuns: 500 },
    );
  });

  it("property: whatever the encoder writes, the parser reads back", () => {
    const id = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
    const ctx = fc.record({
      issueId: id,
      integrationId: id,
      rules: fc.array(id, { maxLength: MAX_PAYLOAD_RULES }),
      eventId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: null }),
    });
    const choice = fc.oneof(
      fc.constantFrom(...RESOLVE_CHOICES).map((c) => ({ action: "resolve" as const, input: { resolveInput: c.value }, expect: { kind: "resolve", mode: c.mode } })),
      fc.constantFrom(...IGNORE_CHOICES).map((c) => ({ action: "ignore" as const, input: { ignoreInput: c.value }, expect: { kind: "ignore", condition: c.condition } })),
      fc.oneof(
        fc.constant({ kind: "me" as const }),
        id.map((i) => ({ kind: "user" as const, id: i })),
        id.map((i) => ({ kind: "team" as const, id: i })),
      ).map((target) => ({ action: "assign" as const, input: { assignInput: assignInputValue(target) }, expect: { kind: "assign", target } })),
      fc.constant({ action: "unresolve" as const, input: {}, expect: { kind: "unresolve" } }),
      fc.constant({ action: "unassign" as const, input: {}, expect: { kind: "unassign" } }),
    );
    fc.assert(
      fc.property(ctx, choice, fc.boolean(), (c, ch, viaExecute) => {
        const data = { ...encodeActionData(ch.action, c), ...ch.input };
        // Teams turns numbers in card data into strings.
        const stringified = JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "number" ? String(v) : v)));
        const value = viaExecute ? { action: { type: "Action.Execute", data: stringified } } : stringified;
        expect(parseCardAction(value)).toEqual({ ...c, ...ch.expect });
      }),
      { numRuns: 300 },
    );
  });
});
