/**
 * Trends answered from the sink's hourly counts (workers/sink/rollups.ts) instead of the events:
 * a count over 30 days reads projects × names × 720 rows, whatever the number of events. Exact
 * when every bucket is a union of whole UTC hours, so the counts are used only when
 *
 * - the series counts events (unique profiles and sums need the rows), with no filter, no cohort
 *   and no other narrowing of the definition;
 * - the range (and the compared range) starts and ends on whole UTC hours;
 * - the buckets are hours or longer and the project's time zone is a whole number of hours off UTC
 *   with changes on whole hours (the looked-up offsets say so), over the whole scanned span.
 *
 * Otherwise, or for minute buckets, the trend scans the events as before. Person overrides do not
 * matter: a count does not depend on whose event it is. Answers have the shape of
 * `buildTrendSeries`'s, so the report shapes either the same way.
 */
import type { TrendDef } from "./reports";
import { BUCKET_FORMAT, fastLocalBucket, Params, type BuiltQuery, type ZoneOffsets } from "./sql";

const HOUR_US = 3_600_000_000n;
const HOUR_MS = 3_600_000;

/** The definition's keys the counts can answer; any other key must be unset or empty (a cohort filter, say). */
const UNDERSTOOD = new Set(["range", "interval", "series", "filters", "compare", "compareTo"]);

const wholeHour = (iso: string) => Date.parse(iso) % HOUR_MS === 0;

function hourAligned(offsets: ZoneOffsets): boolean {
  return offsets.initial % HOUR_US === 0n && offsets.changes.every((change) => change.offset % HOUR_US === 0n && change.at % HOUR_US === 0n);
}

export function countsAnswer(def: TrendDef, seriesIndex: number, offsets: ZoneOffsets, against: { from: string; to: string } | null): boolean {
  const series = def.series[seriesIndex];
  if (!series || series.aggregation.op !== "count" || series.filters.length > 0 || def.filters.length > 0) return false;
  for (const [key, value] of Object.entries(def)) {
    if (UNDERSTOOD.has(key) || value === undefined || value === null || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    return false;
  }
  if (def.interval === "minute") return false;
  const bounds = [def.range.from, def.range.to, ...(against ? [against.from, against.to] : [])];
  return bounds.every(wholeHour) && hourAligned(offsets);
}

/** The series from `event_counts`, or null when the counts cannot answer it exactly (see the header). */
export function buildTrendSeriesFromCounts(
  projectId: string,
  def: TrendDef,
  offsets: ZoneOffsets,
  seriesIndex: number,
  against: { from: string; to: string } | null,
): BuiltQuery | null {
  if (!countsAnswer(def, seriesIndex, offsets, against)) return null;
  const series = def.series[seriesIndex]!;
  const params = new Params();
  const project = params.add(projectId);
  const hour = (iso: string) => String(Date.parse(iso) / HOUR_MS);
  const scanFrom = against ? against.from : def.range.from;
  // Every event of an hour falls in the same local bucket: the hour's start stands for them all.
  const bucket = fastLocalBucket(`(c.hour * ${HOUR_US})`, def.interval, offsets, scanFrom, def.range.to);
  const from = `CAST(${params.add(hour(def.range.from))} AS BIGINT)`;
  const to = `CAST(${params.add(hour(def.range.to))} AS BIGINT)`;
  const where = [`c.project_id = ${project}`];
  if (series.event !== null) where.push(`c.event_name = ${params.add(series.event)}`);
  const adjacent = against === null || Date.parse(against.to) === Date.parse(def.range.from);
  let period = "0";
  let periods = "";
  if (against === null) where.push(`c.hour >= ${from}`, `c.hour < ${to}`);
  else if (adjacent) {
    period = `CASE WHEN c.hour >= ${from} THEN 0 ELSE 1 END`;
    where.push(`c.hour >= CAST(${params.add(hour(against.from))} AS BIGINT)`, `c.hour < ${to}`);
  } else {
    period = "cmp.period";
    periods = ` JOIN (VALUES (0, ${from}, ${to}), (1, CAST(${params.add(hour(against.from))} AS BIGINT), CAST(${params.add(hour(against.to))} AS BIGINT))) AS cmp(period, f, t)
          ON c.hour >= cmp.f AND c.hour < cmp.t`;
  }
  const sql = `SELECT period, strftime(${bucket.start("bucket")}, ${BUCKET_FORMAT}) AS bucket, value
      FROM (SELECT ${period} AS period, ${bucket.key} AS bucket, CAST(sum(c.events) AS DOUBLE) AS value
              FROM event_counts c${periods}
             WHERE ${where.join(" AND ")}
             GROUP BY GROUPING SETS ((period, bucket), (period)))`;
  return { sql, params: params.values };
}
