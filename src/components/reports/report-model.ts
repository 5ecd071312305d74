/**
 * The report builder's pure parts: date range presets in the project's time zone, filter drafts
 * (what the form holds) turned into validated filters, number formatting, and the rolling of
 * saved "up to today" ranges. No React, no I/O, so they are unit-tested directly.
 */
import {
  filterSchema,
  INTERVALS,
  reportSpecSchema,
  type Filter,
  type FilterScalar,
  type Interval,
  type ReportKind,
  type ReportSpec,
  type TimeRange,
  type TrendComparison,
} from "~/core/reports";

export const DAY_MS = 86_400_000;

// Date ranges ------------------------------------------------------------------------------------

export const RANGE_PRESETS = ["today", "7d", "30d", "90d", "custom"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const RANGE_PRESET_LABELS: Record<RangePreset, string> = { today: "Today", "7d": "7 days", "30d": "30 days", "90d": "90 days", custom: "Custom" };

/** Milliseconds to add to a UTC instant to get the wall-clock time in `timeZone` at that instant. */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant of local midnight of the day `instant` falls on in `timeZone`, shifted by `days`. */
export function startOfDayInZone(instant: Date, timeZone: string, days = 0): Date {
  const offset = zoneOffsetMs(instant, timeZone);
  const wall = new Date(instant.getTime() + offset);
  const midnightWall = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() + days);
  // The offset at the target midnight may differ (DST); one correction step settles it.
  const guess = midnightWall - offset;
  return new Date(midnightWall - zoneOffsetMs(new Date(guess), timeZone));
}

/** "2024-03-10" of a local date in `timeZone` → the instant it starts. */
export function dateInputToInstant(date: string, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(wall)) return null;
  return new Date(wall - zoneOffsetMs(new Date(wall), timeZone));
}

/** The local date ("2024-03-10") of an instant in `timeZone`, for date inputs. */
export function instantToDateInput(instant: Date, timeZone: string): string {
  return new Date(instant.getTime() + zoneOffsetMs(instant, timeZone)).toISOString().slice(0, 10);
}

export interface RangeChoice {
  preset: RangePreset;
  /** Local dates, both inclusive; used when the preset is "custom". */
  from?: string;
  to?: string;
}

/**
 * Whole local days, ending with today: the range is stable for the whole day, so a report's query
 * key (and its cache) does not change on every render the way "until now" would.
 */
export function resolveRange(choice: RangeChoice, timeZone: string, now = new Date()): TimeRange | { error: string } {
  const tomorrow = startOfDayInZone(now, timeZone, 1);
  const days = { today: 1, "7d": 7, "30d": 30, "90d": 90 } as const;
  if (choice.preset !== "custom") {
    return { from: startOfDayInZone(now, timeZone, 1 - days[choice.preset]).toISOString(), to: tomorrow.toISOString() };
  }
  const from = dateInputToInstant(choice.from ?? "", timeZone);
  const toStart = dateInputToInstant(choice.to ?? "", timeZone);
  if (!from || !toStart) return { error: "Pick both a start and an end date." };
  const to = startOfDayInZone(toStart, timeZone, 1);
  if (to.getTime() <= from.getTime()) return { error: "The end date must not be before the start date." };
  if (to.getTime() - from.getTime() > 3 * 366 * DAY_MS) return { error: "A range may span at most three years." };
  return { from: from.toISOString(), to: to.toISOString() };
}

/** The preset a stored range matches (for reopening a saved report), else "custom" with its dates. */
export function choiceOfRange(range: TimeRange, timeZone: string, now = new Date()): RangeChoice {
  for (const preset of RANGE_PRESETS) {
    if (preset === "custom") continue;
    const resolved = resolveRange({ preset }, timeZone, now);
    if ("from" in resolved && resolved.from === range.from && resolved.to === range.to) return { preset };
  }
  const lastDay = new Date(Date.parse(range.to) - 1);
  return { preset: "custom", from: instantToDateInput(new Date(range.from), timeZone), to: instantToDateInput(lastDay, timeZone) };
}

/**
 * A saved report whose range reached past the moment it was saved was an "up to today" report:
 * on the dashboard it moves forward by whole days so it still ends today. A range that had ended
 * when it was saved is history and stays as it is.
 */
export function rollRange(range: TimeRange, savedAt: Date, timeZone: string, now = new Date()): TimeRange {
  const to = Date.parse(range.to);
  if (to <= savedAt.getTime()) return range;
  const tomorrow = startOfDayInZone(now, timeZone, 1).getTime();
  const shiftDays = Math.round((tomorrow - to) / DAY_MS);
  if (shiftDays <= 0) return range;
  const shift = (iso: string) => startOfDayInZone(new Date(Date.parse(iso) + shiftDays * DAY_MS + DAY_MS / 2), timeZone).toISOString();
  return { from: shift(range.from), to: shift(range.to) };
}

/** A sensible bucket for a range: hours for a day, days up to three months, weeks beyond. */
export function defaultInterval(range: TimeRange): Interval {
  const span = Date.parse(range.to) - Date.parse(range.from);
  if (span <= 2 * DAY_MS) return "hour";
  if (span <= 100 * DAY_MS) return "day";
  return "week";
}

export const INTERVAL_LABELS: Record<Interval, string> = { minute: "Minute", hour: "Hour", day: "Day", week: "Week", month: "Month" };
export { INTERVALS };

// Filters ----------------------------------------------------------------------------------------

export const FILTER_OPERATORS = ["eq", "neq", "contains", "not_contains", "gt", "gte", "lt", "lte", "in", "not_in", "is_set", "is_not_set"] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
export const OPERATOR_LABELS: Record<FilterOperator, string> = {
  eq: "equals",
  neq: "does not equal",
  contains: "contains",
  not_contains: "does not contain",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  in: "is one of",
  not_in: "is none of",
  is_set: "is set",
  is_not_set: "is not set",
};

/** What a filter row of the form holds: all text, as typed. */
export interface FilterDraft {
  field: string;
  op: FilterOperator;
  value: string;
}

export function operatorTakesValue(op: FilterOperator): boolean {
  return op !== "is_set" && op !== "is_not_set";
}

/** Typed text as a filter value: numbers and true/false become what they look like, anything else stays text. */
export function scalarOf(text: string): FilterScalar {
  const trimmed = text.trim();
  // `+ 0` turns "-0" into 0: a saved spec is JSON, which has no -0, so the report reopens the same.
  if (trimmed !== "" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed) && Number.isFinite(Number(trimmed))) return Number(trimmed) + 0;
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  return text;
}

/** A draft as a validated filter, or a message saying what to fix. */
export function filterFromDraft(draft: FilterDraft): { filter: Filter } | { error: string } {
  const field = draft.field.trim();
  if (!field) return { error: "Pick a property to filter on." };
  let candidate: unknown;
  switch (draft.op) {
    case "eq":
    case "neq":
      candidate = { field, op: draft.op, value: scalarOf(draft.value) };
      break;
    case "contains":
    case "not_contains":
      candidate = { field, op: draft.op, value: draft.value };
      break;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const value = scalarOf(draft.value);
      if (typeof value !== "number") return { error: `“${field}” ${OPERATOR_LABELS[draft.op]} needs a number.` };
      candidate = { field, op: draft.op, value };
      break;
    }
    case "in":
    case "not_in": {
      const values = draft.value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean)
        .map(scalarOf);
      if (values.length === 0) return { error: `“${field}” ${OPERATOR_LABELS[draft.op]} needs values separated by commas.` };
      candidate = { field, op: draft.op, values };
      break;
    }
    case "is_set":
    case "is_not_set":
      candidate = { field, op: draft.op };
      break;
  }
  const parsed = filterSchema.safeParse(candidate);
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "This filter is not valid." };
  return { filter: parsed.data };
}

/** All drafts as filters; the first problem is reported. Rows with no field at all are skipped. */
export function filtersFromDrafts(drafts: FilterDraft[]): { filters: Filter[] } | { error: string } {
  const filters: Filter[] = [];
  for (const draft of drafts) {
    if (!draft.field.trim() && !draft.value.trim()) continue;
    const result = filterFromDraft(draft);
    if ("error" in result) return result;
    filters.push(result.filter);
  }
  return { filters };
}

/** A stored filter back as a form row. */
export function draftFromFilter(filter: Filter): FilterDraft {
  if ("values" in filter) return { field: filter.field, op: filter.op, value: filter.values.map(String).join(", ") };
  if ("value" in filter) return { field: filter.field, op: filter.op, value: String(filter.value) };
  return { field: filter.field, op: filter.op, value: "" };
}

// Specs ------------------------------------------------------------------------------------------

export const REPORT_KIND_LABELS: Record<ReportKind, string> = {
  trend: "Trend",
  funnel: "Funnel",
  segment: "Segment",
  retention: "Retention",
  paths: "Paths",
  query: "Query",
};

/** What a trend's comparison line is, as the chart's legend and tooltip name it. */
export const COMPARISON_LABELS: Record<TrendComparison, string> = { previous: "previous period", year: "same period last year" };

/** A saved report's stored kind and definition, checked again on the way in (the database is not a trust boundary we skip). */
export function parseSavedSpec(kind: string, definition: unknown): ReportSpec | null {
  const parsed = reportSpecSchema.safeParse({ kind, definition });
  return parsed.success ? parsed.data : null;
}

/** The same spec with its range replaced. */
export function withRange(spec: ReportSpec, range: TimeRange): ReportSpec {
  return { ...spec, definition: { ...spec.definition, range } } as ReportSpec;
}

// Formatting -------------------------------------------------------------------------------------

const compact = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return compact.format(value);
}

export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${value.toFixed(digits)}%`;
}

export function formatChange(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`;
}

/** "3 s", "4 min", "2.5 h", "3.1 d". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return "< 1 s";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Bucket labels come as local wall time ("2024-03-10T00:00"); the axis shows what the interval needs. */
export function formatBucket(bucket: string, interval: Interval): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(bucket);
  if (!match) return bucket;
  const [, year, month, day, hour = "00", minute = "00"] = match;
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const monthName = months[Number(month) - 1] ?? month;
  if (interval === "month") return `${monthName} ${year}`;
  if (interval === "hour" || interval === "minute") return `${monthName} ${Number(day)} ${hour}:${minute}`;
  return `${monthName} ${Number(day)}`;
}
