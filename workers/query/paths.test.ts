/**
 * Paths against the plain-loop reference on random data in a real DuckDB (the real DDL), and one
 * worked example a person can check by hand.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pathsDefinitionSchema, type Filter } from "../../src/core/reports";
import { reportTable } from "./export";
import { pathsReport } from "./paths";
import { refPaths, type Json, type RefData, type RefEvent } from "./reference";
import { analyticsTestDb } from "./testing";

const analytics = analyticsTestDb();
const run = analytics.run;
const seed = analytics.seed;

const BASE = Date.parse("2024-03-08T00:00:00Z");
const MINUTE = 60_000;
const NAMES = ["view", "cart", "buy", "Search", "é"];
const PROFILES = ["u1", "u2", "u3", "u4", "u5", "u6"];

const dataArb = fc
  .record({
    events: fc.array(
      fc.record({
        project: fc.constantFrom("p1", "p1", "p1", "p1", "p2"),
        // Minutes in a few bursts, so sessions, their edges (exactly the gap apart) and ties are common.
        minute: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 100, max: 130 }), fc.constantFrom(0, 30, 60, 61, 90, 1440)),
        sameMinute: fc.constantFrom(0, 0, 0, 1, 59_999),
        name: fc.constantFrom(...NAMES),
        profile: fc.option(fc.constantFrom(...PROFILES), { freq: 8 }),
        plan: fc.option(fc.constantFrom("free", "pro")),
      }),
      { minLength: 20, maxLength: 120, size: "medium" },
    ),
    vip: fc.array(fc.boolean(), { minLength: PROFILES.length, maxLength: PROFILES.length }),
    // Someone repeating one event every minute or so (reloading a page): a session longer than the
    // report's first look ahead from the start, with few steps in it, so the walk must go on.
    streaks: fc.array(
      fc.record({
        profile: fc.constantFrom("s1", "s2", "u1"),
        name: fc.constantFrom(...NAMES),
        start: fc.integer({ min: 0, max: 60 }),
        length: fc.integer({ min: 1, max: 80 }),
        then: fc.option(fc.constantFrom(...NAMES)),
      }),
      { maxLength: 2 },
    ),
  })
  .map(({ events: scattered, vip, streaks }): RefData => {
    const events = [
      ...scattered,
      ...streaks.flatMap((streak) => [
        ...Array.from({ length: streak.length }, (_, step) => ({ ...streak, project: "p1", minute: streak.start + step, sameMinute: 0, plan: null })),
        ...(streak.then === null ? [] : [{ ...streak, name: streak.then, project: "p1", minute: streak.start + streak.length, sameMinute: 0, plan: null }]),
      ]),
    ];
    const refEvents: RefEvent[] = events.map((event, index) => ({
      project_id: event.project,
      // Ids are not in time order, so ties on ts are broken by something other than arrival.
      event_id: `e${String((index * 7919) % 1000).padStart(3, "0")}-${index}`,
      event_name: event.name,
      profile_id: event.profile,
      ts: BASE + event.minute * MINUTE + event.sameMinute,
      props: (event.plan === null ? {} : { plan: event.plan }) as Record<string, Json>,
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    }));
    const profiles = new Map<string, Record<string, Json>>(PROFILES.map((profile, index) => [`p1\u0000${profile}`, { vip: vip[index]! }]));
    return { events: refEvents, profiles };
  });

const filterArb: fc.Arbitrary<Filter> = fc.constantFrom<Filter>(
  { field: "props.plan", op: "eq", value: "pro" },
  { field: "props.plan", op: "is_set" },
  { field: "profile.vip", op: "eq", value: "true" },
  { field: "event_name", op: "neq", value: "Search" },
);

const defArb = fc.record({
  range: fc
    .tuple(fc.integer({ min: -10, max: 120 }), fc.integer({ min: 1, max: 2000 }))
    .map(([start, length]) => ({ from: new Date(BASE + start * MINUTE).toISOString(), to: new Date(BASE + (start + length) * MINUTE).toISOString() })),
  event: fc.constantFrom(...NAMES),
  direction: fc.constantFrom("after" as const, "before" as const),
  depth: fc.integer({ min: 1, max: 5 }),
  topN: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 8 })),
  sessionGapSeconds: fc.constantFrom(60, 600, 1800, 86_400),
  filters: fc.oneof(fc.constant([]), fc.array(filterArb, { maxLength: 2 })),
});

const RUNS = { numRuns: Number(process.env.REPORT_RUNS ?? 100) };

describe("paths", () => {
  it("match the reference: first occurrence per person, the session's next or previous steps, repeats collapsed, top N", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, defArb, async (data, input) => {
        await seed(data);
        const def = pathsDefinitionSchema.parse(input);
        expect(await pathsReport(run, "p1", def)).toEqual(refPaths(data, "p1", def));
      }),
      RUNS,
    );
  });

  it("follow merged identities as one person", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, defArb, async (data, input) => {
        await seed(data);
        // u2's events are u1's (an identify merged them): one person, one path.
        await analytics.connection.run("DELETE FROM person_overrides");
        await analytics.connection.run("INSERT INTO person_overrides VALUES ('p1', 'u2', 'u1', now())");
        const def = pathsDefinitionSchema.parse(input);
        const overrides = new Map([["p1\u0000u2", "u1"]]);
        expect(await pathsReport(run, "p1", def)).toEqual(refPaths({ ...data, overrides }, "p1", def));
        await analytics.connection.run("DELETE FROM person_overrides");
      }),
      { numRuns: 30 },
    );
  });

  it("a worked example: where people went after viewing, and what led to a purchase", async () => {
    const at = (minute: number) => BASE + minute * MINUTE;
    let id = 0;
    const event = (profile: string, name: string, minute: number): RefEvent => ({
      project_id: "p1",
      event_id: `x${String(id++).padStart(3, "0")}`,
      event_name: name,
      profile_id: profile,
      ts: at(minute),
      props: {},
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    });
    const data: RefData = {
      events: [
        // u1: views twice (one step), carts, buys; views again later (only the first view counts).
        event("u1", "view", 0),
        event("u1", "view", 1),
        event("u1", "cart", 2),
        event("u1", "buy", 3),
        event("u1", "view", 10),
        // u2: searches, views, carts, then comes back two hours later (a new session) and buys.
        event("u2", "search", 0),
        event("u2", "view", 5),
        event("u2", "cart", 6),
        event("u2", "buy", 126),
        // u3: views and leaves.
        event("u3", "view", 0),
        // u4: never views.
        event("u4", "cart", 0),
      ],
      profiles: new Map(),
    };
    await seed(data);
    const range = { from: new Date(at(-60)).toISOString(), to: new Date(at(600)).toISOString() };

    const after = pathsDefinitionSchema.parse({ range, event: "view", direction: "after", depth: 3 });
    expect(await pathsReport(run, "p1", after)).toEqual({
      persons: 3,
      paths: [
        { steps: ["view"], count: 1 },
        { steps: ["view", "cart"], count: 1 },
        { steps: ["view", "cart", "buy", "view"], count: 1 },
      ],
      other: 0,
    });

    const top1 = pathsDefinitionSchema.parse({ range, event: "view", direction: "after", depth: 1, topN: 1 });
    expect(await pathsReport(run, "p1", top1)).toEqual({ persons: 3, paths: [{ steps: ["view", "cart"], count: 2 }], other: 1 });

    const before = pathsDefinitionSchema.parse({ range, event: "buy", direction: "before", depth: 5 });
    expect(await pathsReport(run, "p1", before)).toEqual({
      persons: 2,
      paths: [
        { steps: ["buy"], count: 1 },
        { steps: ["view", "cart", "buy"], count: 1 },
      ],
      other: 0,
    });
    expect(refPaths(data, "p1", before)).toEqual(await pathsReport(run, "p1", before));

    // Exported one column per step, people outside the top N as one row.
    expect(await reportTable(run, "p1", "UTC", { kind: "paths", definition: top1 })).toEqual({
      columns: ["people", "step_1", "step_2"],
      rows: [
        [2, "view", "cart"],
        [1, "(other)", null],
      ],
    });
  });
});
