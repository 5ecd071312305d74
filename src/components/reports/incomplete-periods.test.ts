import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addIntervals, firstIncompleteBucket, retentionPeriodState, wallMs } from "./incomplete-periods";

const at = (iso: string) => new Date(iso);

describe("incomplete periods", () => {
  it("marks today incomplete on a daily trend, in the project's time zone", () => {
    const buckets = ["2026-12-04T00:00", "2026-12-05T00:00", "2026-12-06T00:00"];
    // 23:30 UTC on 5 December is already 6 December in Berlin, still 5 December in New York.
    expect(firstIncompleteBucket(buckets, "day", "Europe/Berlin", at("2026-12-05T23:30:00Z"))).toBe(2);
    expect(firstIncompleteBucket(buckets, "day", "America/New_York", at("2026-12-05T23:30:00Z"))).toBe(1);
    expect(firstIncompleteBucket(buckets, "day", "UTC", at("2026-12-07T00:00:00Z"))).toBe(3);
  });

  it("marks this week and this month while they run", () => {
    expect(firstIncompleteBucket(["2026-11-23T00:00", "2026-11-30T00:00"], "week", "UTC", at("2026-12-06T12:00:00Z"))).toBe(1);
    expect(firstIncompleteBucket(["2026-11-01T00:00", "2026-12-01T00:00"], "month", "UTC", at("2026-12-31T23:59:00Z"))).toBe(1);
    expect(firstIncompleteBucket(["2026-11-01T00:00", "2026-12-01T00:00"], "month", "UTC", at("2027-01-01T00:00:00Z"))).toBe(2);
  });

  it("tells running and future retention periods from complete ones", () => {
    const now = at("2026-12-06T15:00:00Z");
    expect(retentionPeriodState("2026-11-29T00:00", 0, "week", "UTC", now)).toBe("complete");
    expect(retentionPeriodState("2026-11-29T00:00", 1, "week", "UTC", now)).toBe("running");
    expect(retentionPeriodState("2026-11-29T00:00", 2, "week", "UTC", now)).toBe("future");
    expect(retentionPeriodState("2026-12-06T00:00", 0, "day", "UTC", now)).toBe("running");
    expect(retentionPeriodState("2026-12-05T00:00", 0, "day", "UTC", now)).toBe("complete");
  });

  it("finds the first bucket not over yet, matching a scan of bucket ends (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom("hour" as const, "day" as const, "week" as const, "month" as const),
        fc.integer({ min: -5 * 86_400_000, max: 60 * 86_400_000 }),
        (startMs, count, interval, nowOffset) => {
          const start = Math.floor(startMs / 3_600_000) * 3_600_000;
          const walls = Array.from({ length: count }, (_, index) => addIntervals(start, interval, index));
          const buckets = walls.map((wall) => new Date(wall).toISOString().slice(0, 16));
          expect(buckets.map(wallMs)).toEqual(walls);
          const now = new Date(start + nowOffset);
          const index = firstIncompleteBucket(buckets, interval, "UTC", now);
          // Every bucket before the index has ended; the one at the index (if any) has not.
          for (let at = 0; at < index; at++) expect(addIntervals(walls[at]!, interval)).toBeLessThanOrEqual(now.getTime());
          if (index < count) expect(addIntervals(walls[index]!, interval)).toBeGreaterThan(now.getTime());
        },
      ),
    );
  });
});
