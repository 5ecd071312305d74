import { describe, expect, it } from "vitest";
import { nextTickMs, updatedAgo } from "./freshness";

const computedAt = new Date("2026-12-06T08:00:00.000Z");
const after = (ms: number) => new Date(computedAt.getTime() + ms);

describe("updatedAgo", () => {
  it("says just now under 5 seconds, and for a server clock slightly ahead of ours", () => {
    expect(updatedAgo(computedAt, after(0))).toBe("Updated just now");
    expect(updatedAgo(computedAt, after(4_999))).toBe("Updated just now");
    expect(updatedAgo(computedAt, after(-3_000))).toBe("Updated just now");
  });

  it("counts whole seconds, then minutes, hours and days", () => {
    expect(updatedAgo(computedAt, after(5_000))).toBe("Updated 5 s ago");
    expect(updatedAgo(computedAt, after(59_999))).toBe("Updated 59 s ago");
    expect(updatedAgo(computedAt, after(60_000))).toBe("Updated 1 min ago");
    expect(updatedAgo(computedAt, after(59 * 60_000 + 59_000))).toBe("Updated 59 min ago");
    expect(updatedAgo(computedAt, after(3 * 3_600_000))).toBe("Updated 3 h ago");
    expect(updatedAgo(computedAt, after(2 * 86_400_000 + 5))).toBe("Updated 2 d ago");
  });

  it("says just now for an unreadable time rather than NaN", () => {
    expect(updatedAgo(new Date("not a date"), after(10_000))).toBe("Updated just now");
  });
});

describe("nextTickMs", () => {
  it("ticks every second while the text counts seconds, then less often", () => {
    expect(nextTickMs(computedAt, after(10_000))).toBe(1_000);
    expect(nextTickMs(computedAt, after(5 * 60_000))).toBe(15_000);
    expect(nextTickMs(computedAt, after(2 * 3_600_000))).toBe(60_000);
  });
});
