import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_BACKTEST, mergeBacktest, summarizeBacktest, type BacktestFiring } from "./backtest";

const DAY = 24 * 3600 * 1000;
const firingArb: fc.Arbitrary<BacktestFiring> = fc.record({
  eventId: fc.uuid(),
  eventName: fc.constant("purchase"),
  profileId: fc.constant(null),
  person: fc.constantFrom("ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", null),
  at: fc.integer({ min: 1_800_000_000_000, max: 1_800_000_000_000 + 5 * DAY }),
  result: fc.constantFrom("fired" as const, "fired" as const, "error" as const),
  error: fc.constant(null),
});

describe("summarizeBacktest and mergeBacktest", () => {
  it("counts firings, errors, persons, days and the top persons", () => {
    const firing = (person: string | null, at: number, result: "fired" | "error" = "fired"): BacktestFiring => ({
      eventId: `${person}-${at}`,
      eventName: "purchase",
      profileId: person,
      person,
      at,
      result,
      error: result === "error" ? "no such key" : null,
    });
    const day = Date.parse("2027-01-05T10:00:00Z");
    const summary = summarizeBacktest(50, [firing("bob", day), firing("ann", day), firing("bob", day + DAY), firing(null, day), firing("cy", day, "error")]);
    expect(summary).toMatchObject({ events: 50, fired: 4, errors: 1, profiles: 2, firstError: "no such key" });
    expect(summary.perDay).toEqual({ "2027-01-05": 3, "2027-01-06": 1 });
    expect(summary.topProfiles).toEqual([
      { person: "bob", fired: 2 },
      { person: "ann", fired: 1 },
    ]);
  });

  it("give the same summary page by page as at once, when pages hold whole persons", () => {
    fc.assert(
      fc.property(fc.array(firingArb, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 6 }), (firings, cuts) => {
        // Grouped by person as the pages are read; anonymous firings first.
        const grouped = [...firings].sort((a, b) => (a.person ?? "").localeCompare(b.person ?? ""));
        const persons = [...new Set(grouped.map((firing) => firing.person))];
        const bounds = [...new Set(cuts.map((cut) => cut % (persons.length + 1)))].sort((a, b) => a - b);
        let merged = EMPTY_BACKTEST;
        let start = 0;
        for (const end of [...bounds, persons.length]) {
          const page = grouped.filter((firing) => persons.slice(start, end).includes(firing.person));
          merged = mergeBacktest(merged, summarizeBacktest(page.length, page));
          start = end;
        }
        expect(merged).toEqual(summarizeBacktest(grouped.length, grouped));
      }),
      { numRuns: 200 },
    );
  });
});
