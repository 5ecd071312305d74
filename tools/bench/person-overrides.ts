/**
 * tsx tools/bench/person-overrides.ts — what the person-overrides join costs a unique-profiles
 * trend (30 days daily) for a project without any override: the SQL as built before the
 * EXISTS check (always joined) against the service's path now (no join when the project has none),
 * with the check's own query counted. Runs alternate so load from elsewhere hits both alike;
 * medians are printed. BENCH_EVENTS (default 3,000,000) events over 100k profiles and 35 days.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { trendDefinitionSchema } from "../../src/core/reports";
import { withPersonOverrides } from "../../workers/query/identity";
import { trendReport, type RunQuery } from "../../workers/query/reports";
import { QueryRunner } from "../../workers/query/runner";
import { ensureAnalyticsSchema } from "../../workers/sink/schema";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PROJECT = "proj_bench";

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "prism-bench-overrides-"));
  try {
    const duckdb = await DuckDBInstance.create(path.join(dir, "bench.duckdb"));
    const connection = await duckdb.connect();
    await ensureAnalyticsSchema(connection);
    await connection.run(`
      INSERT INTO events
      SELECT '${PROJECT}', 'e' || lpad(i::VARCHAR, 9, '0'), ['page_view', 'click', 'search', 'purchase'][(hash(i * 17) % 4)::BIGINT + 1],
             'u' || (hash(i * 31) % 100000), event_at, event_at, json_object('path', '/p/' || (hash(i * 5) % 200)), '{}', '{}', 'Chrome', 'Linux', 'desktop', NULL
        FROM (SELECT i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * ${Math.floor((35 * 86_400_000_000) / EVENTS)}) AS event_at FROM range(${EVENTS}) t(i))`);
    // Another project's merges: the table is not empty, this project just has none.
    await connection.run(`INSERT INTO person_overrides SELECT 'proj_other', 'anon-' || i, 'user-' || i, now() FROM range(1000) t(i)`);
    await connection.run("CHECKPOINT");
    connection.closeSync();

    const runner = new QueryRunner(duckdb);
    const run: RunQuery = (query) => runner.all(query);
    const def = trendDefinitionSchema.parse({
      range: { from: "2024-01-06T00:00:00Z", to: "2024-02-05T00:00:00Z" },
      interval: "day",
      series: [{ event: null, filters: [], aggregation: { op: "unique_profiles" } }],
      filters: [],
    });
    const joined = () => trendReport(run, PROJECT, def, "UTC");
    const service = () => withPersonOverrides(run, PROJECT, () => trendReport(run, PROJECT, def, "UTC"));
    const [a, b] = await Promise.all([joined(), service()]);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("the two forms disagree");

    const time = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    await time(joined);
    await time(service);
    const times = { joined: [] as number[], service: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first too.
      for (const side of i % 2 === 0 ? (["joined", "service"] as const) : (["service", "joined"] as const))
        times[side].push(await time(side === "joined" ? joined : service));
    }
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    console.log(`${EVENTS} events, ${RUNS} alternating runs each, uniques trend 30 days daily`);
    console.log(`  with the join (before): median ${median(times.joined).toFixed(0)} ms`);
    console.log(`  without (after, EXISTS check included): median ${median(times.service).toFixed(0)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
