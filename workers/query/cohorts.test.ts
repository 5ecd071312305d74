/**
 * Cohort membership SQL in a real DuckDB (the real DDL): examples, then every report kind with
 * random cohort filters and breakdowns against the TypeScript reference, over random events,
 * profiles, static lists and merged identities (both SQL forms: with and without the overrides join).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMerge, personOf } from "../../src/core/identity";
import { dynamicCohortDefinitionSchema, type ResolvedCohort } from "../../src/core/cohorts";
import {
  funnelDefinitionSchema,
  pathsDefinitionSchema,
  queryDefinitionSchema,
  retentionDefinitionSchema,
  segmentDefinitionSchema,
  trendDefinitionSchema,
  type CohortFilter,
} from "../../src/core/reports";
import {
  buildCohortCount,
  buildCohortMemberPage,
  buildReplaceStaticMembers,
  cohortContext,
  cohortMembers,
  withCohortBreakdown,
  type CohortContext,
} from "./cohorts";
import { withPersonOverrides } from "./identity";
import { pathsReport } from "./paths";
import {
  refCohortMembers,
  refFunnel,
  refPaths,
  refQuery,
  refRetention,
  refSegment,
  refTrend,
  refWithCohorts,
  type Json,
  type RefCohorts,
  type RefData,
  type RefEvent,
} from "./reference";
import { funnelReport, queryReport, retentionReport, segmentReport, trendReport, type RunQuery } from "./reports";
import { analyticsTestDb, insertEvents, insertProfiles } from "./testing";

const analytics = analyticsTestDb();
const NOW = "2024-04-01T00:00:00.000Z";
const DAY = 86_400_000;

const event = (id: string, name: string, profile: string | null, daysAgo: number, props: RefEvent["props"] = {}): RefEvent => ({
  project_id: "p1",
  event_id: id,
  event_name: name,
  profile_id: profile,
  ts: Date.parse(NOW) - daysAgo * DAY,
  props,
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
});

const dynamic = (id: string, definition: unknown): ResolvedCohort => ({
  id,
  key: id,
  name: id,
  kind: "dynamic",
  definition: dynamicCohortDefinitionSchema.parse(definition),
  version: "1",
});
const staticCohort = (id: string): ResolvedCohort => ({ id, key: id, name: id, kind: "static", definition: null, version: "1" });

const data: RefData = {
  events: [
    event("e1", "purchase", "u1", 1),
    event("e2", "purchase", "u1", 2),
    event("e3", "purchase", "u1", 40),
    event("e4", "purchase", "u2", 3, { amount: 5 }),
    event("e5", "purchase", "anon", 3),
    event("e6", "view", "u3", 1),
    event("e7", "purchase", null, 1),
  ],
  profiles: new Map([
    ["p1\u0000u1", { plan: "pro" }],
    ["p1\u0000u2", { plan: "free" }],
    ["p1\u0000u4", { plan: "pro" }],
    ["p2\u0000u9", { plan: "pro" }],
  ]),
};

describe("cohort membership", () => {
  it("counts purchases in the window, reads profiles, and combines conditions", async () => {
    await analytics.seed(data);
    const twice = dynamic("twice", { conditions: [{ kind: "behaviour", event: "purchase", comparison: "at_least", count: 2, days: 30 }] });
    expect((await cohortMembers(analytics.run, "p1", twice, NOW)).sort()).toEqual(["u1"]);
    const pro = dynamic("pro", { conditions: [{ kind: "prop", filter: { field: "profile.plan", op: "eq", value: "pro" } }] });
    expect((await cohortMembers(analytics.run, "p1", pro, NOW)).sort()).toEqual(["u1", "u4"]);
    const none = dynamic("none", { conditions: [{ kind: "behaviour", event: "purchase", comparison: "exactly", count: 0, days: 30 }] });
    expect((await cohortMembers(analytics.run, "p1", none, NOW)).sort()).toEqual(["u4"]);
    const either = dynamic("either", {
      match: "any",
      conditions: [
        { kind: "prop", filter: { field: "profile.plan", op: "eq", value: "free" } },
        { kind: "behaviour", event: "purchase", filters: [], comparison: "at_least", count: 1, days: 5 },
      ],
    });
    expect((await cohortMembers(analytics.run, "p1", either, NOW)).sort()).toEqual(["anon", "u1", "u2"]);
    const [count] = await analytics.run(buildCohortCount("p1", either, NOW));
    expect(Number(count?.n)).toBe(3);
    const page = await analytics.run(buildCohortMemberPage("p1", either, NOW, "anon", 1));
    expect(page.map((row) => row.profile_id)).toEqual(["u1", "u2"]);
  });

  it("stores static members and reads them through person overrides", async () => {
    await analytics.seed(data);
    await analytics.runner.transaction(buildReplaceStaticMembers("p1", "vips", ["anon", "u3", "anon"]));
    await analytics.connection.run("DELETE FROM person_overrides");
    await analytics.connection.run("INSERT INTO person_overrides VALUES ('p1', 'anon', 'u2', now())");
    try {
      expect((await cohortMembers(analytics.run, "p1", staticCohort("vips"), NOW)).sort()).toEqual(["anon", "u2", "u3"]);
      const [count] = await analytics.run(buildCohortCount("p1", staticCohort("vips"), NOW));
      expect(Number(count?.n)).toBe(2);
      expect(await cohortMembers(analytics.run, "p2", staticCohort("vips"), NOW)).toEqual([]);
    } finally {
      await analytics.connection.run("DELETE FROM person_overrides");
    }
  });
});

// Random data, cohorts and reports ------------------------------------------------------------------

const BASE = Date.parse("2024-03-01T00:00:00Z");
const HOUR = 3_600_000;
const IDS = ["anon-1", "anon-2", "u1", "u2", "u3", "u4"];
const NAMES = ["a", "b", "c"];
const COHORT_IDS = ["c_dyn1", "c_dyn2", "c_static"];

const conditionArb = fc.oneof(
  fc.record({
    kind: fc.constant("prop" as const),
    filter: fc.oneof(
      fc.record({ field: fc.constant("profile.plan"), op: fc.constantFrom("eq" as const, "neq" as const), value: fc.constantFrom("free", "pro") }),
      fc.record({ field: fc.constant("profile.vip"), op: fc.constantFrom("gte" as const, "lt" as const), value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ field: fc.constant("profile.plan"), op: fc.constantFrom("is_set" as const, "is_not_set" as const) }),
    ),
  }),
  fc.record({
    kind: fc.constant("behaviour" as const),
    event: fc.constantFrom(...NAMES),
    filters: fc.constantFrom([], [{ field: "props.amount", op: "gt" as const, value: 20 }], [{ field: "profile.plan", op: "eq" as const, value: "pro" }]),
    comparison: fc.constantFrom("at_least" as const, "at_most" as const, "exactly" as const),
    count: fc.integer({ min: 0, max: 3 }),
    days: fc.integer({ min: 1, max: 15 }),
  }),
);
const definitionArb = fc.record({ match: fc.constantFrom("all" as const, "any" as const), conditions: fc.array(conditionArb, { minLength: 1, maxLength: 3 }) });

const dataArb = fc.record({
  events: fc.array(
    fc.record({
      project: fc.constantFrom("p1", "p1", "p1", "p2"),
      hour: fc.integer({ min: 0, max: 24 * 20 }),
      name: fc.constantFrom(...NAMES),
      profile: fc.option(fc.constantFrom(...IDS, "ghost"), { freq: 8 }),
      amount: fc.integer({ min: 0, max: 50 }),
    }),
    { minLength: 5, maxLength: 50 },
  ),
  merges: fc.array(fc.tuple(fc.constantFrom("p1", "p2"), fc.constantFrom(...IDS), fc.constantFrom(...IDS)), { maxLength: 4 }),
  profiles: fc.array(fc.option(fc.record({ plan: fc.constantFrom("free", "pro"), vip: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] })), {
    minLength: IDS.length,
    maxLength: IDS.length,
  }),
  staticMembers: fc.subarray([...IDS, "ghost", "never-seen"]),
  dyn1: definitionArb,
  dyn2: definitionArb,
  nowHour: fc.integer({ min: 24 * 5, max: 24 * 22 }),
});

type Scenario = { data: RefData; perProject: Map<string, Map<string, string>>; cohorts: RefCohorts };

type DataInput = typeof dataArb extends fc.Arbitrary<infer T> ? T : never;

function scenario(input: DataInput): Scenario {
  const events: RefEvent[] = input.events.map((event, index) => ({
    project_id: event.project,
    event_id: `e${String((index * 7919) % 1000).padStart(3, "0")}-${index}`,
    event_name: event.name,
    profile_id: event.profile,
    ts: BASE + event.hour * HOUR,
    props: { amount: event.amount },
    ctx: {},
    browser: null,
    os: null,
    device_type: null,
  }));
  const perProject = new Map<string, Map<string, string>>([
    ["p1", new Map()],
    ["p2", new Map()],
  ]);
  for (const [project, from, into] of input.merges) {
    const overrides = perProject.get(project)!;
    perProject.set(project, applyMerge(overrides, personOf(overrides, from), personOf(overrides, into)));
  }
  const overrides = new Map<string, string>();
  for (const [project, map] of perProject) for (const [distinct, person] of map) overrides.set(`${project}\u0000${distinct}`, person);
  const profiles = new Map<string, Record<string, Json>>();
  IDS.forEach((id, index) => {
    const props = input.profiles[index];
    if (props) profiles.set(`p1\u0000${id}`, props);
  });
  profiles.set("p2\u0000u1", { plan: "pro", vip: 3 });
  const resolved: ResolvedCohort[] = [dynamic("c_dyn1", input.dyn1), dynamic("c_dyn2", input.dyn2), { ...staticCohort("c_static"), key: "vips", name: "VIPs" }];
  return {
    data: { events, profiles, overrides },
    perProject,
    cohorts: {
      byId: new Map(resolved.map((cohort) => [cohort.id, cohort])),
      now: BASE + input.nowHour * HOUR,
      staticMembers: new Map([
        ["p1\u0000c_static", input.staticMembers],
        ["p2\u0000c_static", ["u1"]],
      ]),
    },
  };
}

async function seedScenario({ data, perProject, cohorts }: Scenario): Promise<void> {
  const db = analytics.connection;
  for (const table of ["events", "profiles", "person_overrides", "cohort_members"]) await db.run(`DELETE FROM ${table}`);
  await insertEvents(db, data.events);
  await insertProfiles(db, data.profiles);
  for (const [project, map] of perProject) {
    for (const [distinct, person] of map) await db.run("INSERT INTO person_overrides VALUES ($1, $2, $3, now())", [project, distinct, person]);
  }
  for (const [key, ids] of cohorts.staticMembers) {
    const [project, cohortId] = key.split("\u0000") as [string, string];
    await analytics.runner.transaction(buildReplaceStaticMembers(project, cohortId, ids));
  }
}

const contextOf = (cohorts: RefCohorts): CohortContext => cohortContext([...cohorts.byId.values()], new Date(cohorts.now).toISOString());

/** The report as the service runs it (./router.ts): overrides decided per project, then the breakdown. */
function asService<D extends { cohortFilters: CohortFilter[]; cohortBreakdown: string[] }, T>(
  def: D,
  context: CohortContext,
  compute: (run: RunQuery, def: D) => Promise<T>,
) {
  const run = analytics.run;
  return withPersonOverrides(run, "p1", () => withCohortBreakdown(def, context, (definition) => compute(run, definition)));
}

const cohortChoiceArb = fc.record({
  filters: fc.array(fc.record({ cohortId: fc.constantFrom(...COHORT_IDS), op: fc.constantFrom("in" as const, "not_in" as const) }), { maxLength: 2 }),
  breakdown: fc.subarray(COHORT_IDS),
});

const RANGE = { from: new Date(BASE).toISOString(), to: new Date(BASE + 20 * 24 * HOUR).toISOString() };
const RUNS = { numRuns: Number(process.env.REPORT_RUNS ?? 25) };

describe("cohorts: SQL equals the reference", () => {
  it("membership of dynamic and static cohorts, merged identities included", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (input) => {
        const world = scenario(input);
        await seedScenario(world);
        const now = new Date(world.cohorts.now).toISOString();
        for (const cohort of world.cohorts.byId.values()) {
          for (const project of ["p1", "p2"]) {
            const expected = [...refCohortMembers(world.data, project, cohort, world.cohorts)].sort();
            const [row] = await withPersonOverrides(analytics.run, project, () => analytics.run(buildCohortCount(project, cohort, now)));
            expect(Number(row?.n), `${cohort.id} in ${project}`).toBe(expected.length);
            // The rule cache's ids: each member person and the ids merged into it.
            const mergedInto = [...(world.perProject.get(project) ?? new Map<string, string>())].filter(([, person]) => expected.includes(person));
            const ids = (await cohortMembers(analytics.run, project, cohort, now)).sort();
            expect(ids).toEqual([...new Set([...expected, ...mergedInto.map(([distinct]) => distinct)])].sort());
          }
        }
      }),
      RUNS,
    );
  });

  it("every report kind with cohort filters and a cohort breakdown", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, cohortChoiceArb, async (input, choice) => {
        const world = scenario(input);
        await seedScenario(world);
        const context = contextOf(world.cohorts);
        const cohortFields = { cohortFilters: choice.filters, cohortBreakdown: choice.breakdown };
        const ref = <D extends { cohortFilters: CohortFilter[]; cohortBreakdown: string[] }, T>(def: D, compute: (data: RefData, def: D) => T) =>
          refWithCohorts(world.data, "p1", def, world.cohorts, compute);

        const query = queryDefinitionSchema.parse({ range: RANGE, groupBy: ["event_name"], aggregation: { op: "unique_profiles" }, ...cohortFields });
        expect(await asService(query, context, (run, def) => queryReport(run, "p1", def, context))).toEqual(
          ref(query, (data, def) => refQuery(data, "p1", def)),
        );
        const trend = trendDefinitionSchema.parse({
          range: RANGE,
          interval: "week",
          series: [{ event: "a", aggregation: { op: "unique_profiles" }, label: "a" }],
          ...cohortFields,
        });
        expect(await asService(trend, context, (run, def) => trendReport(run, "p1", def, "UTC", context))).toEqual(
          ref(trend, (data, def) => refTrend(data, "p1", def, "UTC")),
        );
        const funnel = funnelDefinitionSchema.parse({
          range: RANGE,
          steps: [{ event: "a" }, { event: "b" }],
          windowSeconds: 3 * 86_400,
          interval: "week",
          ...cohortFields,
        });
        expect(await asService(funnel, context, (run, def) => funnelReport(run, "p1", def, "UTC", context))).toEqual(
          ref(funnel, (data, def) => refFunnel(data, "p1", def, "UTC")),
        );
        const segment = segmentDefinitionSchema.parse({ range: RANGE, event: null, breakdown: "event_name", aggregation: { op: "count" }, ...cohortFields });
        expect(await asService(segment, context, (run, def) => segmentReport(run, "p1", def, context))).toEqual(
          ref(segment, (data, def) => refSegment(data, "p1", def)),
        );
        const retention = retentionDefinitionSchema.parse({ range: RANGE, cohortEvent: "a", returnEvent: null, interval: "week", periods: 3, ...cohortFields });
        expect(await asService(retention, context, (run, def) => retentionReport(run, "p1", def, "UTC", context))).toEqual(
          ref(retention, (data, def) => refRetention(data, "p1", def, "UTC")),
        );
        const paths = pathsDefinitionSchema.parse({ range: RANGE, event: "a", depth: 2, ...cohortFields });
        expect(await asService(paths, context, (run, def) => pathsReport(run, "p1", def, context))).toEqual(
          ref(paths, (data, def) => refPaths(data, "p1", def)),
        );
      }),
      RUNS,
    );
  });
});
