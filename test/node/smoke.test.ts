import { describe, expect, it } from "vitest";
describe("node project", () => {
  it("runs in node", () => {
    expect(typeof process.versions.node).toBe("string");
  });
});
