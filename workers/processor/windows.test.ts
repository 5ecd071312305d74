import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALLOWED_LATENESS_MS, ProfileWindows, type WindowEntry } from "./windows";

const NAMES = ["purchase", "login", "view"] as const;
const DURATIONS = [1000, 60_000, 5 * 60_000, 60 * 60_000] as const;
/** Shorter than the events' time span, so pruning really drops entries. */
const PRUNE_DURATIONS = [1000, 60_000, 5 * 60_000] as const;

/** The answer by definition: filter everything, no indexes, no pruning. */
function reference(entries: WindowEntry[], at: { t: number; id: string }, name: string, prop: string, durationMs: number) {
  const inside = entries.filter((e) => e.n === name && (e.t < at.t || (e.t === at.t && e.id <= at.id)) && e.t > at.t - durationMs);
  const numbers = inside.map((e) => e.v?.[prop]).filter((v): v is number => typeof v === "number");
  const distinct = new Set(inside.map((e) => e.v?.[prop]).filter((v) => typeof v === "number" || typeof v === "string"));
  return {
    count: inside.length,
    sum: numbers.reduce((a, b) => a + b, 0),
    avg: numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : null,
    min: numbers.length ? Math.min(...numbers) : null,
    max: numbers.length ? Math.max(...numbers) : null,
    distinct: distinct.size,
  };
}

function answers(windows: ProfileWindows, at: { t: number; id: string }, name: string, prop: string, durationMs: number) {
  const reader = windows.reader(at);
  return {
    count: reader.count(name, durationMs),
    sum: reader.sum(name, prop, durationMs),
    avg: reader.avg(name, prop, durationMs),
    min: reader.min(name, prop, durationMs),
    max: reader.max(name, prop, durationMs),
    distinct: reader.distinct(name, prop, durationMs),
  };
}

/** Sums in a different order may differ in the last bits. */
function expectClose(actual: ReturnType<typeof answers>, expected: ReturnType<typeof answers>) {
  expect({ ...actual, sum: 0, avg: actual.avg === null }).toEqual({ ...expected, sum: 0, avg: expected.avg === null });
  expect(actual.sum).toBeCloseTo(expected.sum, 6);
  if (expected.avg !== null) expect(actual.avg).toBeCloseTo(expected.avg, 6);
}

const propValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  // Props arrive as JSON, which has no -0.
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((value) => (Object.is(value, -0) ? 0 : value)),
  fc.constantFrom("a", "b", "1"),
  fc.constant(undefined),
);

/** Events with unique ids; times cluster so that equal times (ordered by id) happen. */
const eventsArb = fc
  .array(
    fc.record({
      n: fc.constantFrom(...NAMES),
      t: fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(0, 1000, 60_000, 300_000)),
      amount: propValue,
      sku: fc.constantFrom("x", "y", "z"),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((raw) =>
    raw.map((e, i): WindowEntry => ({
      id: `e${String(i).padStart(3, "0")}`,
      n: e.n,
      t: e.t,
      v: e.amount === undefined ? { sku: e.sku } : { amount: e.amount, sku: e.sku },
    })),
  );

describe("ProfileWindows", () => {
  it("answers every window function like a brute-force filter, whatever the arrival order and however often an event is redelivered", () => {
    fc.assert(
      fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 20 }), fc.integer(), (events, redeliveries, seed) => {
        const arrival = fc.sample(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), { seed, numRuns: 1 })[0]!;
        for (const index of redeliveries) arrival.splice(index % (arrival.length + 1), 0, events[index % events.length]!);
        const windows = new ProfileWindows();
        const added = arrival.map((entry) => windows.add({ ...entry }));
        expect(added.filter(Boolean)).toHaveLength(events.length);
        expect(windows.size).toBe(events.length);
        for (const at of events) {
          for (const name of NAMES) {
            for (const duration of DURATIONS) {
              for (const prop of ["amount", "sku", "missing"])
                expectClose(answers(windows, at, name, prop, duration), reference(events, at, name, prop, duration));
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("gives the same answers for events within the allowed lateness after pruning, redelivery and a JSON round trip", () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.array(fc.oneof(fc.integer({ min: 0, max: ALLOWED_LATENESS_MS }), fc.constant(ALLOWED_LATENESS_MS)), { minLength: 60, maxLength: 60 }),
        fc.array(fc.constantFrom("prune", "reload", "redeliver", "nothing"), { minLength: 60, maxLength: 60 }),
        (events, delays, steps) => {
          // Arrival by time plus a delay within the lateness: no event arrives later than allowed.
          const arrival = events.map((e, i) => ({ e, key: e.t + delays[i]! })).sort((a, b) => a.key - b.key || a.e.id.localeCompare(b.e.id));
          let windows = new ProfileWindows();
          const seen: WindowEntry[] = [];
          arrival.forEach(({ e }, i) => {
            windows.add(e);
            seen.push(e);
            for (const name of NAMES) {
              for (const duration of PRUNE_DURATIONS) expectClose(answers(windows, e, name, "amount", duration), reference(seen, e, name, "amount", duration));
            }
            const step = steps[i]!;
            if (step === "prune") windows.prune(Math.max(...PRUNE_DURATIONS));
            if (step === "reload") windows = new ProfileWindows(JSON.parse(JSON.stringify(windows.toJSON())) as WindowEntry[]);
            if (step === "redeliver") expect(windows.add(seen[i % seen.length]!)).toBe(false);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("survives a JSON round trip unchanged, in (time, id) order", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const windows = new ProfileWindows(events);
        const json = windows.toJSON();
        expect(new ProfileWindows(JSON.parse(JSON.stringify(json)) as WindowEntry[]).toJSON()).toEqual(json);
        expect([...json].sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1))).toEqual(json);
        expect(json).toHaveLength(events.length);
      }),
    );
  });

  it("keeps memory bounded: prune drops what no event within the lateness can see", () => {
    const windows = new ProfileWindows();
    for (let i = 0; i < 10_000; i++) windows.add({ id: `e${i}`, n: "view", t: i * 1000 });
    windows.prune(60_000);
    // Newest is 9_999_000; kept: t > 9_999_000 - 60_000 - 300_000.
    expect(windows.size).toBe(360);
    expect(windows.add({ id: "old", n: "view", t: 1000 })).toBe(false);
    expect(windows.add({ id: "late-but-allowed", n: "view", t: 9_999_000 - ALLOWED_LATENESS_MS })).toBe(true);
  });

  it("skips malformed stored entries instead of trusting them", () => {
    const stored = [{ id: "a", n: "view", t: 1 }, { id: 1, n: "view", t: 2 }, null, { id: "b", n: "view", t: "3" }, { id: "c", n: "view", t: 4, v: [1] }];
    const windows = new ProfileWindows(stored as unknown as WindowEntry[]);
    expect(windows.toJSON()).toEqual([{ id: "a", n: "view", t: 1 }]);
  });

  it("counts over thousands of entries as a plain scan would", () => {
    const windows = new ProfileWindows();
    for (let i = 0; i < 5000; i++) windows.add({ id: `e${String(i).padStart(5, "0")}`, n: i % 2 ? "view" : "purchase", t: i * 100, v: { amount: i } });
    for (const at of [0, 100, 59_900, 250_000, 499_900]) {
      // purchases are the even i, at t = i * 100, counted in (at - 60 s, at]
      let expected = 0;
      for (let i = 0; i < 5000; i += 2) if (i * 100 <= at && i * 100 > at - 60_000) expected++;
      expect(windows.reader({ t: at, id: "e99999" }).count("purchase", 60_000)).toBe(expected);
    }
  });
});
