/**
 * A straightforward in-memory implementation of every report, written from the semantics in
 * reports.ts rather than from its SQL. The property tests check the engine against it on random
 * data; it is deliberately slow and obvious.
 */
import { parseField, type Aggregation, type Filter, type Interval } from "../../src/core/reports";
import type { FunnelResult, FunnelStepResult, QueryResult, RetentionResult, SegmentResult, TrendResult } from "../../src/core/reports";
import type { FunnelDef, QueryDef, RetentionDef, SegmentDef, TrendDef } from "./reports";
import { compareNullableDesc, compareText, previousRange } from "./reports";
import type { PathsResult } from "../../src/core/reports";
import type { PathsDef } from "./paths";
import type { ResolvedCohort } from "../../src/core/cohorts";
import type { CohortFilter, WithCohorts } from "../../src/core/reports";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface RefEvent {
  project_id: string;
  event_id: string;
  event_name: string;
  profile_id: string | null;
  ts: number;
  props: Record<string, Json>;
  ctx: Record<string, Json>;
  browser: string | null;
  os: string | null;
  device_type: string | null;
}
export interface RefData {
  events: RefEvent[];
  /** Latest profile props by project and profile id: `${project}\u0000${profile}`. */
  profiles: Map<string, Record<string, Json>>;
  /** Person overrides (identity merge) by `${project}\u0000${distinct id}`; none when absent. */
  overrides?: Map<string, string>;
}

/**
 * Identity merge: each event's profile id is read as its person (`overrides`, by
 * `${project}\u0000${distinct id}`), as if the events had been sent under the person's id.
 */
function withPersons(data: RefData): RefData {
  const overrides = data.overrides;
  if (!overrides || overrides.size === 0) return data;
  const events = data.events.map((event) => {
    const person = event.profile_id === null ? undefined : overrides.get(`${event.project_id}\u0000${event.profile_id}`);
    return person === undefined ? event : { ...event, profile_id: person };
  });
  return { ...data, events };
}

function lookup(object: Record<string, Json> | undefined, path: string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) {
    if (typeof current !== "object" || current === null || Array.isArray(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** What json_extract_string answers: strings as-is, other scalars as JSON text, null/missing as null. */
export function fieldText(data: RefData, event: RefEvent, field: string): string | null {
  const parsed = parseField(field)!;
  if (parsed.kind === "column") return event[parsed.column];
  const source =
    parsed.source === "profile"
      ? event.profile_id === null
        ? undefined
        : data.profiles.get(`${event.project_id}\u0000${event.profile_id}`)
      : event[parsed.source];
  const value = lookup(source, parsed.path);
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function fieldNumber(data: RefData, event: RefEvent, field: string): number | null {
  const text = fieldText(data, event, field);
  if (text === null || !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return null;
  return Number(text);
}

const scalarText = (value: string | number | boolean) => (typeof value === "string" ? value : String(value));

export function matches(data: RefData, event: RefEvent, filter: Filter): boolean {
  switch (filter.op) {
    case "eq":
    case "neq": {
      const equal =
        typeof filter.value === "number"
          ? fieldNumber(data, event, filter.field) === filter.value
          : fieldText(data, event, filter.field) === scalarText(filter.value);
      return filter.op === "eq" ? equal : !equal;
    }
    case "contains":
    case "not_contains": {
      const text = fieldText(data, event, filter.field);
      const found = text !== null && text.toLowerCase().includes(filter.value.toLowerCase());
      return filter.op === "contains" ? found : !found;
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const value = fieldNumber(data, event, filter.field);
      if (value === null) return false;
      return { gt: value > filter.value, gte: value >= filter.value, lt: value < filter.value, lte: value <= filter.value }[filter.op];
    }
    case "in":
    case "not_in": {
      const text = fieldText(data, event, filter.field);
      const found = text !== null && filter.values.some((value) => scalarText(value) === text);
      return filter.op === "in" ? found : !found;
    }
    case "is_set":
      return fieldText(data, event, filter.field) !== null;
    case "is_not_set":
      return fieldText(data, event, filter.field) === null;
  }
}

export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function aggregate(data: RefData, events: RefEvent[], aggregation: Aggregation): number | null {
  if (aggregation.op === "count") return events.length;
  if (aggregation.op === "unique_profiles") return new Set(events.map((event) => event.profile_id).filter((id) => id !== null)).size;
  const values = events.map((event) => fieldNumber(data, event, aggregation.field)).filter((value): value is number => value !== null);
  if (values.length === 0) return null;
  switch (aggregation.op) {
    case "sum":
      return values.reduce((a, b) => a + b, 0);
    case "avg":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "min":
      return Math.min(...values);
    case "max":
      return Math.max(...values);
    default:
      return quantile(values, Number(aggregation.op.slice(1)) / 100);
  }
}

const emptyValue = (aggregation: Aggregation) => (aggregation.op === "count" || aggregation.op === "unique_profiles" || aggregation.op === "sum" ? 0 : null);

// local time --------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The wall-clock time of an instant in `tz`, as ms of a UTC date with the same fields. */
export function localMs(instant: number, tz: string): number {
  let format = formatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall + (((instant % 1000) + 1000) % 1000);
}

export function truncateLocal(local: number, interval: Interval): number {
  const date = new Date(local);
  switch (interval) {
    case "minute":
      return Math.floor(local / 60_000) * 60_000;
    case "hour":
      return Math.floor(local / 3_600_000) * 3_600_000;
    case "day":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    case "week": {
      const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
      const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
      return day - weekday * 86_400_000;
    }
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
}

function nextLocal(local: number, interval: Interval): number {
  if (interval === "month") {
    const date = new Date(local);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return local + { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 }[interval];
}

export const label = (local: number) => new Date(local).toISOString().slice(0, 16);
export const bucketOf = (instant: number, interval: Interval, tz: string) => label(truncateLocal(localMs(instant, tz), interval));

export function buckets(from: number, to: number, interval: Interval, tz: string): string[] {
  const out: string[] = [];
  const end = localMs(to, tz);
  for (let local = truncateLocal(localMs(from, tz), interval); local < end; local = nextLocal(local, interval)) out.push(label(local));
  return out;
}

// reports -----------------------------------------------------------------------------------------

function inRange(event: RefEvent, projectId: string, from: number, to: number): boolean {
  return event.project_id === projectId && event.ts >= from && event.ts < to;
}

export function refQuery(data: RefData, projectId: string, def: QueryDef): QueryResult {
  data = withPersons(data);
  const from = Date.parse(def.range.from);
  const to = Date.parse(def.range.to);
  const events = data.events.filter(
    (event) =>
      inRange(event, projectId, from, to) &&
      (def.events.length === 0 || def.events.includes(event.event_name)) &&
      def.filters.every((filter) => matches(data, event, filter)),
  );
  const groups = new Map<string, { keys: Array<string | null>; events: RefEvent[] }>();
  if (def.groupBy.length === 0) groups.set("", { keys: [], events });
  else
    for (const event of events) {
      const keys = def.groupBy.map((field) => fieldText(data, event, field));
      const id = JSON.stringify(keys);
      const group = groups.get(id) ?? { keys, events: [] };
      group.events.push(event);
      groups.set(id, group);
    }
  const rows = [...groups.values()]
    .map((group) => ({ groups: group.keys, value: aggregate(data, group.events, def.aggregation) }))
    .sort((a, b) => compareNullableDesc(a.value, b.value) || a.groups.reduce((acc, key, index) => acc || compareText(key, b.groups[index]!), 0));
  return { columns: [...def.groupBy, "value"], rows: rows.slice(0, def.limit), truncated: rows.length > def.limit };
}

/**
 * The same wall time one calendar year earlier in `tz` (29 February to 28 February), found by trying
 * every offset the zone uses within two days: the earliest instant showing that wall time, or, for a
 * wall time a DST change skipped, the wall time read with the offset of the day before.
 */
function refShiftYear(instant: number, tz: string): number {
  const wall = new Date(localMs(instant, tz));
  const year = wall.getUTCFullYear() - 1;
  const month = wall.getUTCMonth();
  const day = Math.min(wall.getUTCDate(), new Date(Date.UTC(year, month + 1, 0)).getUTCDate());
  const target = Date.UTC(year, month, day, wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), wall.getUTCMilliseconds());
  const offsets = new Set<number>();
  for (let at = target - 2 * 86_400_000; at <= target + 2 * 86_400_000; at += 3_600_000) offsets.add(localMs(at, tz) - at);
  const exact = [...offsets].map((offset) => target - offset).filter((candidate) => localMs(candidate, tz) === target);
  if (exact.length > 0) return Math.min(...exact);
  const dayBefore = target - 86_400_000;
  return target - (localMs(dayBefore, tz) - dayBefore);
}

export function refYearEarlier(range: { from: string; to: string }, tz: string): { from: string; to: string } {
  return {
    from: new Date(refShiftYear(Date.parse(range.from), tz)).toISOString(),
    to: new Date(refShiftYear(Date.parse(range.to), tz)).toISOString(),
  };
}

export function refTrend(data: RefData, projectId: string, def: TrendDef, tz: string): TrendResult {
  data = withPersons(data);
  const period = (range: { from: string; to: string }, seriesIndex: number) => {
    const series = def.series[seriesIndex]!;
    const from = Date.parse(range.from);
    const to = Date.parse(range.to);
    const labels = buckets(from, to, def.interval, tz);
    const events = data.events.filter(
      (event) =>
        inRange(event, projectId, from, to) &&
        (series.event === null || event.event_name === series.event) &&
        [...def.filters, ...series.filters].every((filter) => matches(data, event, filter)),
    );
    const values = labels.map((bucket) => {
      const inBucket = events.filter((event) => bucketOf(event.ts, def.interval, tz) === bucket);
      return inBucket.length === 0 ? emptyValue(series.aggregation) : aggregate(data, inBucket, series.aggregation);
    });
    const total = events.length === 0 ? emptyValue(series.aggregation) : aggregate(data, events, series.aggregation);
    return { labels, values, total };
  };
  const current = def.series.map((_, index) => period(def.range, index));
  return {
    buckets: current[0]!.labels,
    series: def.series.map((series, index) => {
      const now = current[index]!;
      let previous: TrendResult["series"][number]["previous"] = null;
      if (def.compare) {
        const before = period(def.compareTo === "year" ? refYearEarlier(def.range, tz) : previousRange(def.range), index);
        const changePercent = now.total !== null && before.total !== null && before.total !== 0 ? ((now.total - before.total) / before.total) * 100 : null;
        previous = { against: def.compareTo, buckets: before.labels, values: before.values, total: before.total, changePercent };
      }
      return { label: series.label ?? "", values: now.values, total: now.total, previous };
    }),
  };
}

const keyCompare = (a: RefEvent, b: RefEvent) => a.ts - b.ts || compareText(a.event_id, b.event_id);

export function refFunnel(data: RefData, projectId: string, def: FunnelDef, tz: string): FunnelResult {
  data = withPersons(data);
  const from = Date.parse(def.range.from);
  const to = Date.parse(def.range.to);
  const window = def.windowSeconds * 1000;
  const byProfile = new Map<string, RefEvent[]>();
  for (const event of data.events) {
    if (event.project_id !== projectId || event.profile_id === null || event.ts < from || event.ts >= to + window) continue;
    if (!def.filters.every((filter) => matches(data, event, filter))) continue;
    const list = byProfile.get(event.profile_id) ?? [];
    list.push(event);
    byProfile.set(event.profile_id, list);
  }
  const isStep = (event: RefEvent, index: number) => {
    const step = def.steps[index]!;
    return event.event_name === step.event && step.filters.every((filter) => matches(data, event, filter));
  };
  // Every step-1 event in the range starts an attempt; each later step is the earliest matching event
  // after the previous step's, within the window. A profile counts once, by its best attempt: the
  // furthest step, then the earliest event reaching it, then the earliest start.
  const attempts: Array<{ breakdown: string | null; times: number[] }> = [];
  for (const events of byProfile.values()) {
    events.sort(keyCompare);
    let best: { start: RefEvent; matched: RefEvent[] } | null = null;
    for (const start of events) {
      if (!isStep(start, 0) || start.ts >= to) continue;
      const matched = [start];
      for (let index = 1; index < def.steps.length; index++) {
        const previous = matched[matched.length - 1]!;
        const next = events.find((event) => keyCompare(event, previous) > 0 && isStep(event, index) && event.ts <= start.ts + window);
        if (!next) break;
        matched.push(next);
      }
      const better =
        best === null ||
        matched.length > best.matched.length ||
        (matched.length === best.matched.length &&
          (keyCompare(matched[matched.length - 1]!, best.matched[best.matched.length - 1]!) || keyCompare(start, best.start)) < 0);
      if (better) best = { start, matched };
    }
    if (!best) continue;
    attempts.push({ breakdown: def.breakdown ? fieldText(data, best.start, def.breakdown) : null, times: best.matched.map((event) => event.ts) });
  }
  const stepsOf = (group: typeof attempts): FunnelStepResult[] => {
    const counts = def.steps.map((_, index) => group.filter((attempt) => attempt.times.length > index).length);
    return def.steps.map((step, index) => {
      const count = counts[index]!;
      const previous = index === 0 ? count : counts[index - 1]!;
      const pct = (part: number, whole: number) => (whole === 0 ? 0 : (part / whole) * 100);
      const durations = group
        .filter((attempt) => attempt.times.length > index && index > 0)
        .map((attempt) => (attempt.times[index]! - attempt.times[index - 1]!) / 1000);
      return {
        label: step.label ?? step.event,
        count,
        conversionFromStart: index === 0 ? (count > 0 ? 100 : 0) : pct(count, counts[0]!),
        conversionFromPrevious: index === 0 ? (count > 0 ? 100 : 0) : pct(count, previous),
        dropOff: previous - count,
        medianSecondsFromPrevious: index === 0 ? null : quantile(durations, 0.5),
      };
    });
  };
  let breakdown: FunnelResult["breakdown"] = null;
  if (def.breakdown) {
    const groups = new Map<string | null, typeof attempts>();
    for (const attempt of attempts) groups.set(attempt.breakdown, [...(groups.get(attempt.breakdown) ?? []), attempt]);
    breakdown = [...groups.entries()]
      .sort(([a, x], [b, y]) => y.length - x.length || compareText(a, b))
      .slice(0, def.breakdownLimit)
      .map(([value, group]) => ({ value, steps: stepsOf(group) }));
  }
  return {
    steps: stepsOf(attempts),
    breakdown,
    overTime: buckets(from, to, def.interval, tz).map((bucket) => {
      const started = attempts.filter((attempt) => bucketOf(attempt.times[0]!, def.interval, tz) === bucket);
      const completed = started.filter((attempt) => attempt.times.length === def.steps.length).length;
      return { bucket, started: started.length, completed, conversion: started.length === 0 ? 0 : (completed / started.length) * 100 };
    }),
  };
}

export function refSegment(data: RefData, projectId: string, def: SegmentDef): SegmentResult {
  data = withPersons(data);
  const from = Date.parse(def.range.from);
  const to = Date.parse(def.range.to);
  const events = data.events.filter(
    (event) =>
      inRange(event, projectId, from, to) &&
      (def.event === null || event.event_name === def.event) &&
      def.filters.every((filter) => matches(data, event, filter)),
  );
  const groups = new Map<string | null, RefEvent[]>();
  for (const event of events) {
    const key = fieldText(data, event, def.breakdown);
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  const ranked = [...groups.entries()]
    .map(([value, list]) => ({ value, result: aggregate(data, list, def.aggregation) }))
    .sort((a, b) => compareNullableDesc(a.result, b.result) || compareText(a.value, b.value));
  const top = ranked.slice(0, def.topN);
  const topKeys = new Set(top.map((row) => row.value));
  const rest = events.filter((event) => !topKeys.has(fieldText(data, event, def.breakdown)));
  return {
    rows: top,
    other: rest.length === 0 ? null : aggregate(data, rest, def.aggregation),
    total: events.length === 0 ? emptyValue(def.aggregation) : aggregate(data, events, def.aggregation),
  };
}

export function refRetention(data: RefData, projectId: string, def: RetentionDef, tz: string): RetentionResult {
  data = withPersons(data);
  const from = Date.parse(def.range.from);
  const to = Date.parse(def.range.to);
  const step = def.interval === "week" ? 7 : 1;
  const dayIndex = (bucket: string) => Date.parse(`${bucket}:00Z`) / 86_400_000;
  const considered = data.events.filter(
    (event) => event.project_id === projectId && event.profile_id !== null && def.filters.every((filter) => matches(data, event, filter)),
  );
  const firsts = new Map<string, number>();
  for (const event of considered) {
    if (event.ts >= to || (def.cohortEvent !== null && event.event_name !== def.cohortEvent)) continue;
    const first = firsts.get(event.profile_id!);
    if (first === undefined || event.ts < first) firsts.set(event.profile_id!, event.ts);
  }
  const lastBucket = dayIndex(bucketOf(to - 1, def.interval, tz));
  const cohorts = new Map<string, Set<string>>(buckets(from, to, def.interval, tz).map((bucket) => [bucket, new Set<string>()]));
  for (const [profile, first] of firsts) {
    if (first < from) continue;
    const bucket = bucketOf(first, def.interval, tz);
    cohorts.set(bucket, (cohorts.get(bucket) ?? new Set()).add(profile));
  }
  const periods = Array.from({ length: def.periods + 1 }, (_, index) => index);
  return {
    periods,
    cohorts: [...cohorts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([cohort, members]) => {
        const start = dayIndex(cohort);
        const available = Math.floor((lastBucket - start) / step);
        const active = periods.map(() => new Set<string>());
        for (const event of considered) {
          if (event.ts < from || event.ts >= to || !members.has(event.profile_id!)) continue;
          if (def.returnEvent !== null && event.event_name !== def.returnEvent) continue;
          const period = Math.floor((dayIndex(bucketOf(event.ts, def.interval, tz)) - start) / step);
          if (period >= 0 && period <= def.periods) active[period]!.add(event.profile_id!);
        }
        const counts = periods.map((period) => (period > available ? null : active[period]!.size));
        return {
          cohort,
          size: members.size,
          counts,
          percents: counts.map((count) => (count === null || members.size === 0 ? null : (count / members.size) * 100)),
        };
      }),
  };
}

/**
 * Paths, one person at a time: their seen events in (ts, id) order, the first chosen event, then a
 * walk forward or back while the pause between neighbours stays within the session gap, adding each
 * event whose name differs from the last step taken, until depth more steps are taken.
 */
export function refPaths(data: RefData, projectId: string, def: PathsDef): PathsResult {
  data = withPersons(data);
  const from = Date.parse(def.range.from);
  const to = Date.parse(def.range.to);
  const byProfile = new Map<string, RefEvent[]>();
  for (const event of data.events) {
    if (!inRange(event, projectId, from, to) || event.profile_id === null) continue;
    if (!def.filters.every((filter) => matches(data, event, filter))) continue;
    byProfile.set(event.profile_id, [...(byProfile.get(event.profile_id) ?? []), event]);
  }
  const counts = new Map<string, { steps: string[]; count: number }>();
  let persons = 0;
  for (const events of byProfile.values()) {
    events.sort(keyCompare);
    const start = events.findIndex((event) => event.event_name === def.event);
    if (start < 0) continue;
    persons++;
    const direction = def.direction === "after" ? 1 : -1;
    const steps = [def.event];
    for (let index = start + direction; index >= 0 && index < events.length && steps.length <= def.depth; index += direction) {
      if (Math.abs(events[index]!.ts - events[index - direction]!.ts) > def.sessionGapSeconds * 1000) break;
      if (events[index]!.event_name !== steps[steps.length - 1]) steps.push(events[index]!.event_name);
    }
    if (direction < 0) steps.reverse();
    const key = JSON.stringify(steps);
    counts.set(key, { steps, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  const byStep = (a: string[], b: string[]): number => {
    for (let index = 0; index < a.length && index < b.length; index++) {
      const order = compareText(a[index]!, b[index]!);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  };
  const paths = [...counts.values()].sort((a, b) => b.count - a.count || byStep(a.steps, b.steps)).slice(0, def.topN);
  return { persons, paths, other: persons - paths.reduce((sum, path) => sum + path.count, 0) };
}

// Cohorts ---------------------------------------------------------------------------------------

/** The cohorts a report may name and when dynamic ones are evaluated; static members as uploaded, by `${project}\u0000${cohort id}`. */
export interface RefCohorts {
  byId: Map<string, ResolvedCohort>;
  now: number;
  staticMembers: Map<string, string[]>;
}

const DAY_MS = 86_400_000;

/** The persons (ids after identity merge) in a cohort of a project, from the semantics in cohorts.ts. */
export function refCohortMembers(data: RefData, projectId: string, cohort: ResolvedCohort, cohorts: RefCohorts): Set<string> {
  const personOf = (id: string) => data.overrides?.get(`${projectId}\u0000${id}`) ?? id;
  if (cohort.kind === "static" || cohort.definition === null) {
    return new Set((cohorts.staticMembers.get(`${projectId}\u0000${cohort.id}`) ?? []).map(personOf));
  }
  const persons = withPersons(data);
  const universe = new Set<string>();
  for (const key of data.profiles.keys()) {
    const [project, profileId] = key.split("\u0000") as [string, string];
    if (project === projectId) universe.add(personOf(profileId));
  }
  const counts = cohort.definition.conditions.map((condition) => {
    const byPerson = new Map<string, number>();
    if (condition.kind !== "behaviour") return byPerson;
    const since = cohorts.now - condition.days * DAY_MS;
    for (const event of persons.events) {
      if (event.project_id !== projectId || event.profile_id === null || event.event_name !== condition.event) continue;
      if (event.ts < since || event.ts >= cohorts.now) continue;
      if (!condition.filters.every((filter) => matches(persons, event, filter))) continue;
      byPerson.set(event.profile_id, (byPerson.get(event.profile_id) ?? 0) + 1);
      universe.add(event.profile_id);
    }
    return byPerson;
  });
  const members = new Set<string>();
  for (const person of universe) {
    // A prop condition reads the person's own profile row, as a profile.* field of an event of theirs would.
    const asEvent: RefEvent = { ...EMPTY_EVENT, project_id: projectId, profile_id: person };
    const results = cohort.definition.conditions.map((condition, index) => {
      if (condition.kind === "prop") return matches(persons, asEvent, condition.filter);
      const n = counts[index]!.get(person) ?? 0;
      return condition.comparison === "at_least" ? n >= condition.count : condition.comparison === "at_most" ? n <= condition.count : n === condition.count;
    });
    if (cohort.definition.match === "all" ? results.every(Boolean) : results.some(Boolean)) members.add(person);
  }
  return members;
}

const EMPTY_EVENT: RefEvent = {
  project_id: "",
  event_id: "",
  event_name: "",
  profile_id: null,
  ts: 0,
  props: {},
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
};

/**
 * A report with cohorts: its events kept when their person passes every cohort filter (persons are
 * whole, so this is filtering the report's people), then the same once per breakdown cohort.
 * `compute` is one of the ref* reports above, which ignore the cohort fields themselves.
 */
export function refWithCohorts<D extends { cohortFilters: CohortFilter[]; cohortBreakdown: string[] }, T>(
  data: RefData,
  projectId: string,
  def: D,
  cohorts: RefCohorts,
  compute: (data: RefData, def: D) => T,
): WithCohorts<T> {
  const membersOf = new Map<string, Set<string>>();
  const members = (cohortId: string) => {
    let set = membersOf.get(cohortId);
    if (!set) membersOf.set(cohortId, (set = refCohortMembers(data, projectId, cohorts.byId.get(cohortId)!, cohorts)));
    return set;
  };
  const persons = withPersons(data);
  const filtered = (filters: CohortFilter[]): RefData => ({
    ...persons,
    overrides: new Map(),
    events: persons.events.filter((event) =>
      filters.every((filter) => {
        const inCohort = event.profile_id !== null && members(filter.cohortId).has(event.profile_id);
        return filter.op === "in" ? inCohort : !inCohort;
      }),
    ),
  });
  const main = compute(filtered(def.cohortFilters), def);
  const byCohort =
    def.cohortBreakdown.length === 0
      ? null
      : def.cohortBreakdown.map((cohortId) => {
          const cohort = cohorts.byId.get(cohortId)!;
          const result = compute(filtered([...def.cohortFilters, { cohortId, op: "in" }]), def);
          return { cohortId, key: cohort.key, name: cohort.name, result };
        });
  return { ...(main as T), byCohort } as WithCohorts<T>;
}
