/**
 * Trend comparison with the same period one year earlier (and the previous period), against the
 * reference on random data in a real DuckDB: events a year apart around daylight-saving changes
 * (which fall on other days each year) and 29 February 2024, ranges in several time zones, some
 * over a year long so that both periods overlap.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trendDefinitionSchema, type Aggregation } from "../../src/core/reports";
import { comparisonRange, yearEarlier } from "./compare";
import { reportTable } from "./export";
import { refTrend, refYearEarlier, type RefData, type RefEvent } from "./reference";
import { trendReport } from "./reports";
import { analyticsTestDb, insertEvents, insertProfiles } from "./testing";

const analytics = analyticsTestDb();
const run = analytics.run;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TIMEZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "UTC"];
// 2024-02-20 .. 2024-04-10 (29 Feb, US DST 10 Mar, EU DST 31 Mar, Sydney 7 Apr) and the same weeks of 2023.
const STARTS = [Date.parse("2024-02-20T00:00:00Z"), Date.parse("2023-02-20T00:00:00Z")];
const SPAN_HOURS = 50 * 24;

const dataArb = fc
  .array(
    fc.record({
      year: fc.constantFrom(0, 0, 1),
      hour: fc.integer({ min: 0, max: SPAN_HOURS }),
      minute: fc.constantFrom(0, 0, 30, 59),
      name: fc.constantFrom("a", "b"),
      profile: fc.option(fc.constantFrom("u1", "u2", "u3"), { freq: 5 }),
      amount: fc.integer({ min: 0, max: 50 }),
    }),
    { minLength: 5, maxLength: 80 },
  )
  .map((events): RefData => ({
    events: events.map((event, index): RefEvent => ({
      project_id: "p1",
      event_id: `e${index}`,
      event_name: event.name,
      profile_id: event.profile,
      ts: STARTS[event.year]! + event.hour * HOUR + event.minute * 60_000,
      props: { amount: event.amount },
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    })),
    profiles: new Map(),
  }));

const rangeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: SPAN_HOURS - 1 }), fc.constantFrom(0, 30), fc.integer({ min: 1, max: 30 * 24 })).map(([hour, minute, length]) => {
    const from = STARTS[0]! + hour * HOUR + minute * 60_000;
    return { from: new Date(from).toISOString(), to: new Date(from + length * HOUR).toISOString() };
  }),
  // Longer than a year: the year-earlier range overlaps the range itself.
  fc.constant({ from: "2023-02-25T00:00:00Z", to: "2024-03-20T00:00:00Z" }),
);
const aggregationArb: fc.Arbitrary<Aggregation> = fc.constantFrom(
  { op: "count" as const },
  { op: "unique_profiles" as const },
  { op: "sum" as const, field: "props.amount" },
  { op: "max" as const, field: "props.amount" },
);

/** Deep equality where numbers may differ by floating-point rounding. */
function expectClose(actual: unknown, expected: unknown, path = "result"): void {
  if (typeof expected === "number" && typeof actual === "number") {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, index) => expectClose((actual as unknown[])[index], item, `${path}[${index}]`));
    return;
  }
  if (typeof expected === "object" && expected !== null) {
    for (const key of Object.keys(expected))
      expectClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

describe("the same period one year earlier", () => {
  it("keeps the local wall time: 29 February becomes 28 February, across time zones", () => {
    const berlin = (iso: string) => new Date(yearEarlier(Date.parse(iso), "Europe/Berlin")).toISOString();
    // 2024-02-29 10:00 in Berlin (UTC+1) is 2023-02-28 10:00 there.
    expect(berlin("2024-02-29T09:00:00.000Z")).toBe("2023-02-28T09:00:00.000Z");
    // 2024-03-31 12:00 CEST (after the change) is 2023-03-31 12:00 CEST.
    expect(berlin("2024-03-31T10:00:00.000Z")).toBe("2023-03-31T10:00:00.000Z");
    // 2024-03-27 12:00 CET: 2023-03-27 is already summer time, so another UTC offset.
    expect(berlin("2024-03-27T11:00:00.000Z")).toBe("2023-03-27T10:00:00.000Z");
    // Midnight local starts of a day range stay local midnights.
    expect(comparisonRange({ from: "2024-03-01T05:00:00Z", to: "2024-03-15T04:00:00Z" }, "year", "America/New_York")).toEqual({
      from: "2023-03-01T05:00:00.000Z",
      to: "2023-03-15T04:00:00.000Z",
    });
    expect(comparisonRange({ from: "2024-03-01T05:00:00Z", to: "2024-03-15T04:00:00Z" }, "previous", "America/New_York")).toEqual({
      from: "2024-02-16T06:00:00.000Z",
      to: "2024-03-01T05:00:00.000Z",
    });
  });

  it("reads a wall time skipped by DST with the offset before the change, and a repeated one as its first instant", () => {
    const ny = (iso: string) => new Date(yearEarlier(Date.parse(iso), "America/New_York")).toISOString();
    // 2025-03-10 02:30 EDT; 2024-03-10 02:30 did not exist (clocks went 02:00 → 03:00): 03:30 EDT.
    expect(ny("2025-03-10T06:30:00Z")).toBe("2024-03-10T07:30:00.000Z");
    // 2025-11-03 01:30 EST; 2024-11-03 01:30 happened twice: the first, in EDT.
    expect(ny("2025-11-03T06:30:00Z")).toBe("2024-11-03T05:30:00.000Z");
  });

  it("engine and reference shift ranges alike (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2030-01-01T00:00:00Z") }), fc.constantFrom(...TIMEZONES), (at, tz) => {
        const range = { from: new Date(at).toISOString(), to: new Date(at + DAY).toISOString() };
        expect(comparisonRange(range, "year", tz)).toEqual(refYearEarlier(range, tz));
      }),
      { numRuns: 400 },
    );
  });

  it("trend compared with the previous period or a year earlier matches the reference (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.record({
          range: rangeArb,
          interval: fc.constantFrom("hour" as const, "day" as const, "week" as const, "month" as const),
          series: fc.array(
            fc.record({
              event: fc.option(fc.constantFrom("a", "b"), { freq: 3 }),
              filters: fc.constant([]),
              aggregation: aggregationArb,
              label: fc.constant("s"),
            }),
            {
              minLength: 1,
              maxLength: 2,
            },
          ),
          compare: fc.constant(true),
          compareTo: fc.constantFrom("previous" as const, "year" as const),
        }),
        async (data, timezone, input) => {
          const def = trendDefinitionSchema.parse(input);
          fc.pre(def.interval !== "hour" || Date.parse(def.range.to) - Date.parse(def.range.from) <= 60 * DAY);
          await analytics.connection.run("DELETE FROM events");
          await insertEvents(analytics.connection, data.events);
          await insertProfiles(analytics.connection, data.profiles);
          const actual = await trendReport(run, "p1", def, timezone);
          expectClose(actual, refTrend(data, "p1", def, timezone));
          expect(actual.series.every((series) => series.previous?.against === def.compareTo)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("exports a compared trend with the compared bucket, its value and what it is compared with", async () => {
    await analytics.connection.run("DELETE FROM events");
    const at = (iso: string, id: string): RefEvent => ({
      project_id: "p1",
      event_id: id,
      event_name: "a",
      profile_id: null,
      ts: Date.parse(iso),
      props: {},
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    });
    await insertEvents(analytics.connection, [at("2024-02-29T12:00:00Z", "x1"), at("2023-02-28T12:00:00Z", "x2"), at("2023-02-28T13:00:00Z", "x3")]);
    const definition = trendDefinitionSchema.parse({
      range: { from: "2024-02-28T23:00:00Z", to: "2024-03-01T23:00:00Z" },
      series: [{ event: "a", filters: [], label: "a" }],
      compare: true,
      compareTo: "year",
    });
    const table = await reportTable(run, "p1", "Europe/Berlin", { kind: "trend", definition });
    expect(table.columns).toEqual(["series", "bucket", "value", "previous_value", "previous_bucket", "compared_with"]);
    expect(table.rows).toEqual([
      ["a", "2024-02-29T00:00", 1, 2, "2023-02-28T00:00", "year"],
      ["a", "2024-03-01T00:00", 0, 0, "2023-03-01T00:00", "year"],
    ]);
    const plain = await reportTable(run, "p1", "Europe/Berlin", { kind: "trend", definition: { ...definition, compare: false } });
    expect(plain.columns).toEqual(["series", "bucket", "value", "previous_value"]);
  });
});
