import { describe, expect, it } from "vitest";
import { clusterId } from "./local-broker";

describe("clusterId", () => {
  it("never starts with a dash, which kafka-storage would read as an option", () => {
    for (let i = 0; i < 5000; i++) {
      const id = clusterId();
      expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_-]{21}$/);
    }
  });
});
