/**
 * Identity merge at query time: every report over events and person overrides equals the same
 * report over the events with their ids rewritten to their persons (what a history rewrite would
 * give), in a real DuckDB with the real DDL, against the TypeScript reference.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMerge, personOf, rewriteProfileIds } from "../../src/core/identity";
import {
  funnelDefinitionSchema,
  queryDefinitionSchema,
  retentionDefinitionSchema,
  segmentDefinitionSchema,
  trendDefinitionSchema,
} from "../../src/core/reports";
import { ensureAnalyticsSchema } from "../sink/schema";
import { buildEventList, buildKeyNumbers, buildProfileActivity, buildProfileSearch } from "./browse";
import { withPersonOverrides } from "./identity";
import { refFunnel, refQuery, refRetention, refSegment, refTrend, type Json, type RefData, type RefEvent } from "./reference";
import { funnelReport, queryReport, retentionReport, segmentReport, trendReport, type RunQuery } from "./reports";
import { ReportCache } from "./report-cache";
import { QueryRunner } from "./runner";
import { insertEvents, insertProfiles } from "./testing";

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
let runner: QueryRunner;
const run = (query: Parameters<QueryRunner["all"]>[0]) => runner.all(query);

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  runner = new QueryRunner(duckdb);
});
afterAll(() => {
  connection.closeSync();
  duckdb.closeSync();
});

// Hours from 2024-03-08 (US DST starts 2024-03-10).
const BASE = Date.parse("2024-03-08T00:00:00Z");
const HOUR = 3600_000;
const IDS = ["anon-1", "anon-2", "anon-3", "anon-4", "u1", "u2", "u3"];
const NAMES = ["view", "signup", "buy"];
const TIMEZONES = ["UTC", "America/New_York"];

const dataArb = fc
  .record({
    events: fc.array(
      fc.record({
        project: fc.constantFrom("p1", "p1", "p1", "p2"),
        // Some events crowd two days, so that ids of one person often act in the same day.
        hour: fc.oneof(fc.integer({ min: 0, max: 24 * 20 }), fc.integer({ min: 24 * 3, max: 24 * 5 - 1 })),
        name: fc.constantFrom(...NAMES),
        profile: fc.option(fc.constantFrom(...IDS), { freq: 8 }),
        amount: fc.integer({ min: 0, max: 50 }),
      }),
      { minLength: 5, maxLength: 60 },
    ),
    // Random identifies and explicit merges, in order; p2 gets its own.
    merges: fc.array(fc.tuple(fc.constantFrom("p1", "p2"), fc.constantFrom(...IDS), fc.constantFrom(...IDS)), { maxLength: 8 }),
    plans: fc.array(fc.constantFrom("free", "pro"), { minLength: IDS.length, maxLength: IDS.length }),
  })
  .map(({ events, merges, plans }) => {
    const refEvents: RefEvent[] = events.map((event, index) => ({
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
    for (const [project, from, into] of merges) {
      const overrides = perProject.get(project)!;
      perProject.set(project, applyMerge(overrides, personOf(overrides, from), personOf(overrides, into)));
    }
    const overrides = new Map<string, string>();
    for (const [project, map] of perProject) for (const [distinct, person] of map) overrides.set(`${project}\u0000${distinct}`, person);
    const profiles = new Map<string, Record<string, Json>>();
    IDS.forEach((id, index) => profiles.set(`p1\u0000${id}`, { plan: plans[index]! }));
    return { events: refEvents, profiles, overrides, perProject };
  });

type Data = RefData & { overrides: Map<string, string>; perProject: Map<string, Map<string, string>> };

async function seed(data: Data): Promise<void> {
  await connection.run("DELETE FROM events");
  await connection.run("DELETE FROM profiles");
  await connection.run("DELETE FROM person_overrides");
  await insertEvents(connection, data.events);
  await insertProfiles(connection, data.profiles);
  for (const [project, map] of data.perProject) {
    for (const [distinct, person] of map) {
      await connection.run("INSERT INTO person_overrides VALUES ($1, $2, $3, now())", [project, distinct, person]);
    }
  }
}

/** The same data as if every event had been sent under its person's id, and no overrides. */
function rewritten(data: Data): RefData {
  const events = data.events.flatMap((event) => rewriteProfileIds([event], data.perProject.get(event.project_id) ?? new Map()));
  return { events, profiles: data.profiles };
}

const RANGE = { from: new Date(BASE).toISOString(), to: new Date(BASE + 21 * 24 * HOUR).toISOString() };
const RUNS = { numRuns: Number(process.env.REPORT_RUNS ?? 40) };

/** Which SQL the service built for p1's reports: with the overrides join, or without (p1 has none). */
const built = { joined: 0, plain: 0 };

/** The report as the service runs it (./router.ts): the join only when the project has overrides. */
async function asService<T>(compute: (run: RunQuery) => Promise<T>): Promise<T> {
  const sqls: string[] = [];
  const value = await withPersonOverrides(run, "p1", () =>
    compute((query) => {
      sqls.push(query.sql);
      return run(query);
    }),
  );
  if (sqls.some((sql) => sql.includes("JOIN person_overrides"))) built.joined++;
  else built.plain++;
  return value;
}

/** Both SQL forms were checked, over data with and without p1 overrides. */
function expectBothBuilt(): void {
  expect(built.joined).toBeGreaterThan(0);
  expect(built.plain).toBeGreaterThan(0);
  built.joined = built.plain = 0;
}

describe("reports over merged identities equal reports over rewritten ids", () => {
  it("unique profiles (query and trend, with a person-prop breakdown)", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, fc.constantFrom(...TIMEZONES), fc.constantFrom("day" as const, "week" as const), async (data, timezone, interval) => {
        await seed(data);
        const query = queryDefinitionSchema.parse({
          range: RANGE,
          events: [],
          filters: [],
          groupBy: ["profile.plan"],
          aggregation: { op: "unique_profiles" },
          limit: 30,
        });
        const expected = refQuery(rewritten(data), "p1", query);
        expect(await queryReport(run, "p1", query)).toEqual(expected);
        expect(await asService((service) => queryReport(service, "p1", query))).toEqual(expected);
        expect(refQuery(data, "p1", query)).toEqual(expected);
        const trend = trendDefinitionSchema.parse({
          range: RANGE,
          interval,
          series: [
            { event: null, filters: [], aggregation: { op: "unique_profiles" }, label: "people" },
            { event: "buy", filters: [], aggregation: { op: "unique_profiles" }, label: "buyers" },
          ],
          filters: [],
        });
        const expectedTrend = refTrend(rewritten(data), "p1", trend, timezone);
        expect(await trendReport(run, "p1", trend, timezone)).toMatchObject(expectedTrend);
        expect(await asService((service) => trendReport(service, "p1", trend, timezone))).toMatchObject(expectedTrend);
        expect(refTrend(data, "p1", trend, timezone)).toEqual(expectedTrend);
      }),
      RUNS,
    );
    expectBothBuilt();
  });

  it("reports that name a person only in a filter or breakdown, or not at all (persons are resolved only when read)", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, fc.constantFrom(...TIMEZONES), fc.subarray(IDS, { minLength: 1 }), async (data, timezone, chosen) => {
        await seed(data);
        const sqls: string[] = [];
        const recording: RunQuery = (query) => {
          sqls.push(query.sql);
          return run(query);
        };
        const joinsPersons = () => sqls.splice(0).some((sql) => sql.includes("JOIN person_overrides"));
        const byPerson = { field: "profile_id", op: "in" as const, values: chosen };
        const query = queryDefinitionSchema.parse({
          range: RANGE,
          filters: [byPerson],
          groupBy: ["profile_id"],
          aggregation: { op: "sum", field: "props.amount" },
        });
        expect(await queryReport(recording, "p1", query)).toEqual(refQuery(rewritten(data), "p1", query));
        expect(joinsPersons()).toBe(true);
        // Filters only on event fields: the same counts, and no identity join.
        const trend = trendDefinitionSchema.parse({
          range: RANGE,
          interval: "day",
          series: [{ event: "buy", filters: [{ field: "props.amount", op: "gte", value: 10 }], aggregation: { op: "count" }, label: "big buys" }],
        });
        expect(await trendReport(recording, "p1", trend, timezone)).toMatchObject(refTrend(rewritten(data), "p1", trend, timezone));
        expect(joinsPersons()).toBe(false);
        const trendOfPeople = trendDefinitionSchema.parse({
          ...trend,
          series: [{ event: null, filters: [byPerson], aggregation: { op: "sum", field: "props.amount" }, label: "spent" }],
        });
        expect(await trendReport(recording, "p1", trendOfPeople, timezone)).toMatchObject(refTrend(rewritten(data), "p1", trendOfPeople, timezone));
        expect(joinsPersons()).toBe(true);
        for (const [breakdown, aggregation] of [
          ["profile_id", { op: "count" }],
          ["props.amount", { op: "unique_profiles" }],
          ["props.amount", { op: "count" }],
        ] as const) {
          const segment = segmentDefinitionSchema.parse({ range: RANGE, event: null, breakdown, aggregation, topN: 3 });
          expect(await segmentReport(recording, "p1", segment)).toEqual(refSegment(rewritten(data), "p1", segment));
          expect(joinsPersons()).toBe(breakdown === "profile_id" || aggregation.op === "unique_profiles");
        }
      }),
      RUNS,
    );
  });

  it("funnels across sign-up", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.array(fc.constantFrom(...NAMES), { minLength: 2, maxLength: 3 }),
        fc.constantFrom(3600, 86_400, 7 * 86_400),
        async (data, timezone, steps, windowSeconds) => {
          await seed(data);
          const def = funnelDefinitionSchema.parse({
            range: RANGE,
            steps: steps.map((event) => ({ event, filters: [] })),
            windowSeconds,
            filters: [],
            interval: "day",
          });
          const expected = refFunnel(rewritten(data), "p1", def, timezone);
          expect(await funnelReport(run, "p1", def, timezone)).toMatchObject(expected);
          expect(await asService((service) => funnelReport(service, "p1", def, timezone))).toMatchObject(expected);
          expect(refFunnel(data, "p1", def, timezone)).toEqual(expected);
        },
      ),
      RUNS,
    );
    expectBothBuilt();
  });

  it("retention", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb,
        fc.constantFrom(...TIMEZONES),
        fc.option(fc.constantFrom(...NAMES)),
        fc.option(fc.constantFrom(...NAMES)),
        async (data, timezone, cohortEvent, returnEvent) => {
          await seed(data);
          const def = retentionDefinitionSchema.parse({ range: RANGE, cohortEvent, returnEvent, interval: "day", periods: 7, filters: [] });
          const expected = refRetention(rewritten(data), "p1", def, timezone);
          expect(await retentionReport(run, "p1", def, timezone)).toMatchObject(expected);
          expect(await asService((service) => retentionReport(service, "p1", def, timezone))).toMatchObject(expected);
          expect(refRetention(data, "p1", def, timezone)).toEqual(expected);
        },
      ),
      RUNS,
    );
    expectBothBuilt();
  });
});

describe("the profile timeline", () => {
  it("shows the person's events, each under the id it was sent with, from either id", async () => {
    const event = (id: string, profile: string, hour: number): RefEvent => ({
      project_id: "p1",
      event_id: id,
      event_name: "view",
      profile_id: profile,
      ts: BASE + hour * HOUR,
      props: {},
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    });
    await seed({
      events: [event("e1", "anon-1", 1), event("e2", "u1", 2), event("e3", "u2", 3), event("e4", "anon-2", 4)],
      profiles: new Map(),
      overrides: new Map(),
      perProject: new Map([["p1", new Map([["anon-1", "u1"]])]]),
    });
    for (const id of ["u1", "anon-1"]) {
      const rows = await run(buildEventList("p1", { events: [], filters: [], profileId: id }, null, 10, { person: true }));
      expect(rows.map((row) => [row.event_id, row.profile_id])).toEqual([
        ["e2", "u1"],
        ["e1", "anon-1"],
      ]);
      const [activity] = await run(buildProfileActivity("p1", id));
      expect(Number(activity!.events)).toBe(2);
    }
    // The events browser's profile filter stays the id as sent.
    const raw = await run(buildEventList("p1", { events: [], filters: [], profileId: "u1" }, null, 10));
    expect(raw.map((row) => row.event_id)).toEqual(["e2"]);
  });
});

describe("the profile list", () => {
  it("hides ids merged into another person, in that project only", async () => {
    const profile = { plan: "free" };
    await seed({
      events: [],
      profiles: new Map(["p1\u0000anon-1", "p1\u0000u1", "p1\u0000u2", "p1\u0000u3", "p2\u0000u3"].map((key) => [key, profile])),
      overrides: new Map(),
      perProject: new Map([
        [
          "p1",
          new Map([
            ["anon-1", "u1"],
            ["u2", "u1"],
          ]),
        ],
        ["p2", new Map([["anon-9", "u3"]])],
      ]),
    });
    const list = async (projectId: string, search: { prefix?: string } = {}) =>
      (await run(buildProfileSearch(projectId, search, null, 10))).map((row) => row.profile_id);
    expect(await list("p1")).toEqual(["u1", "u3"]);
    expect(await list("p1", { prefix: "anon" })).toEqual([]);
    expect(await list("p2")).toEqual(["u3"]);
  });
});

describe("key numbers", () => {
  it("count a merged person once among active profiles", async () => {
    const event = (id: string, profile: string): RefEvent => ({
      project_id: "p1",
      event_id: id,
      event_name: "view",
      profile_id: profile,
      ts: Date.now() - 60_000,
      props: {},
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    });
    await seed({
      events: [event("e1", "anon-1"), event("e2", "u1"), event("e3", "u2")],
      profiles: new Map(),
      overrides: new Map(),
      perProject: new Map([["p1", new Map([["anon-1", "u1"]])]]),
    });
    const [row] = await run(buildKeyNumbers("p1", "UTC"));
    expect(Number(row!.active_7d)).toBe(2);
  });
});

describe("the report cache", () => {
  it("recomputes a past range's report after a merge, though no event arrived", async () => {
    const event = (id: string, name: string, profile: string, hour: number): RefEvent => ({
      project_id: "p1",
      event_id: id,
      event_name: name,
      profile_id: profile,
      ts: BASE + hour * HOUR,
      props: {},
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    });
    await seed({
      events: [event("e1", "view", "anon-1", 1), event("e2", "signup", "u1", 2)],
      profiles: new Map(),
      overrides: new Map(),
      perProject: new Map(),
    });
    const cache = new ReportCache(run, undefined);
    const definition = queryDefinitionSchema.parse({ range: RANGE, events: [], filters: [], groupBy: [], aggregation: { op: "unique_profiles" }, limit: 10 });
    const ask = () => cache.answer("query", { projectId: "p1", definition }, () => queryReport(run, "p1", definition));
    expect((await ask()).rows[0]!.value).toBe(2);
    expect((await ask()).cached).toBe(true);
    await connection.run("INSERT INTO person_overrides VALUES ('p1', 'anon-1', 'u1', now())");
    const after = await ask();
    expect([after.cached, after.rows[0]!.value]).toEqual([false, 1]);
  });
});
