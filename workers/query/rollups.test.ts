/**
 * Count trends answered from the sink's hourly counts equal the TypeScript reference over the
 * events, on random data written through the real sink writer (duplicates and redeliveries
 * included) and then thinned by a profile deletion and retention, which keep the counts too.
 * And the local day and week keys both the counts and the event scans bucket by (sql.ts
 * `fastLocalBucket`): non-negative, starting at DuckDB's own local bucket, and differing by the days
 * or weeks between buckets (retention's period), in the largest-offset zones and across Samoa's
 * skipped day.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { EnrichedEvent } from "../../src/core/pipeline";
import { trendDefinitionSchema } from "../../src/core/reports";
import type { BusMessage } from "../bus/types";
import { deleteEventsCounted } from "../sink/rollups";
import { SinkWriter } from "../sink/writer";
import { comparisonRange } from "./compare";
import { refTrend, type RefData, type RefEvent } from "./reference";
import { trendReport, type TrendDef } from "./reports";
import { buildTrendSeriesFromCounts, countsAnswer } from "./rollups";
import { QueryRunner } from "./runner";
import { fastLocalBucket, localBucket, Params, zoneOffsets } from "./sql";

const HOUR = 3_600_000;
// Around the US (2024-03-10) and EU (2024-03-31) daylight-saving changes.
const BASE = Date.parse("2024-03-08T00:00:00Z");
const HOURS = 26 * 24;
const NAMES = ["a", "b", "c"];

let duckdb: DuckDBInstance;
let runner: QueryRunner;
beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  runner = new QueryRunner(duckdb);
});
afterAll(() => duckdb.closeSync());
const run = (query: Parameters<QueryRunner["all"]>[0]) => runner.all(query);

const hourArb = fc.oneof(fc.integer({ min: 40, max: 70 }), fc.integer({ min: 530, max: 560 }), fc.integer({ min: 0, max: HOURS - 1 }));

const eventsArb = fc.array(
  fc.record({
    project: fc.constantFrom("p1", "p1", "p1", "p2"),
    // Hours clustered around the DST changes, minutes anywhere inside (ends of hours included).
    hour: hourArb,
    within: fc.oneof(fc.constantFrom(0, HOUR - 1, 1), fc.integer({ min: 0, max: HOUR - 1 })),
    name: fc.constantFrom(...NAMES),
    profile: fc.option(fc.constantFrom("u1", "u2", "u3"), { freq: 5 }),
    /** Sent twice (a redelivery in a later write). */
    again: fc.boolean(),
  }),
  { minLength: 5, maxLength: 120 },
);

const defArb = fc.record({
  // Ends among the events' hours, so hours at and next to the edges hold events.
  range: fc
    .tuple(hourArb, hourArb)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({ from: new Date(BASE + Math.min(a, b) * HOUR).toISOString(), to: new Date(BASE + Math.max(a, b) * HOUR).toISOString() })),
  interval: fc.constantFrom("hour" as const, "day" as const, "week" as const, "month" as const),
  series: fc.array(fc.record({ event: fc.option(fc.constantFrom(...NAMES), { freq: 3 }), filters: fc.constant([]), label: fc.constant("s") }), {
    minLength: 1,
    maxLength: 2,
  }),
  compare: fc.boolean(),
  compareTo: fc.constantFrom("previous" as const, "year" as const),
});

const message = (event: EnrichedEvent, offset: number): BusMessage => ({
  topic: TOPIC.enriched,
  value: JSON.stringify(event),
  partition: 0,
  offset: String(offset),
  key: null,
  headers: {},
  timestamp: event.sts,
});

async function writeThroughSink(events: Array<RefEvent & { again: boolean }>): Promise<void> {
  const connection = await duckdb.connect();
  for (const table of ["events", "event_counts"]) await connection.run(`DELETE FROM ${table}`).catch(() => undefined);
  connection.closeSync();
  const writer = new SinkWriter(duckdb);
  try {
    const enriched = events.map((event): EnrichedEvent => ({
      type: "event",
      event_id: event.event_id,
      project_id: event.project_id,
      event_name: event.event_name,
      profile_id: event.profile_id,
      cts: event.ts,
      // Received in arrival order, one second apart.
      sts: BASE + 40 * 86_400_000 + Number(event.event_id.slice(1)) * 1000,
      props: {},
      ctx: {},
      profile_props: {},
      browser: null,
      os: null,
      device_type: null,
    }));
    const half = Math.ceil(enriched.length / 2);
    await writer.write(enriched.slice(0, half).map(message));
    // The second write redelivers some of the first.
    await writer.write([...enriched.filter((_, index) => events[index]!.again && index < half), ...enriched.slice(half)].map(message));
  } finally {
    writer.close();
  }
}

describe("count trends from the hourly counts", () => {
  it("equal the reference over the events, after redeliveries, a profile deletion and retention", async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, defArb, fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"), async (generated, input, timezone) => {
        // Events in the first and last microseconds of the hours at each end of the range, inside and out.
        const edges = [input.range.from, input.range.to].flatMap((iso) =>
          [-HOUR, -1, 0, HOUR - 1].map((delta) => ({ project: "p1", hour: 0, within: Date.parse(iso) - BASE + delta, name: "a", profile: null, again: false })),
        );
        const events = [...generated, ...edges].map((event, index) => ({
          project_id: event.project,
          event_id: `e${index}`,
          event_name: event.name,
          profile_id: event.profile,
          ts: BASE + event.hour * HOUR + event.within,
          props: {},
          ctx: {},
          browser: null,
          os: null,
          device_type: null,
          again: event.again,
        }));
        await writeThroughSink(events);
        // A GDPR deletion of u1 in p1, and retention dropping p1's events before hour 30 and a half.
        const cutoff = BASE + 30 * HOUR + 30 * 60_000;
        const connection = await duckdb.connect();
        await deleteEventsCounted(connection, "profile_id IN ($2)", ["p1", "u1"]);
        await deleteEventsCounted(connection, "ts < $2::TIMESTAMPTZ", ["p1", new Date(cutoff).toISOString()]);
        connection.closeSync();
        const kept = events.filter((event) => !(event.project_id === "p1" && (event.profile_id === "u1" || event.ts < cutoff)));
        const data: RefData = { events: kept, profiles: new Map() };

        const def: TrendDef = trendDefinitionSchema.parse(input);
        const previous = def.compare ? comparisonRange(def.range, def.compareTo, timezone) : null;
        const offsets = await zoneOffsets(run, timezone, previous?.from ?? def.range.from, def.range.to);
        // Whole-hour ranges and zones: every series of these definitions is read from the counts.
        expect(countsAnswer(def, 0, offsets, previous)).toBe(true);
        expect(buildTrendSeriesFromCounts("p1", def, offsets, 0, previous)?.sql).toContain("event_counts");
        answered++;
        expect(await trendReport(run, "p1", def, timezone)).toEqual(refTrend(data, "p1", def, timezone));
      }),
      { numRuns: Number(process.env.REPORT_RUNS ?? 60) },
    );
    expect(answered).toBeGreaterThan(0);
  }, 300_000);

  it("leave filtered, unique-profile, minute and half-hour-zone trends to the event scan", async () => {
    const def = (input: Record<string, unknown>): TrendDef =>
      trendDefinitionSchema.parse({
        range: { from: "2024-03-08T00:00:00Z", to: "2024-03-09T00:00:00Z" },
        series: [{ event: "a" }],
        ...input,
      });
    const utc = await zoneOffsets(run, "UTC", "2024-03-08T00:00:00Z", "2024-03-09T00:00:00Z");
    const kolkata = await zoneOffsets(run, "Asia/Kolkata", "2024-03-08T00:00:00Z", "2024-03-09T00:00:00Z");
    expect(countsAnswer(def({}), 0, utc, null)).toBe(true);
    expect(countsAnswer(def({}), 0, kolkata, null)).toBe(false);
    expect(countsAnswer(def({ interval: "minute" }), 0, utc, null)).toBe(false);
    expect(countsAnswer(def({ series: [{ event: "a", aggregation: { op: "unique_profiles" } }] }), 0, utc, null)).toBe(false);
    expect(countsAnswer(def({ series: [{ event: "a", filters: [{ field: "browser", op: "eq", value: "x" }] }] }), 0, utc, null)).toBe(false);
    expect(countsAnswer(def({ filters: [{ field: "browser", op: "is_set" }] }), 0, utc, null)).toBe(false);
    expect(countsAnswer(def({ range: { from: "2024-03-08T00:30:00Z", to: "2024-03-09T00:00:00Z" } }), 0, utc, null)).toBe(false);
  });
});

const ZONES = ["Pacific/Kiritimati", "Pacific/Apia", "Pacific/Pago_Pago", "Pacific/Chatham", "Australia/Lord_Howe", "America/New_York", "UTC"];
const DAY = 24 * HOUR;
// Around Samoa's skipped day (2011-12-30) and recent daylight-saving changes.
const STARTS = [Date.parse("2011-12-20T00:00:00Z"), Date.parse("2024-03-05T00:00:00Z"), Date.parse("2024-10-01T00:00:00Z")];

describe("fastLocalBucket", () => {
  it("keys every instant of the range as a count of days or weeks, in the bucket DuckDB's zone conversion gives", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.constantFrom("day" as const, "week" as const),
        fc.constantFrom(...STARTS),
        fc.integer({ min: 0, max: DAY - 1 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 20 }),
        async (zone, interval, day, shift, days, fractions) => {
          const from = day + shift;
          const to = from + days * DAY;
          const [fromIso, toIso] = [new Date(from).toISOString(), new Date(to).toISOString()];
          const offsets = await zoneOffsets(run, zone, fromIso, toIso);
          // The range's ends and random instants in it, in µs.
          const instants = [BigInt(from) * 1000n, BigInt(to) * 1000n - 1n, ...fractions.map((f) => BigInt(from + Math.floor(f * (to - from))) * 1000n)];
          const bucket = fastLocalBucket("t.us", interval, offsets, fromIso, toIso);
          const params = new Params();
          const tz = params.add(zone);
          const rows = await run({
            sql: `SELECT ${bucket.key} AS k, ${bucket.start(bucket.key)} = ${localBucket("make_timestamptz(t.us)", interval, tz)} AS same,
                         date_diff('day', ${localBucket(`make_timestamptz(${instants[0]})`, interval, tz)}, ${localBucket("make_timestamptz(t.us)", interval, tz)}) AS days
                    FROM (VALUES ${instants.map((us) => `(${us}::BIGINT)`).join(", ")}) t(us)`,
            params: params.values,
          });
          const firstKey = Number(rows[0]!.k);
          for (const row of rows) {
            expect(Number(row.k)).toBeGreaterThanOrEqual(0);
            expect(row.same).toBe(true);
            expect(Number(row.k) - firstKey).toBe(Number(row.days) / (interval === "week" ? 7 : 1));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
