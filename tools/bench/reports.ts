/**
 * npm run bench:reports — report latency on 10,000,000 generated events (100k profiles, ten event
 * names, 35 days) in a temp DuckDB file. Each report runs through the query service's code path
 * (zod, SQL building, runner) and is compared with the same question written by hand in DuckDB
 * SQL, in the same run: medians of alternating runs after a warm-up (see `medians`). The temp dir
 * is removed afterwards.
 *
 * The events arrive as the sink writes them: in time order, two projects interleaved (a tenant
 * holding 1 % of the rows, every hundredth event). Before compaction the 1 % tenant's reports are
 * timed as they are (zone maps prune nothing); then compaction (workers/sink/compaction.ts) clusters
 * the rows by project, and every report is timed for the whole table (the 99 % project) and again
 * for the 1 % tenant, each next to the same question by hand (see tenants.ts).
 *
 * Beside trends, funnels (3 and 10 steps), segments and paths, two cases cover newer report
 * features: a trend filtered to a static cohort (every tenth profile) and retention with person
 * overrides in the project (every tenth profile merged into the one before it, only while that case
 * runs, so the others keep the no-overrides path). A new case is one more entry in `casesFor`.
 *
 * Options: BENCH_EVENTS (default 10,000,000); BENCH_DB=<file> generates (and compacts) into that file
 * once and reuses it on later runs; BENCH_ONLY=<text>[|<text>…] runs only the cases whose name contains one of them;
 * BENCH_MEMORY (DuckDB memory_limit, default 5GB); BENCH_RUNS (timed runs per figure at least, default 5);
 * BENCH_QUERY_TIMEOUT_MS (each report query's and hand query's time limit, default 120,000; the
 * service's own default is untouched); BENCH_DASHBOARD_TIMEOUT_MS (the dashboard section's, default
 * 300,000: 20 people opening six reports at once share two cores, so each query waits its turn).
 *
 * A report or hand query that times out or fails is printed as a row with what stopped it (verdict
 * MISSED) and the bench goes on; that side is not run again for the case. The exit code is 1 when
 * any target was missed, failed rows included.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { TRPCError } from "@trpc/server";
import pino from "pino";
import { createLogger } from "../../src/platform/logger";
import { compactEvents } from "../../workers/sink/compaction";
import { rebuildEventCounts } from "../../workers/sink/rollups";
import { ensureAnalyticsSchema } from "../../workers/sink/schema";
import { Registry } from "prom-client";
import { ReportCache } from "../../workers/query/report-cache";
import { reportMetrics } from "../../workers/query/report-metrics";
import { createQueryCaller } from "../../workers/query/router";
import { formatSeconds, QueryRunner, QueryTimeoutError } from "../../workers/query/runner";
import type { EventRow, FunnelResult, PathsResult, RetentionResult, SegmentResult, TrendResult } from "../../src/core/reports";
import type { ResolvedCohort } from "../../src/core/cohorts";
import { cell, failures, msOf, peakRss, tenantSection, type CaseTimes, type Median, type TenantTimes } from "./tenants";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const PROFILES = 100_000;
const DAYS = 35;
/** Timed runs per figure at least (BENCH_RUNS), each alternating with its hand-written SQL. */
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Each query's time limit, the service's and the hand-written one's alike (BENCH_QUERY_TIMEOUT_MS). */
const TIMEOUT_MS = Number(process.env.BENCH_QUERY_TIMEOUT_MS ?? 120_000);
const DASHBOARD_TIMEOUT_MS = Number(process.env.BENCH_DASHBOARD_TIMEOUT_MS ?? 300_000);
/** A report meets its target only if it is also no slower than this many times its hand-written SQL. */
const HAND_RATIO = 1.3;
const PROJECT = "proj_bench";
/** The tenant holding 1 % of the rows: every hundredth event. */
const SMALL = "proj_small";
const START = Date.parse("2024-01-01T00:00:00Z");
const iso = (day: number) => new Date(START + day * 86_400_000).toISOString();
const RANGE = { from: iso(DAYS - 30), to: iso(DAYS) };
/** A static cohort of every tenth profile, as the app resolves it for a report that names it. */
const TENTH: ResolvedCohort = { id: "bench_tenth", key: "bench_tenth", name: "Every tenth profile", kind: "static", definition: null, version: "1" };

type Row = Record<string, unknown>;

export interface Case {
  name: string;
  targetMs: number;
  service: () => Promise<unknown>;
  hand: string;
  /** Checks that both answer the same question: the numbers the hand query gives, from the service's answer and from the hand rows. */
  agree: (service: never, hand: Row[]) => { service: unknown; hand: unknown };
  /** Data only this case reads (person overrides): in place while it is timed, gone before the next case. */
  during?: { setUp: string; tearDown: string };
}

/** Rounded so float summation order does not count as a difference. */
const round = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value) * 1000) / 1000);

/** What stopped a side (a query timed out or failed). */
type Failure = Extract<Median, { failed: string }>;

/**
 * The message the service logged for its last internal error (it answers only "it has been
 * logged"), so a failed row can say what went wrong.
 */
let lastLogged: string | undefined;
const captureLog = pino(
  { level: "error" },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { err?: { message?: string }; msg?: string };
      lastLogged = entry.err?.message ?? entry.msg;
    },
  },
);

/** The service's timeout arrives as a TIMEOUT TRPCError, the hand query's as QueryTimeoutError; anything else is an error. */
function describe(error: unknown, limitMs = TIMEOUT_MS): Failure {
  if (error instanceof QueryTimeoutError || (error instanceof TRPCError && error.code === "TIMEOUT")) {
    return { failed: "timeout", detail: `timeout after ${formatSeconds(limitMs)}` };
  }
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof TRPCError && error.code === "INTERNAL_SERVER_ERROR" && lastLogged) message = lastLogged;
  lastLogged = undefined;
  // DuckDB's messages run to several lines (with the query); the first says what happened.
  const first = message.split("\n")[0]!.trim();
  return { failed: "error", detail: `error: ${first.length > 100 ? `${first.slice(0, 99)}…` : first}` };
}

/** One side of a comparison: its timed runs so far, or what stopped it (it is not run again). */
export interface Side {
  work: () => Promise<unknown>;
  times: number[];
  failed?: Failure;
}

const side = (work: () => Promise<unknown>, failed?: Failure): Side => ({ work, times: [], ...(failed ? { failed } : {}) });

/** Runs the side once unless it has failed; answers the time it took, or undefined when it failed (now or before). */
async function runOnce(entry: Side): Promise<number | undefined> {
  if (entry.failed) return undefined;
  const started = performance.now();
  try {
    await entry.work();
  } catch (error) {
    entry.failed = describe(error);
    return undefined;
  }
  return performance.now() - started;
}

const medianOf = (entry: Side): Median => entry.failed ?? { ms: entry.times.sort((a, b) => a - b)[Math.floor(entry.times.length / 2)]! };

/**
 * Median latency of each side. Runs alternate (service, hand, service, …) so a burst of load from
 * elsewhere on the machine hits both sides alike; quick reports get more runs (at least RUNS, and
 * about two seconds' worth, up to 25) because their medians are the most easily disturbed. A side
 * that fails or times out stops there and the other goes on alone.
 */
export async function medians(service: Side, hand: Side, minRuns = RUNS): Promise<{ service: Median; hand: Median }> {
  const warmUps = [await runOnce(service), await runOnce(hand)].filter((ms) => ms !== undefined);
  const runs = Math.min(25, Math.max(minRuns, Math.ceil(2000 / Math.max(...warmUps, 1))));
  for (let run = 0; run < runs && !(service.failed && hand.failed); run++) {
    for (const entry of [service, hand]) {
      const ms = await runOnce(entry);
      if (ms !== undefined) entry.times.push(ms);
    }
  }
  return { service: medianOf(service), hand: medianOf(hand) };
}

async function generate(connection: DuckDBConnection): Promise<void> {
  // Events arrive in time order, as the sink writes them, the two projects interleaved; names follow a realistic mix.
  await connection.run(`
    INSERT INTO events
    SELECT CASE WHEN i % 100 = 7 THEN '${SMALL}' ELSE '${PROJECT}' END, 'e' || lpad(i::VARCHAR, 9, '0'), name, 'u' || (hash(i * 31) % ${PROFILES}), event_at, event_at,
           CASE WHEN name = 'purchase' THEN json_object('amount', 5 + hash(i) % 500, 'campaign', ['summer_sale', 'winter', 'none'][(hash(i * 3) % 3)::BIGINT + 1], 'path', '/checkout')
                ELSE json_object('path', '/p/' || (hash(i * 5) % 200), 'campaign', ['summer_sale', 'winter', 'none'][(hash(i * 3) % 3)::BIGINT + 1]) END,
           json_object('country', ['DE', 'US', 'FR', 'GB', 'IN'][(hash(i * 7) % 5)::BIGINT + 1]),
           '{}', ['Chrome', 'Firefox', 'Safari'][(hash(i * 11) % 3)::BIGINT + 1], ['Linux', 'macOS', 'Windows', 'iOS'][(hash(i * 13) % 4)::BIGINT + 1], 'desktop', NULL
      FROM (SELECT i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * ${Math.floor((DAYS * 86_400_000_000) / EVENTS)}) AS event_at,
                   CASE WHEN r < 0.50 THEN 'page_view' WHEN r < 0.62 THEN 'click' WHEN r < 0.70 THEN 'search' WHEN r < 0.77 THEN 'add_to_cart'
                        WHEN r < 0.81 THEN 'checkout' WHEN r < 0.84 THEN 'purchase' WHEN r < 0.88 THEN 'signup' WHEN r < 0.93 THEN 'login'
                        WHEN r < 0.97 THEN 'share' ELSE 'logout' END AS name
              FROM (SELECT i, (hash(i * 17) % 10000) / 10000.0 AS r FROM range(${EVENTS}) t(i)))`);
  await connection.run(
    `INSERT INTO profiles SELECT project, 'u' || i, json_object('plan', ['free', 'pro', 'team'][i % 3 + 1], 'vip_level', i % 5), now(), now()
       FROM range(${PROFILES}) t(i), (VALUES ('${PROJECT}'), ('${SMALL}')) p(project)`,
  );
  // The sink keeps the hourly counts as it writes; rows inserted by hand need them counted once.
  await rebuildEventCounts(connection);
  await connection.run("CHECKPOINT");
}

async function removeSpillFiles(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => []);
  await Promise.all(names.map((name) => rm(path.join(folder, name), { force: true })));
  if (names.length > 0) console.log(`removed ${names.length} spill files a killed run left in ${folder}`);
}

async function main() {
  // BENCH_DB keeps the generated file between runs (for iterating on queries); otherwise a temp dir is used and removed.
  const keep = process.env.BENCH_DB;
  const dir = keep ? path.dirname(keep) : await mkdtemp(path.join(os.tmpdir(), "prism-bench-reports-"));
  const cleanup = () => (keep ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const duckdb = await DuckDBInstance.create(keep ?? path.join(dir, "bench.duckdb"), { memory_limit: process.env.BENCH_MEMORY ?? "5GB" });
    // A killed run leaves its spill files (tens of GB at 100M) in DuckDB's temp folder beside the kept
    // file; this process holds the file's lock now, so any left there are stale.
    if (keep) await removeSpillFiles(`${keep}.tmp`);
    const connection = await duckdb.connect();
    await ensureAnalyticsSchema(connection);
    const existing = Number((await (await connection.runAndReadAll("SELECT count(*) AS n FROM events")).getRowObjectsJS())[0]?.n ?? 0);

    const started = performance.now();
    if (existing === 0) await generate(connection);
    console.log(
      existing === 0
        ? `generated ${EVENTS.toLocaleString("en-US")} events in ${((performance.now() - started) / 1000).toFixed(1)} s`
        : `reusing ${existing} events`,
    );
    // The cohort-filtered trend's members (kept on later runs with BENCH_DB, so inserted idempotently).
    await connection.run(
      `INSERT OR IGNORE INTO cohort_members SELECT p, '${TENTH.id}', 'u' || i, now() FROM (VALUES ('${PROJECT}'), ('${SMALL}')) v(p), range(0, ${PROFILES}, 10) t(i)`,
    );
    const runner = new QueryRunner(duckdb, { timeoutMs: TIMEOUT_MS, maxRows: 100_000 });
    const service = createQueryCaller({ runner, log: captureLog });
    // Through the service's runner: a connection per query and the same time limit, so a slow baseline cannot hold the bench up either.
    const hand = async (sql: string): Promise<Row[]> => (await runner.all({ sql, params: [] })) as Row[];
    const tz = "Europe/Berlin";
    const whereOf = (project: string) => `project_id = '${project}' AND ts >= TIMESTAMPTZ '${RANGE.from}' AND ts < TIMESTAMPTZ '${RANGE.to}'`;
    const funnelNames = (names: string[]) => names.map((name) => ({ event: name }));
    // The same question the service answers: step counts, median time between steps, and attempts
    // started and completed per local day, each profile by its best attempt. Written the classic
    // way: every step-1 event starts an attempt, each step is an ASOF join to the next event of that
    // step, and each profile keeps its furthest attempt (then the earliest completion, then the
    // earliest start). Ties on ts are ignored, which the generated data (distinct ts) allows.
    const handFunnel = (project: string, names: string[]) => {
      const distinct = [...new Set(names)].map((name) => `'${name}'`).join(", ");
      const within = (k: number) => `CASE WHEN t${k} <= t1 + INTERVAL 1 DAY THEN t${k} END AS t${k}`;
      const steps = names.map((name, index) =>
        index === 0
          ? `a1 AS (SELECT profile_id, ts AS t1 FROM ev WHERE event_name = '${name}' AND ts < TIMESTAMPTZ '${RANGE.to}')`
          : `a${index + 1} AS (SELECT a.*, n.ts AS t${index + 1} FROM a${index} a ASOF LEFT JOIN (SELECT profile_id, ts FROM ev WHERE event_name = '${name}') n
                ON a.profile_id = n.profile_id AND coalesce(a.t${index}, TIMESTAMPTZ 'infinity') < n.ts)`,
      );
      const last = names.length;
      const ks = names.map((_, index) => index + 1);
      const reached = `(${ks.map((k) => `(t${k} IS NOT NULL)::INTEGER`).join(" + ")})`;
      const completion = `coalesce(${ks
        .slice()
        .reverse()
        .map((k) => `t${k}`)
        .join(", ")})`;
      const medians = names.slice(1).map((_, index) => `median(epoch(t${index + 2}) - epoch(t${index + 1}))`);
      return `WITH ev AS MATERIALIZED (SELECT profile_id, ts, event_name FROM events WHERE project_id = '${project}' AND ts >= TIMESTAMPTZ '${RANGE.from}'
                  AND ts < TIMESTAMPTZ '${RANGE.to}' + INTERVAL 1 DAY AND event_name IN (${distinct}) AND profile_id IS NOT NULL), ${steps.join(", ")},
              windowed AS (SELECT profile_id, t1, ${ks.slice(1).map(within).join(", ")} FROM a${last}),
              attempts AS (SELECT * FROM windowed QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY ${reached} DESC, ${completion}, t1) = 1)
              SELECT NULL AS day, ${ks.map((k) => `count(t${k})`).join(", ")}, ${medians.join(", ")} FROM attempts
              UNION ALL
              SELECT date_trunc('day', timezone('${tz}', t1)) AS day, count(*), count(t${last}), ${names
                .slice(2)
                .map(() => "NULL")
                .concat(medians.map(() => "NULL"))
                .join(", ")} FROM attempts GROUP BY day`;
    };
    // The hand query's overall row holds the step counts, then the medians.
    const agreeFunnel = (result: FunnelResult, rows: Row[]) => {
      const overall = Object.values(rows.find((row) => row.day === null) ?? {}).slice(1);
      return {
        service: [...result.steps.map((step) => step.count), ...result.steps.slice(1).map((step) => round(step.medianSecondsFromPrevious))],
        hand: overall.map((value, index) => (index < result.steps.length ? Number(value) : round(value))),
      };
    };
    const three = ["page_view", "add_to_cart", "purchase"];
    const ten = ["page_view", "click", "page_view", "search", "page_view", "add_to_cart", "checkout", "purchase", "page_view", "share"];
    const casesFor = (project: string): Case[] => {
      const where = whereOf(project);
      return [
        {
          name: "trend, 30 days daily",
          targetMs: 300,
          service: () =>
            service.report.trend({
              projectId: project,
              timezone: tz,
              definition: { range: RANGE, interval: "day", series: [{ event: "page_view", filters: [] }] },
            }),
          hand: `SELECT date_trunc('day', timezone('${tz}', ts)) AS d, count(*) AS n FROM events WHERE ${where} AND event_name = 'page_view' GROUP BY d ORDER BY d`,
          agree: (result: TrendResult, rows) => ({ service: result.series[0]!.values.filter((value) => value !== 0), hand: rows.map((row) => Number(row.n)) }),
        },
        {
          // A filter the hourly counts cannot answer: the report scans the events.
          name: "trend, filtered (scan)",
          targetMs: 300,
          service: () =>
            service.report.trend({
              projectId: project,
              timezone: tz,
              definition: { range: RANGE, interval: "day", series: [{ event: "page_view", filters: [{ field: "browser", op: "eq", value: "Chrome" }] }] },
            }),
          hand: `SELECT date_trunc('day', timezone('${tz}', ts)) AS d, count(*) AS n FROM events WHERE ${where} AND event_name = 'page_view' AND browser = 'Chrome' GROUP BY d ORDER BY d`,
          agree: (result: TrendResult, rows) => ({ service: result.series[0]!.values.filter((value) => value !== 0), hand: rows.map((row) => Number(row.n)) }),
        },
        {
          // Cohort filters (workers/query/cohorts.ts): a static cohort of every tenth profile, as uploaded.
          name: "trend, cohort-filtered",
          targetMs: 500,
          service: () =>
            service.report.trend({
              projectId: project,
              timezone: tz,
              definition: { range: RANGE, interval: "day", series: [{ event: "page_view", filters: [] }], cohortFilters: [{ cohortId: TENTH.id, op: "in" }] },
              cohorts: [TENTH],
            }),
          hand: `SELECT date_trunc('day', timezone('${tz}', ts)) AS d, count(*) AS n FROM events WHERE ${where} AND event_name = 'page_view'
                   AND profile_id IN (SELECT profile_id FROM cohort_members WHERE project_id = '${project}' AND cohort_id = '${TENTH.id}') GROUP BY d ORDER BY d`,
          agree: (result: TrendResult, rows) => ({ service: result.series[0]!.values.filter((value) => value !== 0), hand: rows.map((row) => Number(row.n)) }),
        },
        {
          name: "funnel, 3 steps",
          targetMs: 1500,
          service: () =>
            service.report.funnel({ projectId: project, timezone: tz, definition: { range: RANGE, steps: funnelNames(three), windowSeconds: 86_400 } }),
          hand: handFunnel(project, three),
          agree: agreeFunnel,
        },
        {
          name: "funnel, 10 steps",
          targetMs: 3000,
          service: () =>
            service.report.funnel({ projectId: project, timezone: tz, definition: { range: RANGE, steps: funnelNames(ten), windowSeconds: 86_400 } }),
          hand: handFunnel(project, ten),
          agree: agreeFunnel,
        },
        {
          name: "segmentation by campaign",
          targetMs: 500,
          service: () =>
            service.report.segment({
              projectId: project,
              definition: { range: RANGE, event: "purchase", breakdown: "props.campaign", aggregation: { op: "sum", field: "props.amount" }, topN: 10 },
            }),
          // Top 10 and the total (so "other" is total minus the top), in one scan.
          hand: `WITH grouped AS (SELECT props->>'campaign' AS g, sum(TRY_CAST(props->>'amount' AS DOUBLE)) AS v FROM events WHERE ${where} AND event_name = 'purchase' GROUP BY g)
               SELECT g, v, sum(v) OVER () AS total FROM grouped ORDER BY v DESC LIMIT 10`,
          agree: (result: SegmentResult, rows) => ({
            service: { top: result.rows.map((row) => [row.value, round(row.result)]), total: round(result.total) },
            hand: { top: rows.map((row) => [row.g, round(row.v)]), total: round(rows[0]?.total) },
          }),
        },
        {
          name: "paths after page_view, 5",
          targetMs: 3000,
          service: () => service.report.paths({ projectId: project, definition: { range: RANGE, event: "page_view", direction: "after", depth: 5, topN: 10 } }),
          // Written the plain way: every profile's events numbered in one pass, with the session breaks
          // and the name before; the path is its first page_view's session from there on, repeats dropped.
          hand: `WITH c AS (SELECT pid, name, r, prev, sum(brk) OVER (PARTITION BY pid ORDER BY r) AS sess
                        FROM (SELECT profile_id AS pid, event_name AS name, row_number() OVER w AS r, lag(event_name) OVER w AS prev,
                                     coalesce(ts - lag(ts) OVER w > INTERVAL 30 MINUTE, false)::INTEGER AS brk
                                FROM events WHERE ${where} AND profile_id IS NOT NULL WINDOW w AS (PARTITION BY profile_id ORDER BY ts, event_id))),
                    st AS (SELECT pid, arg_min(sess, r) AS s0, min(r) AS r0 FROM c WHERE name = 'page_view' GROUP BY pid),
                    p AS (SELECT list(c.name ORDER BY c.r)[1:6] AS path FROM c JOIN st USING (pid)
                           WHERE c.sess = st.s0 AND c.r >= st.r0 AND (c.r = st.r0 OR c.name <> c.prev) GROUP BY c.pid)
               SELECT path, count(*) AS n FROM p GROUP BY path ORDER BY n DESC, path LIMIT 10`,
          agree: (result: PathsResult, rows) => ({
            service: result.paths.map((path) => [path.steps.join(" > "), path.count]),
            hand: rows.map((row) => [(row.path as string[]).join(" > "), Number(row.n)]),
          }),
        },
        {
          // Identity merge (workers/query/identity.ts): with overrides in the project every event is
          // read through them. Every tenth profile is merged into the one before it while this runs.
          name: "retention, merged ids",
          targetMs: 1500,
          during: {
            setUp: `INSERT OR IGNORE INTO person_overrides SELECT '${project}', 'u' || i, 'u' || (i - 1), now() FROM range(1, ${PROFILES}, 10) t(i)`,
            tearDown: `DELETE FROM person_overrides WHERE project_id = '${project}'`,
          },
          service: () =>
            service.report.retention({ projectId: project, timezone: tz, definition: { range: RANGE, cohortEvent: "signup", returnEvent: null, periods: 14 } }),
          // Each event's person, the first signup per person, then distinct active days per person.
          hand: `WITH ev AS (SELECT coalesce(po.person_id, e.profile_id) AS pid, e.ts, e.event_name
                             FROM events e LEFT JOIN person_overrides po ON po.project_id = e.project_id AND po.distinct_id = e.profile_id
                            WHERE e.project_id = '${project}' AND e.profile_id IS NOT NULL AND e.ts < TIMESTAMPTZ '${RANGE.to}'),
                      cohort AS (SELECT pid, date_trunc('day', timezone('${tz}', min(ts))) AS cd FROM ev WHERE event_name = 'signup'
                                  GROUP BY pid HAVING min(ts) >= TIMESTAMPTZ '${RANGE.from}'),
                      active AS (SELECT DISTINCT pid, date_trunc('day', timezone('${tz}', ts)) AS ad FROM ev WHERE ts >= TIMESTAMPTZ '${RANGE.from}')
               SELECT strftime(cd, '%Y-%m-%dT%H:%M') AS cohort, -1 AS period, count(*) AS n FROM cohort GROUP BY cd
               UNION ALL
               SELECT strftime(cd, '%Y-%m-%dT%H:%M'), date_diff('day', cd, ad), count(*) FROM cohort JOIN active USING (pid)
                WHERE ad >= cd AND date_diff('day', cd, ad) <= 14 GROUP BY ALL`,
          // Cohort sizes (period -1) and every non-zero period count, in one sorted list.
          agree: (result: RetentionResult, rows) => ({
            service: result.cohorts
              .flatMap((cohort) => [
                `${cohort.cohort} -1 ${cohort.size}`,
                ...cohort.counts.flatMap((count, period) => (count ? [`${cohort.cohort} ${period} ${count}`] : [])),
              ])
              .filter((line) => !line.endsWith(" -1 0"))
              .sort(),
            hand: rows.map((row) => `${String(row.cohort)} ${Number(row.period)} ${Number(row.n)}`).sort(),
          }),
        },
        {
          name: "events page (newest 50)",
          targetMs: 100,
          service: () => service.events.list({ projectId: project, limit: 50 }),
          // The columns the events page shows.
          hand: `SELECT event_id, event_name, profile_id, ts, received_at, browser, os, device_type, ctx->>'country' AS country, props
                 FROM events WHERE project_id = '${project}' ORDER BY ts DESC, event_id DESC LIMIT 51`,
          agree: (result: { items: EventRow[] }, rows) => ({
            service: result.items.map((item) => item.eventId),
            hand: rows.slice(0, 50).map((row) => row.event_id),
          }),
        },
      ];
    };

    // BENCH_ONLY=funnel runs just the cases whose name contains that text ("trend|funnel": either).
    const only = process.env.BENCH_ONLY?.split("|");
    const selected = (project: string) => casesFor(project).filter((entry) => !only || only.some((part) => entry.name.includes(part)));
    /** One case: whether both sides agree, and their medians; a failing side (set-up included) is recorded, never thrown. */
    const timeCase = async (item: Case, minRuns?: number): Promise<CaseTimes> => {
      if (!item.during) return timeAnswers(item, minRuns);
      try {
        await connection.run(item.during.setUp);
      } catch (error) {
        const failed = describe(error);
        failed.detail = `set-up ${failed.detail}`;
        return { same: false, service: failed, hand: failed };
      }
      try {
        return await timeAnswers(item, minRuns);
      } finally {
        await connection.run(item.during.tearDown);
      }
    };
    const answer = async (work: () => Promise<unknown>): Promise<{ value: unknown } | Failure> => {
      try {
        return { value: await work() };
      } catch (error) {
        return describe(error);
      }
    };
    const timeAnswers = async (item: Case, minRuns?: number): Promise<CaseTimes> => {
      const fromService = await answer(item.service);
      const byHand = await answer(() => hand(item.hand));
      let same = false;
      if ("value" in fromService && "value" in byHand) {
        try {
          const answers = item.agree(fromService.value as never, byHand.value as Row[]);
          same = JSON.stringify(answers.service) === JSON.stringify(answers.hand);
          if (!same)
            console.log(
              `${item.name}: the service and the hand query disagree\n  service ${JSON.stringify(answers.service)}\n  hand    ${JSON.stringify(answers.hand)}`,
            );
        } catch (error) {
          // An answer of an unexpected shape: printed, counted as a disagreement, timed all the same.
          console.log(`${item.name}: the answers could not be compared: ${describe(error).detail}`);
        }
      }
      const times = await medians(
        side(item.service, "failed" in fromService ? fromService : undefined),
        side(() => hand(item.hand), "failed" in byHand ? byHand : undefined),
        minRuns,
      );
      return { same: same && "ms" in times.service && "ms" in times.hand, ...times };
    };

    // The 1 % tenant as the sink leaves the rows (arrival order), before any compaction.
    const compactedAlready = Number((await (await connection.runAndReadAll("SELECT count(*) AS n FROM event_compactions")).getRowObjectsJS())[0]?.n ?? 0) > 0;
    const before: TenantTimes = {};
    if (!compactedAlready) for (const item of selected(SMALL)) before[item.name] = await timeCase(item, 3);
    if (!compactedAlready) {
      const compactionStarted = performance.now();
      const steps = await compactEvents(duckdb);
      await connection.run("CHECKPOINT");
      const seconds = (performance.now() - compactionStarted) / 1000;
      const rows = steps.reduce((sum, step) => sum + step.rows, 0);
      console.log(
        `compacted ${rows.toLocaleString("en-US")} rows in ${steps.length} spans in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString("en-US")} rows/s, checkpoint included); peak RSS so far ${peakRss()}`,
      );
    }

    console.log(`\nwhole table (${PROJECT}, 99 % of the rows), compacted`);
    console.log(`${"report".padEnd(28)}${"service".padStart(12)}${"by hand".padStart(12)}${"ratio".padStart(8)}${"target".padStart(10)}  verdict`);
    let failed = false;
    try {
      const whole: TenantTimes = {};
      for (const item of selected(PROJECT)) {
        const times = await timeCase(item);
        whole[item.name] = times;
        const serviceMs = msOf(times.service);
        const handMs = msOf(times.hand);
        const ratio = serviceMs !== undefined && handMs !== undefined ? serviceMs / handMs : undefined;
        const why = failures(times);
        if (why.length === 0) {
          if (!times.same) why.push("answers differ");
          if (serviceMs !== undefined && serviceMs > item.targetMs) why.push("over the target");
          if (ratio !== undefined && ratio > HAND_RATIO) why.push(`over ${HAND_RATIO}× the hand query`);
        }
        const ok = why.length === 0 && serviceMs !== undefined && ratio !== undefined;
        failed ||= !ok;
        const wholeMs = (ms: number) => `${ms.toFixed(0)} ms`;
        console.log(
          `${item.name.padEnd(28)}${cell(times.service, wholeMs).padStart(12)}${cell(times.hand, wholeMs).padStart(12)}${(ratio === undefined ? "–" : ratio.toFixed(2)).padStart(8)}${`${item.targetMs} ms`.padStart(10)}  ${ok ? "ok" : `MISSED: ${why.join("; ")}`}`,
        );
      }
      const small: TenantTimes = {};
      for (const item of selected(SMALL)) small[item.name] = await timeCase(item);
      failed = !tenantSection({ tenant: SMALL, whole, before, after: small }) || failed;
      if (!only || only.some((part) => "dashboard".includes(part))) {
        try {
          failed = !(await dashboardOpens(duckdb, tz)) || failed;
        } catch (error) {
          failed = true;
          console.log(`dashboard opens: MISSED: ${describe(error).detail}`);
        }
      }
    } finally {
      // Printed whatever happened above: the memory a long run reached is worth having even from a run that broke.
      console.log(`\npeak RSS ${peakRss()}`);
    }
    connection.closeSync();
    duckdb.closeSync();
    if (failed) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

/**
 * A dashboard of six reports opened by 20 people at once, without and with the report cache, in
 * the same run: how many DuckDB queries ran (every connection the runner opened: report statements
 * and the cache's freshness reads), how many reports were computed, and the p50 / p99 of the opens
 * (an open is all six reports, as the dashboard loads them in parallel). The cache starts empty.
 * An open that fails (a report over the runner's time limit) is counted and its reason printed, and
 * the other mode still runs: answers whether every open succeeded.
 */
async function dashboardOpens(duckdb: DuckDBInstance, tz: string): Promise<boolean> {
  const PEOPLE = 20;
  type Caller = ReturnType<typeof createQueryCaller>;
  // An open is done when all six reports are: one that fails does not stop the others, which would
  // otherwise keep running while the next mode is measured.
  const open = async (service: Caller) => {
    const reports = await Promise.allSettled([
      service.report.trend({
        projectId: PROJECT,
        timezone: tz,
        definition: { range: RANGE, interval: "day", series: [{ event: null, filters: [] }], compare: true },
      }),
      service.report.trend({
        projectId: PROJECT,
        timezone: tz,
        definition: { range: RANGE, interval: "day", series: [{ event: "purchase", filters: [], aggregation: { op: "sum", field: "props.amount" } }] },
      }),
      service.report.funnel({
        projectId: PROJECT,
        timezone: tz,
        definition: { range: RANGE, steps: [{ event: "page_view" }, { event: "add_to_cart" }, { event: "purchase" }], windowSeconds: 86_400 },
      }),
      service.report.segment({ projectId: PROJECT, definition: { range: RANGE, event: "purchase", breakdown: "props.campaign", topN: 10 } }),
      service.report.query({ projectId: PROJECT, definition: { range: RANGE, groupBy: ["ctx.country"] } }),
      service.report.retention({ projectId: PROJECT, timezone: tz, definition: { range: RANGE, cohortEvent: "signup", returnEvent: null, periods: 14 } }),
    ]);
    const failed = reports.find((report) => report.status === "rejected");
    if (failed) throw failed.reason;
  };
  console.log(`\n${PEOPLE} concurrent opens of a 6-report dashboard`);
  let allOpened = true;
  console.log(`${"".padEnd(12)}${"DuckDB queries".padStart(16)}${"reports run".padStart(13)}${"open p50".padStart(11)}${"open p99".padStart(11)}`);
  for (const cached of [false, true]) {
    let queries = 0;
    const runner = new QueryRunner(duckdb, { timeoutMs: DASHBOARD_TIMEOUT_MS, maxRows: 100_000 }, (delta) => {
      if (delta > 0) queries++;
    });
    const registry = new Registry();
    const metrics = reportMetrics(registry);
    const service = createQueryCaller({
      runner,
      log: createLogger("bench", "silent"),
      metrics,
      ...(cached ? { reports: new ReportCache((q) => runner.all(q), metrics) } : {}),
    });
    // Settled, not Promise.all: the opens still running after one fails would slow the next mode.
    const settled = await Promise.allSettled(
      Array.from({ length: PEOPLE }, async () => {
        const started = performance.now();
        await open(service);
        return performance.now() - started;
      }),
    );
    const times = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])).sort((a, b) => a - b);
    const failures = settled.flatMap((result) => (result.status === "rejected" ? [describe(result.reason, DASHBOARD_TIMEOUT_MS).detail] : []));
    const computed = (await registry.getSingleMetric("report_query_total")!.get()).values
      .filter((entry) => entry.labels.outcome === "ok")
      .reduce((sum, entry) => sum + entry.value, 0);
    const at = (q: number) => (times.length === 0 ? "–" : `${times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!.toFixed(0)} ms`);
    const missed = failures.length === 0 ? "" : `  MISSED: ${failures.length} of ${PEOPLE} opens failed (${[...new Set(failures)].join("; ")})`;
    console.log(
      `${(cached ? "cache" : "no cache").padEnd(12)}${String(queries).padStart(16)}${String(computed).padStart(13)}${at(0.5).padStart(11)}${at(0.99).padStart(11)}${missed}`,
    );
    allOpened &&= failures.length === 0;
  }
  return allOpened;
}

// Exit when done: a report that timed out may still be running inside DuckDB, and would keep the process alive.
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
