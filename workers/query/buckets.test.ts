/**
 * Day and week bucket keys (sql.ts `fastLocalBucket`): every instant of a range has a non-negative
 * key, its bucket is the local day or week DuckDB's own time-zone conversion gives, and two keys
 * differ by the number of days or weeks between their buckets (retention's period). Zones with the
 * largest offsets and Samoa's skipped day included.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryRunner } from "./runner";
import { fastLocalBucket, localBucket, Params, zoneOffsets } from "./sql";

const ZONES = ["Pacific/Kiritimati", "Pacific/Apia", "Pacific/Pago_Pago", "Pacific/Chatham", "Australia/Lord_Howe", "America/New_York", "UTC"];
const DAY = 86_400_000;
// Around Samoa's skipped day (2011-12-30) and recent daylight-saving changes.
const STARTS = [Date.parse("2011-12-20T00:00:00Z"), Date.parse("2024-03-05T00:00:00Z"), Date.parse("2024-10-01T00:00:00Z")];

let duckdb: DuckDBInstance;
let runner: QueryRunner;
beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  runner = new QueryRunner(duckdb);
});
afterAll(() => duckdb.closeSync());
const run = (query: Parameters<QueryRunner["all"]>[0]) => runner.all(query);

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
