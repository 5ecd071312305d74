/**
 * Every report against a plain TypeScript reference, on random small data sets in a real DuckDB
 * (the real DDL): random events over a few profiles, names, props and timestamps spread across
 * daylight-saving changes, two projects, and random definitions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  funnelDefinitionSchema,
  queryDefinitionSchema,
  retentionDefinitionSchema,
  segmentDefinitionSchema,
  trendDefinitionSchema,
  type Aggregation,
  type Filter,
} from "../../src/core/reports";
import { refFunnel, refQuery, refRetention, refSegment, refTrend, type Json, type RefData, type RefEvent } from "./reference";
import { withPersonOverrides } from "./identity";
import { funnelReport, queryReport, retentionReport, segmentReport, trendReport, type RunQuery } from "./reports";
import { analyticsTestDb } from "./testing";

const analytics = analyticsTestDb();
const run = analytics.run;
const seed = analytics.seed;

/**
 * The report in both SQL forms: through the overrides join (this data has none) and as the service
 * builds it for a project without overrides (no join).
 */
async function bothForms<T>(compute: (run: RunQuery) => Promise<T>): Promise<T[]> {
  return [await compute(run), await withPersonOverrides(run, "p1", () => compute(run))];
}

// Slots of 30 minutes from 2024-03-08 (US DST starts 2024-03-10, EU DST 2024-03-31).
const BASE = Date.parse("2024-03-08T00:00:00Z");
const SLOT = 30 * 60_000;
const SLOTS = 26 * 48;
const slotTime = (slot: number) => new Date(BASE + slot * SLOT).toISOString();

const TIMEZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"];
const NAMES = ["a", "b", "c"];
const PROFILES = ["u1", "u2", "u3", "u4", "u5"];

const propsArb = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constantFrom(2.5, 0.25), fc.constant("x")),
    plan: fc.constantFrom("free", "pro", "Pro"),
    flag: fc.boolean(),
  },
  { requiredKeys: [] },
);

const dataArb = fc
  .record({
    // Clusters of nearby slots (around both DST changes and elsewhere): adjacent slots make window edges and ties likely.
    pool: fc
      .array(fc.tuple(fc.constantFrom(90, 100, 110, 1090, 1100, 1106, 600), fc.integer({ min: -12, max: 12 })), { minLength: 3, maxLength: 25 })
      .map((pairs) => [...new Set(pairs.map(([center, offset]) => Math.max(0, Math.min(SLOTS - 1, center + offset))))]),
    events: fc.array(
      fc.record({
        project: fc.constantFrom("p1", "p1", "p1", "p1", "p2"),
        slot: fc.nat(),
        jitter: fc.constantFrom(0, 0, 0, 60_000, 17 * 60_000),
        name: fc.constantFrom(...NAMES),
        profile: fc.option(fc.constantFrom(...PROFILES), { freq: 6 }),
        props: propsArb,
        country: fc.option(fc.constantFrom("DE", "US"), { freq: 3 }),
        browser: fc.option(fc.constantFrom("Chrome", "Firefox"), { freq: 3 }),
      }),
      { minLength: 10, maxLength: 80 },
    ),
    profiles: fc.array(fc.record({ vip: fc.integer({ min: 0, max: 3 }), plan: fc.constantFrom("free", "pro") }, { requiredKeys: [] }), {
      minLength: PROFILES.length,
      maxLength: PROFILES.length,
    }),
  })
  .map(({ pool, events, profiles }): RefData => {
    const refEvents: RefEvent[] = events.map((event, index) => ({
      project_id: event.project,
      // Ids are not in time order, so ties on ts are broken by something other than arrival.
      event_id: `e${String((index * 7919) % 1000).padStart(3, "0")}-${index}`,
      event_name: event.name,
      profile_id: event.profile,
      ts: BASE + pool[event.slot % pool.length]! * SLOT + event.jitter,
      props: event.props as Record<string, Json>,
      ctx: (event.country === null ? {} : { country: event.country }) as Record<string, Json>,
      browser: event.browser,
      os: "Linux",
      device_type: null,
    }));
    const profileMap = new Map<string, Record<string, Json>>();
    PROFILES.forEach((profile, index) => {
      profileMap.set(`p1\u0000${profile}`, profiles[index]!);
      profileMap.set(`p2\u0000${profile}`, { vip: 9, plan: "other" });
    });
    return { events: refEvents, profiles: profileMap };
  });

const FIELDS = [
  "event_name",
  "profile_id",
  "browser",
  "props.amount",
  "props.plan",
  "props.flag",
  "ctx.country",
  "profile.vip",
  "profile.plan",
  "props.missing",
];
const fieldArb = fc.constantFrom(...FIELDS);
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    field: fieldArb,
    op: fc.constantFrom("eq" as const, "neq" as const),
    value: fc.oneof(fc.constantFrom("a", "pro", "DE", "true", "u1"), fc.integer({ min: 0, max: 3 }), fc.boolean()),
  }),
  fc.record({ field: fieldArb, op: fc.constantFrom("contains" as const, "not_contains" as const), value: fc.constantFrom("r", "PRO", "", "e") }),
  fc.record({ field: fieldArb, op: fc.constantFrom("gt" as const, "gte" as const, "lt" as const, "lte" as const), value: fc.constantFrom(0, 2.5, 10, 50, -1) }),
  fc.record({
    field: fieldArb,
    op: fc.constantFrom("in" as const, "not_in" as const),
    values: fc.array(fc.oneof(fc.constantFrom("a", "b", "free", "US", "Chrome"), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ field: fieldArb, op: fc.constantFrom("is_set" as const, "is_not_set" as const) }),
);
const filtersArb = fc.array(filterArb, { maxLength: 2 });
const aggregationArb: fc.Arbitrary<Aggregation> = fc.oneof(
  fc.constant({ op: "count" as const }),
  fc.constant({ op: "unique_profiles" as const }),
  fc.record({
    op: fc.constantFrom("sum" as const, "avg" as const, "min" as const, "max" as const, "p50" as const, "p90" as const, "p99" as const),
    field: fc.constantFrom("props.amount", "profile.vip"),
  }),
);
const rangeArb = fc
  .tuple(fc.oneof(fc.integer({ min: 0, max: SLOTS - 2 }), fc.constantFrom(80, 95, 105, 590, 1085, 1095, 1104)), fc.integer({ min: 12, max: SLOTS }))
  .map(([start, length]) => ({ from: slotTime(start), to: slotTime(Math.min(SLOTS + 48, start + length)) }));
const eventOrAll = fc.option(fc.constantFrom(...NAMES), { freq: 4 });

/** Seeds a fresh data set: the tables are emptied first so each run sees only its own rows. */

/** Deep equality where numbers may differ by floating-point rounding. */
function expectClose(actual: unknown, expected: unknown, path = "result"): void {
  if (typeof expected === "number" && typeof actual === "number") {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, index) => expectClose((actual as unknown[])[index], item, `${path}[${index}]`));
    return;
  }
  if (typeof expected === "object" && expected !== null) {
    expect(typeof actual, path).toBe("object");
    for (const key of Object.keys(expected))
      expectClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

const RUNS = { numRuns: Number(process.env.REPORT_RUNS ?? 60) };

describe("reports match the TypeScript reference", () => {
  it("query: filters, group by up to two fields, every aggregation", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.record({
          range: rangeArb,
          events: fc.subarray(NAMES),
          filters: filtersArb,
          groupBy: fc.subarray(FIELDS, { maxLength: 2 }),
          aggregation: aggregationArb,
          limit: fc.integer({ min: 1, max: 30 }),
        }),
        async (data, input) => {
          await seed(data);
          const def = queryDefinitionSchema.parse(input);
          for (const result of await bothForms((run) => queryReport(run, "p1", def))) expectClose(result, refQuery(data, "p1", def));
        },
      ),
      RUNS,
    );
  });

  it("trend: local buckets across DST, several series, comparison with the previous period", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.record({
          range: rangeArb,
          interval: fc.constantFrom("hour" as const, "day" as const, "week" as const, "month" as const),
          series: fc.array(fc.record({ event: eventOrAll, filters: filtersArb, aggregation: aggregationArb, label: fc.constant("s") }), {
            minLength: 1,
            maxLength: 3,
          }),
          filters: filtersArb,
          compare: fc.boolean(),
        }),
        async (data, timezone, input) => {
          await seed(data);
          const def = trendDefinitionSchema.parse(input);
          for (const result of await bothForms((run) => trendReport(run, "p1", def, timezone))) expectClose(result, refTrend(data, "p1", def, timezone));
        },
      ),
      RUNS,
    );
  });

  it("funnel: ordered steps, ties, conversion window, breakdown and conversion over time", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.record({
          range: rangeArb,
          steps: fc.array(fc.record({ event: fc.constantFrom(...NAMES), filters: fc.array(filterArb, { maxLength: 1 }) }), { minLength: 2, maxLength: 5 }),
          windowSeconds: fc.constantFrom(60, 1800, 1800, 3600, 86_400, 7 * 86_400),
          filters: fc.array(filterArb, { maxLength: 1 }),
          breakdown: fc.option(fieldArb),
          breakdownLimit: fc.integer({ min: 1, max: 5 }),
          interval: fc.constantFrom("day" as const, "week" as const),
        }),
        async (data, timezone, input) => {
          await seed(data);
          const def = funnelDefinitionSchema.parse(input);
          for (const result of await bothForms((run) => funnelReport(run, "p1", def, timezone))) expectClose(result, refFunnel(data, "p1", def, timezone));
        },
      ),
      RUNS,
    );
  });

  // Two profiles trying again and again with short windows: later attempts often get further than
  // earlier ones, which the general data above makes rare.
  const retriesArb = dataArb.map((data): RefData => ({
    ...data,
    events: data.events.map((event) => ({ ...event, profile_id: event.profile_id === null ? null : event.profile_id < "u3" ? "u1" : "u2" })),
  }));
  const retryFunnelArb = fc.record({
    range: rangeArb,
    steps: fc.array(fc.record({ event: fc.constantFrom(...NAMES), filters: fc.array(filterArb, { maxLength: 1 }) }), { minLength: 2, maxLength: 4 }),
    windowSeconds: fc.constantFrom(60, 1800, 3600, 7200),
    filters: fc.constant([]),
    breakdown: fc.option(fieldArb),
    breakdownLimit: fc.constant(5),
    interval: fc.constantFrom("day" as const, "week" as const),
  });

  it("funnel: every step-1 event starts an attempt, and each profile counts by its best one", async () => {
    await fc.assert(
      fc.asyncProperty(retriesArb, fc.constantFrom(...TIMEZONES), retryFunnelArb, async (data, timezone, input) => {
        await seed(data);
        const def = funnelDefinitionSchema.parse(input);
        for (const result of await bothForms((run) => funnelReport(run, "p1", def, timezone))) expectClose(result, refFunnel(data, "p1", def, timezone));
      }),
      RUNS,
    );
  });

  it("funnel: widening the range never lowers a step's count", async () => {
    await fc.assert(
      fc.asyncProperty(retriesArb, retryFunnelArb, fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), async (data, input, earlier, later) => {
        await seed(data);
        const def = funnelDefinitionSchema.parse(input);
        const wide = funnelDefinitionSchema.parse({
          ...input,
          range: {
            from: new Date(Date.parse(input.range.from) - earlier * SLOT).toISOString(),
            to: new Date(Date.parse(input.range.to) + later * SLOT).toISOString(),
          },
        });
        const narrow = await funnelReport(run, "p1", def, "UTC");
        const widened = await funnelReport(run, "p1", wide, "UTC");
        expectClose(widened, refFunnel(data, "p1", wide, "UTC"));
        narrow.steps.forEach((step, index) => expect(widened.steps[index]!.count, step.label).toBeGreaterThanOrEqual(step.count));
      }),
      RUNS,
    );
  });

  // Long runs of step-1 events between rarer later steps, minutes apart with ties, and steps that
  // repeat an event (a page_view funnel): many starts share one chain, and which of them is
  // reported, and how far each gets, turns on the window edges.
  const runsArb = fc
    .array(
      fc.record({
        minute: fc.integer({ min: 0, max: 240 }),
        name: fc.constantFrom("a", "a", "a", "a", "a", "b", "b", "c"),
        profile: fc.constantFrom("u1", "u1", "u2"),
        plan: fc.constantFrom("free", "pro"),
      }),
      { minLength: 5, maxLength: 60 },
    )
    .map((events): RefData => ({
      events: events.map((event, index) => ({
        project_id: "p1",
        event_id: `e${String((index * 7919) % 1000).padStart(3, "0")}-${index}`,
        event_name: event.name,
        profile_id: event.profile,
        ts: BASE + 2 * 86_400_000 + event.minute * 60_000,
        props: { plan: event.plan },
        ctx: {},
        browser: null,
        os: null,
        device_type: null,
      })),
      profiles: new Map(),
    }));
  const runsFunnelArb = fc.record({
    range: fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 10, max: 260 })).map(([start, length]) => ({
      from: new Date(BASE + 2 * 86_400_000 + start * 60_000).toISOString(),
      to: new Date(BASE + 2 * 86_400_000 + (start + length) * 60_000).toISOString(),
    })),
    steps: fc.array(fc.record({ event: fc.constantFrom("a", "a", "b", "c") }), { minLength: 2, maxLength: 5 }),
    windowSeconds: fc.constantFrom(60, 300, 600, 1800, 3600),
    filters: fc.constant([]),
    breakdown: fc.option(fc.constant("props.plan")),
    breakdownLimit: fc.constant(5),
    interval: fc.constant("day" as const),
  });

  it("funnel: runs of step-1 events between later steps, and repeated step events", async () => {
    await fc.assert(
      fc.asyncProperty(runsArb, runsFunnelArb, async (data, input) => {
        await seed(data);
        const def = funnelDefinitionSchema.parse(input);
        expectClose(await funnelReport(run, "p1", def, "UTC"), refFunnel(data, "p1", def, "UTC"));
      }),
      RUNS,
    );
  });

  it("segment: top N and other", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.record({
          range: rangeArb,
          event: eventOrAll,
          filters: filtersArb,
          breakdown: fieldArb,
          aggregation: aggregationArb,
          topN: fc.integer({ min: 1, max: 4 }),
        }),
        async (data, input) => {
          await seed(data);
          const def = segmentDefinitionSchema.parse(input);
          for (const result of await bothForms((run) => segmentReport(run, "p1", def))) expectClose(result, refSegment(data, "p1", def));
        },
      ),
      RUNS,
    );
  });

  it("retention: cohorts by first event, returns by day or week", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.record({
          range: rangeArb,
          cohortEvent: eventOrAll,
          returnEvent: eventOrAll,
          interval: fc.constantFrom("day" as const, "week" as const),
          periods: fc.integer({ min: 1, max: 10 }),
          filters: fc.array(filterArb, { maxLength: 1 }),
        }),
        async (data, timezone, input) => {
          await seed(data);
          const def = retentionDefinitionSchema.parse(input);
          for (const result of await bothForms((run) => retentionReport(run, "p1", def, timezone)))
            expectClose(result, refRetention(data, "p1", def, timezone));
        },
      ),
      RUNS,
    );
  });
});

describe("funnel edges", () => {
  const event = (id: string, name: string, ts: string): RefEvent => ({
    project_id: "p1",
    event_id: id,
    event_name: name,
    profile_id: "u1",
    ts: Date.parse(ts),
    props: {},
    ctx: {},
    browser: null,
    os: null,
    device_type: null,
  });
  const def = funnelDefinitionSchema.parse({
    range: { from: "2024-03-09T00:00:00Z", to: "2024-03-10T00:00:00Z" },
    steps: [{ event: "a" }, { event: "b" }, { event: "b" }],
    windowSeconds: 3600,
  });

  it("counts a step exactly one window after the start, not one a millisecond later, and never one event for two steps", async () => {
    const data: RefData = {
      events: [
        event("e2", "a", "2024-03-09T10:00:00Z"),
        // Same instant as the start but a smaller id: before it in (ts, id) order, so it does not count.
        event("e1", "b", "2024-03-09T10:00:00Z"),
        event("e3", "b", "2024-03-09T10:30:00Z"),
        event("e4", "b", "2024-03-09T11:00:00.001Z"),
      ],
      profiles: new Map(),
    };
    await seed(data);
    const result = await funnelReport(run, "p1", def, "UTC");
    expect(result.steps.map((step) => step.count)).toEqual([1, 1, 0]);
    expectClose(result, refFunnel(data, "p1", def, "UTC"));

    const edge: RefData = { ...data, events: [...data.events.slice(0, 3), event("e5", "b", "2024-03-09T11:00:00Z")] };
    await seed(edge);
    const reached = await funnelReport(run, "p1", def, "UTC");
    expect(reached.steps.map((step) => step.count)).toEqual([1, 1, 1]);
    expect(reached.steps[2]!.medianSecondsFromPrevious).toBe(1800);
    expectClose(reached, refFunnel(edge, "p1", def, "UTC"));
  });

  it("counts a profile that abandons an attempt and completes a later one as completed, with that attempt's times", async () => {
    const week = funnelDefinitionSchema.parse({
      range: { from: "2024-03-04T00:00:00Z", to: "2024-03-11T00:00:00Z" },
      steps: [{ event: "view" }, { event: "cart" }, { event: "buy" }],
      windowSeconds: 86_400,
    });
    const data: RefData = {
      events: [
        // Monday: views, puts in the cart, leaves; Thursday's cart comes too late for Monday's window.
        event("m1", "view", "2024-03-04T09:00:00Z"),
        event("m2", "cart", "2024-03-04T09:10:00Z"),
        // Thursday: back, and through to the end in 40 minutes.
        event("t1", "view", "2024-03-07T18:00:00Z"),
        event("t2", "cart", "2024-03-07T18:30:00Z"),
        event("t3", "buy", "2024-03-07T18:40:00Z"),
      ],
      profiles: new Map(),
    };
    await seed(data);
    const result = await funnelReport(run, "p1", week, "UTC");
    expect(result.steps.map((step) => step.count)).toEqual([1, 1, 1]);
    expect(result.steps.map((step) => step.medianSecondsFromPrevious)).toEqual([null, 1800, 600]);
    expect(result.overTime.filter((day) => day.started > 0)).toEqual([{ bucket: "2024-03-07T00:00", started: 1, completed: 1, conversion: 100 }]);
    expectClose(result, refFunnel(data, "p1", week, "UTC"));

    // Thursday alone counts the same: a wider range never turns a completion into a drop-off.
    const thursday = funnelDefinitionSchema.parse({ ...week, range: { from: "2024-03-07T00:00:00Z", to: "2024-03-08T00:00:00Z" } });
    expect((await funnelReport(run, "p1", thursday, "UTC")).steps.map((step) => step.count)).toEqual([1, 1, 1]);

    // Two starts reaching the same last event: the earliest start is the one reported.
    const twice: RefData = {
      ...data,
      events: [event("r1", "view", "2024-03-05T10:00:00Z"), event("r2", "view", "2024-03-05T10:05:00Z"), event("r3", "cart", "2024-03-05T10:10:00Z")],
    };
    await seed(twice);
    const tie = await funnelReport(run, "p1", week, "UTC");
    expect(tie.steps.map((step) => [step.count, step.medianSecondsFromPrevious])).toEqual([
      [1, null],
      [1, 600],
      [0, null],
    ]);
    expectClose(tie, refFunnel(twice, "p1", week, "UTC"));
  });
});
