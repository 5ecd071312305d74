/**
 * SQL building for reports: pure functions from validated definitions to `{ sql, params }`.
 *
 * Values from a request are always bound parameters. Property names reach SQL only as JSON path
 * literals (`'$."key"."sub"'`) built from keys that `parseField` restricted to [A-Za-z0-9_$-] and
 * that `jsonPathLiteral` checks again: DuckDB parses a literal path once per query, a bound one per
 * row. Column names come from a fixed list. The project id is always the first parameter and every
 * query filters by it. Numbers the engine computed itself (time zone offsets) are inlined as integers.
 */
import { parseField, type Aggregation, type Filter, type FilterScalar, type Interval } from "../../src/core/reports";
import { personEvents } from "./identity";

export type SqlValue = string | number | boolean | null;

export interface BuiltQuery {
  sql: string;
  params: SqlValue[];
}

/** Collects bound parameters and hands out their `$n` placeholders. */
export class Params {
  readonly values: SqlValue[] = [];
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** Numbers are bound as DOUBLE whatever JS integer-ness they have. */
  number(value: number): string {
    return `CAST(${this.add(value)} AS DOUBLE)`;
  }
  timestamp(iso: string): string {
    return `CAST(${this.add(iso)} AS TIMESTAMPTZ)`;
  }
}

/** `$."a"."b"`: keys are validated by parseField, so they hold no quote or backslash. */
export function jsonPath(path: string[]): string {
  return "$" + path.map((key) => `."${key}"`).join("");
}

const SAFE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/** The JSON path as a quoted SQL literal; refuses any key that could end the literal or the path. */
export function jsonPathLiteral(path: string[]): string {
  if (path.length === 0 || !path.every((key) => SAFE_KEY.test(key))) {
    throw new Error(`invalid property path reached the SQL builder: ${JSON.stringify(path).slice(0, 80)}`);
  }
  return `'${jsonPath(path)}'`;
}

/** A query's view of the events table: the `e` alias, and `p` (latest profile) joined on demand. */
export class Scope {
  needsProfile = false;
  private personRead = false;
  constructor(readonly params: Params) {}

  /** Whether an expression built here reads the event's person: `profile_id`, `profile.*` or unique profiles. */
  get readsPerson(): boolean {
    return this.personRead;
  }

  /** The event's person; reading it makes `from(…, { persons: "when-read" })` resolve persons. */
  person(): string {
    this.personRead = true;
    return "e.profile_id";
  }

  /** The field's value as text (NULL when missing or JSON null). */
  text(field: string): string {
    const parsed = parseField(field);
    if (!parsed) throw new Error(`invalid field reached the SQL builder: ${JSON.stringify(field).slice(0, 80)}`);
    if (parsed.kind === "column") return parsed.column === "profile_id" ? this.person() : `e.${parsed.column}`;
    if (parsed.source === "profile") this.needsProfile = this.personRead = true;
    const column = parsed.source === "profile" ? "p.props" : `e.${parsed.source}`;
    return `json_extract_string(${column}, ${jsonPathLiteral(parsed.path)})`;
  }

  /** The field's value as a number; text that is not a number counts as missing. */
  number(field: string): string {
    return `TRY_CAST(${this.text(field)} AS DOUBLE)`;
  }

  filter(filter: Filter): string {
    const p = this.params;
    switch (filter.op) {
      case "eq":
      case "neq": {
        const compare = filter.op === "eq" ? "=" : "IS DISTINCT FROM";
        if (typeof filter.value === "number") return `(${this.number(filter.field)} ${compare} ${p.number(filter.value)})`;
        return `(${this.text(filter.field)} ${compare} ${p.add(scalarText(filter.value))})`;
      }
      case "contains":
        return `coalesce(contains(lower(${this.text(filter.field)}), lower(${p.add(filter.value)})), false)`;
      case "not_contains":
        return `NOT coalesce(contains(lower(${this.text(filter.field)}), lower(${p.add(filter.value)})), false)`;
      case "gt":
      case "gte":
      case "lt":
      case "lte": {
        const operator = { gt: ">", gte: ">=", lt: "<", lte: "<=" }[filter.op];
        return `coalesce(${this.number(filter.field)} ${operator} ${p.number(filter.value)}, false)`;
      }
      case "in":
      case "not_in": {
        const list = filter.values.map((value) => p.add(scalarText(value))).join(", ");
        const expr = this.text(filter.field);
        return filter.op === "in" ? `coalesce(${expr} IN (${list}), false)` : `NOT coalesce(${expr} IN (${list}), false)`;
      }
      case "is_set":
        return `(${this.text(filter.field)} IS NOT NULL)`;
      case "is_not_set":
        return `(${this.text(filter.field)} IS NULL)`;
    }
  }

  filters(filters: Filter[]): string[] {
    return filters.map((filter) => this.filter(filter));
  }

  /** The numeric input of an aggregation (NULL::DOUBLE for count and unique profiles). */
  measure(aggregation: Aggregation): string {
    return "field" in aggregation ? this.number(aggregation.field) : "NULL::DOUBLE";
  }

  aggregate(aggregation: Aggregation, over: { value?: string; profile?: string } = {}): string {
    const profile = over.profile ?? (aggregation.op === "unique_profiles" ? this.person() : "e.profile_id");
    return aggregateSql(aggregation, over.value ?? ("field" in aggregation ? this.number(aggregation.field) : "NULL"), profile);
  }

  /**
   * `FROM events e [LEFT JOIN profiles p …]`; call after every expression has been built. `e.profile_id`
   * is the event's person (identity merge, ./identity.ts) unless `persons: false` asks for the id as sent.
   * `persons: "when-read"` resolves persons only if an expression built here (or `person()`) reads
   * them: a query whose own SQL reads `e.profile_id` must not use it. Resolving costs a
   * join on every row and a read of the id column (a filtered trend at 100M events: 467 → 340 ms).
   */
  from(projectParam: string, options: { persons?: boolean | "when-read" } = {}): string {
    const persons = options.persons === "when-read" ? this.personRead : options.persons !== false;
    const events = persons ? `${personEvents(projectParam)} e` : "events e";
    return this.needsProfile ? `${events} LEFT JOIN profiles p ON p.project_id = ${projectParam} AND p.profile_id = e.profile_id` : events;
  }
}

/** An aggregation over a numeric expression and a profile id expression; always DOUBLE. */
export function aggregateSql(aggregation: Aggregation, value: string, profile: string): string {
  switch (aggregation.op) {
    case "count":
      return "CAST(count(*) AS DOUBLE)";
    case "unique_profiles":
      return `CAST(count(DISTINCT ${profile}) AS DOUBLE)`;
    case "sum":
    case "avg":
    case "min":
    case "max":
      return `CAST(${aggregation.op}(${value}) AS DOUBLE)`;
    case "p50":
    case "p90":
    case "p99":
      return `quantile_cont(${value}, ${Number(aggregation.op.slice(1)) / 100})`;
  }
}

/** How values of every type look as text in JSON columns: what json_extract_string answers. */
export function scalarText(value: FilterScalar): string {
  return typeof value === "string" ? value : String(value);
}

/** DuckDB's `date_trunc` part and step for a bucket interval. */
export const INTERVAL_SQL: Record<Interval, { part: string; step: string }> = {
  minute: { part: "minute", step: "INTERVAL 1 MINUTE" },
  hour: { part: "hour", step: "INTERVAL 1 HOUR" },
  day: { part: "day", step: "INTERVAL 1 DAY" },
  week: { part: "week", step: "INTERVAL 7 DAY" },
  month: { part: "month", step: "INTERVAL 1 MONTH" },
};

export const BUCKET_FORMAT = "'%Y-%m-%dT%H:%M'";

/** The local (project time zone) bucket of a timestamp expression, as TIMESTAMP. Converts every row: use on small inputs. */
export function localBucket(expr: string, interval: Interval, tzParam: string): string {
  return `date_trunc('${INTERVAL_SQL[interval].part}', timezone(${tzParam}, ${expr}))`;
}

// Local time without a per-row time zone conversion ------------------------------------------------
//
// `timezone(tz, ts)` asks ICU for every row, which dominates a scan. A zone's UTC offset changes only
// a few times a year, so the engine looks the changes up once (a small query, cached) and turns each
// row's instant into local wall time with integer arithmetic: local µs = epoch µs + the offset in force.

const MICROS = { minute: 60_000_000n, hour: 3_600_000_000n, day: 86_400_000_000n, week: 7n * 86_400_000_000n } as const;
/** 1970-01-05, the first Monday after the epoch: weeks start on Monday, as in date_trunc('week'). */
const MONDAY_US = 4n * 86_400_000_000n;

/** A zone's UTC offset over a span: the offset in force at the start, then each change (µs since the epoch). */
export interface ZoneOffsets {
  timezone: string;
  initial: bigint;
  changes: Array<{ at: bigint; offset: bigint }>;
}

/**
 * The offset changes of `timezone` in whole years around [from, to): hourly samples find the hours
 * with a change, per-second samples inside those hours find the instant (tzdata changes fall on
 * whole seconds, and never twice in one hour).
 */
export function zoneOffsetsQuery(timezone: string, from: string, to: string): { query: BuiltQuery; key: string } {
  const firstYear = Math.max(1, new Date(from).getUTCFullYear() - 1);
  const lastYear = Math.min(9999, new Date(to).getUTCFullYear() + 1);
  const start = yearStart(firstYear).toISOString();
  // The last hour DuckDB can still step past: ranges end by 9999 at the latest.
  const end = new Date(Math.min(yearStart(lastYear).getTime(), Date.UTC(9999, 11, 31, 23))).toISOString();
  const params = new Params();
  const tz = params.add(timezone);
  const offset = (t: string) => `epoch_us(timezone(${tz}, ${t})) - epoch_us(${t})`;
  const sql = `WITH hours AS (
         SELECT t, ${offset("t")} AS off FROM unnest(range(${params.timestamp(start)}, ${params.timestamp(end)}, INTERVAL 1 HOUR)) r(t)),
       steps AS (SELECT t, off, lag(off) OVER (ORDER BY t) AS prev FROM hours),
       seconds AS (
         SELECT steps.t AS hour, s, ${offset("s")} AS off
           FROM steps, unnest(range(steps.t - INTERVAL 1 HOUR, steps.t + INTERVAL 1 SECOND, INTERVAL 1 SECOND)) r(s)
          WHERE steps.off <> steps.prev)
    SELECT NULL::BIGINT AS at_us, (SELECT off FROM hours ORDER BY t LIMIT 1) AS offset_us
    UNION ALL
    SELECT epoch_us(s) AS at_us, off AS offset_us FROM (SELECT s, off, lag(off) OVER (PARTITION BY hour ORDER BY s) AS prev FROM seconds) WHERE off <> prev
    ORDER BY at_us NULLS FIRST`;
  return { query: { sql, params: params.values }, key: `${timezone}\u0000${firstYear}\u0000${lastYear}` };
}

/** Jan 1 of a year, UTC (Date.UTC would read years 0-99 as 1900-1999). */
function yearStart(year: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, 0, 1);
  return date;
}

export function parseZoneOffsets(timezone: string, rows: Array<Record<string, unknown>>): ZoneOffsets {
  const micros = (value: unknown): bigint => {
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    throw new Error(`time zone offsets came back as ${typeof value}`);
  };
  const [first, ...rest] = rows;
  if (!first) throw new Error(`no time zone offsets for ${timezone}`);
  return { timezone, initial: micros(first.offset_us), changes: rest.map((row) => ({ at: micros(row.at_us), offset: micros(row.offset_us) })) };
}

/** Offsets are cached by zone and years: tzdata does not change while the service runs. */
const offsetCache = new Map<string, ZoneOffsets>();

export async function zoneOffsets(
  run: (query: BuiltQuery) => Promise<Array<Record<string, unknown>>>,
  timezone: string,
  from: string,
  to: string,
): Promise<ZoneOffsets> {
  const { query, key } = zoneOffsetsQuery(timezone, from, to);
  const cached = offsetCache.get(key);
  if (cached) return cached;
  const offsets = parseZoneOffsets(timezone, await run(query));
  if (offsetCache.size >= 500) offsetCache.delete(offsetCache.keys().next().value!);
  offsetCache.set(key, offsets);
  return offsets;
}

const ms = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

/** Local time in µs (as if the wall clock were UTC) of an instant in µs since the epoch, known to lie in [from, to). */
export function localMicros(epochMicros: string, offsets: ZoneOffsets, from: string, to: string): string {
  const start = ms(from);
  const end = ms(to);
  let current = offsets.initial;
  const inRange: Array<{ at: bigint; offset: bigint }> = [];
  for (const change of offsets.changes) {
    if (change.at <= start) current = change.offset;
    else if (change.at < end) inRange.push(change);
  }
  if (inRange.length === 0) return `(${epochMicros} + ${current})`;
  const branches: string[] = [];
  for (const change of inRange) {
    branches.push(`WHEN ${epochMicros} < ${change.at} THEN ${current}`);
    current = change.offset;
  }
  return `(${epochMicros} + CASE ${branches.join(" ")} ELSE ${current} END)`;
}

/** The local offset at an instant, from the looked-up changes. */
function offsetAt(offsets: ZoneOffsets, at: bigint): bigint {
  let current = offsets.initial;
  for (const change of offsets.changes) if (change.at <= at) current = change.offset;
  return current;
}

/**
 * Buckets of instants in [from, to) (µs since the epoch) without converting each row's time zone: a
 * BIGINT key per row (cheap to group by) and the SQL that turns a key back into the bucket's local
 * start as TIMESTAMP (run it after grouping). Same buckets as `localBucket`.
 */
export function fastLocalBucket(
  epochMicros: string,
  interval: Interval,
  offsets: ZoneOffsets,
  from: string,
  to: string,
): { key: string; start: (key: string) => string } {
  const local = localMicros(epochMicros, offsets, from, to);
  if (interval === "month") {
    const key = `epoch_us(date_trunc('month', make_timestamp(${local})))`;
    return { key, start: (k) => `make_timestamp(${k})` };
  }
  const unit = MICROS[interval];
  // An origin aligned to the unit (Mondays for weeks) and two days before the range's local start, so
  // every key is a non-negative count of units even where local time steps back.
  const localStart = ms(from) + offsetAt(offsets, ms(from)) - 2n * MICROS.day;
  const base = interval === "week" ? MONDAY_US : 0n;
  const origin = base + floorDiv(localStart - base, unit) * unit;
  const key = `((${local} - ${origin}) // ${unit})`;
  return { key, start: (k) => `make_timestamp(${origin} + ${k} * ${unit})` };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? quotient - 1n : quotient;
}

/** Every bucket label of [from, to) in local time, in order: the x axis of a chart. */
export function bucketSeries(from: string, to: string, interval: Interval, timezone: string): BuiltQuery {
  const params = new Params();
  const tz = params.add(timezone);
  const sql = `SELECT strftime(range, ${BUCKET_FORMAT}) AS bucket
      FROM range(${localBucket(params.timestamp(from), interval, tz)}, timezone(${tz}, ${params.timestamp(to)}), ${INTERVAL_SQL[interval].step})
     ORDER BY range`;
  return { sql, params: params.values };
}

/** Rough bucket count, checked before querying so a minute chart over a year is refused up front. */
export function approximateBuckets(from: string, to: string, interval: Interval): number {
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 }[interval];
  return Math.ceil((Date.parse(to) - Date.parse(from)) / unit) + 1;
}
