/**
 * Report definitions: the zod schemas the query service trusts, the app routers check and saved
 * reports store. Pure types and validation; SQL is built from these in workers/query.
 *
 * Fields are strings: `event_name`, `profile_id`, `browser`, `os`, `device_type` (columns),
 * `props.<key>` (event props), `ctx.<key>` (request context: country, locale, …) and
 * `profile.<key>` — the profile's LATEST state (the `profiles` table), as in Mixpanel, so a report
 * segments old events by what a user is now. Keys may be nested with dots (`props.cart.total`).
 */
import { z } from "zod";

export const BUILTIN_FIELDS = ["event_name", "profile_id", "browser", "os", "device_type"] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];
export const FIELD_SOURCES = ["props", "ctx", "profile"] as const;
export type FieldSource = (typeof FIELD_SOURCES)[number];

/** One key segment: what property names look like. No quotes, backslashes or control characters can pass. */
const KEY_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/;
const MAX_DEPTH = 4;

export type ParsedField = { kind: "column"; column: BuiltinField } | { kind: "json"; source: FieldSource; path: string[] };

/** Splits a field string into a column or a JSON source and key path; null when it is not a valid field. */
export function parseField(field: string): ParsedField | null {
  if ((BUILTIN_FIELDS as readonly string[]).includes(field)) return { kind: "column", column: field as BuiltinField };
  const dot = field.indexOf(".");
  if (dot < 0) return null;
  const source = field.slice(0, dot);
  if (!(FIELD_SOURCES as readonly string[]).includes(source)) return null;
  const path = field.slice(dot + 1).split(".");
  if (path.length === 0 || path.length > MAX_DEPTH || !path.every((segment) => KEY_SEGMENT.test(segment))) return null;
  return { kind: "json", source: source as FieldSource, path };
}

export const fieldSchema = z
  .string()
  .max(300, "A field name is at most 300 characters.")
  .refine((value) => parseField(value) !== null, {
    message:
      "Unknown field: use event_name, profile_id, browser, os, device_type, or props.<key>, ctx.<key>, profile.<key> (keys: letters, digits, _ $ -, up to 64 characters).",
  });

const text = z.string().max(2000, "A filter value is at most 2000 characters.");
const scalar = z.union([text, z.number().finite(), z.boolean()]);
export type FilterScalar = z.infer<typeof scalar>;

export const filterSchema = z.discriminatedUnion("op", [
  /** eq / neq compare as numbers when the value is a number, as text otherwise. A missing field is "not equal". */
  z.strictObject({ field: fieldSchema, op: z.enum(["eq", "neq"]), value: scalar }),
  /** Case-insensitive substring match on the field's text. */
  z.strictObject({ field: fieldSchema, op: z.enum(["contains", "not_contains"]), value: text }),
  z.strictObject({ field: fieldSchema, op: z.enum(["gt", "gte", "lt", "lte"]), value: z.number().finite() }),
  z.strictObject({ field: fieldSchema, op: z.enum(["in", "not_in"]), values: z.array(scalar).min(1).max(100) }),
  z.strictObject({ field: fieldSchema, op: z.enum(["is_set", "is_not_set"]) }),
]);
export type Filter = z.infer<typeof filterSchema>;
export const filtersSchema = z.array(filterSchema).max(20).default([]);

// Cohorts in reports (src/core/cohorts.ts defines cohorts) ------------------------------------------

/** A saved cohort's id (Prisma cuid): reports name cohorts by id, so renaming a cohort's key keeps them working. */
export const cohortIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "A cohort id: letters, digits, _ and -.");
/** Only events of people in (or not in) the cohort count; an event without a profile is in no cohort. */
export const cohortFilterSchema = z.strictObject({ cohortId: cohortIdSchema, op: z.enum(["in", "not_in"]) });
export type CohortFilter = z.infer<typeof cohortFilterSchema>;
export const cohortFiltersSchema = z.array(cohortFilterSchema).max(5).default([]);
/**
 * The report once more per cohort, as if filtered to its people (`byCohort` in the answer): a person
 * in two cohorts counts in both, one in none is in no part.
 */
export const cohortBreakdownSchema = z
  .array(cohortIdSchema)
  .max(10)
  .default([])
  .refine((ids) => new Set(ids).size === ids.length, { message: "Each cohort may be chosen once in a breakdown." });
const cohortFields = { cohortFilters: cohortFiltersSchema, cohortBreakdown: cohortBreakdownSchema };

/** The cohort ids a report definition names (filters and breakdown), each once. */
export function referencedCohortIds(definition: { cohortFilters?: CohortFilter[]; cohortBreakdown?: string[] }): string[] {
  return [...new Set([...(definition.cohortFilters ?? []).map((filter) => filter.cohortId), ...(definition.cohortBreakdown ?? [])])];
}

export const NUMERIC_AGGREGATIONS = ["sum", "avg", "min", "max", "p50", "p90", "p99"] as const;
export const aggregationSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("count") }),
  z.strictObject({ op: z.literal("unique_profiles") }),
  /** Over the field's numeric values; events where it is missing or not a number are left out. */
  z.strictObject({ op: z.enum(NUMERIC_AGGREGATIONS), field: fieldSchema }),
]);
export type Aggregation = z.infer<typeof aggregationSchema>;

const MAX_RANGE_MS = 3 * 366 * 86_400_000;
export const timeRangeSchema = z
  .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine((range) => Date.parse(range.from) < Date.parse(range.to), { message: "The range must end after it starts." })
  .refine((range) => Date.parse(range.to) - Date.parse(range.from) <= MAX_RANGE_MS, { message: "The range may span at most three years." });
export type TimeRange = z.infer<typeof timeRangeSchema>;

export const eventNameSchema = z.string().min(1).max(128);

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
export const timeZoneSchema = z
  .string()
  .max(64)
  .refine((value) => /^[A-Za-z0-9_+\-/]+$/.test(value) && isTimeZone(value), { message: "Unknown time zone (use an IANA name such as Europe/Berlin)." });

export const INTERVALS = ["minute", "hour", "day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];
export const intervalSchema = z.enum(INTERVALS);
/** More buckets than this make a chart unreadable and a query slow. */
export const MAX_BUCKETS = 2000;

// Report definitions (what a saved report stores; the app adds projectId and timezone) ------------------

export const queryDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  /** Empty: every event. */
  events: z.array(eventNameSchema).max(50).default([]),
  filters: filtersSchema,
  groupBy: z.array(fieldSchema).max(2).default([]),
  aggregation: aggregationSchema.default({ op: "count" }),
  limit: z.number().int().min(1).max(1000).default(100),
  ...cohortFields,
});
export type QueryDefinition = z.input<typeof queryDefinitionSchema>;

export const trendSeriesSchema = z.strictObject({
  /** Null: every event. */
  event: eventNameSchema.nullable(),
  filters: filtersSchema,
  aggregation: aggregationSchema.default({ op: "count" }),
  label: z.string().max(100).optional(),
});
/** What a trend is compared with: the period just before (環比) or the same period one year earlier (同比). */
export const TREND_COMPARISONS = ["previous", "year"] as const;
export type TrendComparison = (typeof TREND_COMPARISONS)[number];
export const trendDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  interval: intervalSchema.default("day"),
  series: z.array(trendSeriesSchema).min(1).max(10),
  /** Applied to every series. */
  filters: filtersSchema,
  compare: z.boolean().default(false),
  /** With `compare`: against the previous period (the default) or the same period one year earlier in the project's time zone. */
  compareTo: z.enum(TREND_COMPARISONS).default("previous"),
  ...cohortFields,
});
export type TrendDefinition = z.input<typeof trendDefinitionSchema>;

export const funnelStepSchema = z.strictObject({ event: eventNameSchema, filters: filtersSchema, label: z.string().max(100).optional() });
export const funnelDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  steps: z.array(funnelStepSchema).min(2).max(20),
  /** Every later step must happen within this many seconds of the first. */
  windowSeconds: z
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .default(86_400),
  /** Applied to every step. */
  filters: filtersSchema,
  breakdown: fieldSchema.nullable().default(null),
  breakdownLimit: z.number().int().min(1).max(50).default(10),
  /** Bucket size of "conversion over time" (by when the attempt started). */
  interval: intervalSchema.default("day"),
  ...cohortFields,
});
export type FunnelDefinition = z.input<typeof funnelDefinitionSchema>;

/** How a funnel counts, in one line for under the chart (the engine's rule: workers/query/reports.ts). */
export const FUNNEL_COUNTING_NOTE = "Each person counts once, by their furthest step in any attempt that started in the range, within the conversion window.";

export const segmentDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  event: eventNameSchema.nullable(),
  filters: filtersSchema,
  breakdown: fieldSchema,
  aggregation: aggregationSchema.default({ op: "count" }),
  topN: z.number().int().min(1).max(100).default(10),
  ...cohortFields,
});
export type SegmentDefinition = z.input<typeof segmentDefinitionSchema>;

export const retentionDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  /** Null: a profile's cohort is the period of its first event of any name. */
  cohortEvent: eventNameSchema.nullable(),
  /** Null: any event counts as a return. */
  returnEvent: eventNameSchema.nullable(),
  interval: z.enum(["day", "week"]).default("day"),
  periods: z.number().int().min(1).max(60).default(14),
  filters: filtersSchema,
  ...cohortFields,
});
export type RetentionDefinition = z.input<typeof retentionDefinitionSchema>;

/** Paths go forward from the chosen event ("what did they do next") or back from it ("what led there"). */
export const PATH_DIRECTIONS = ["after", "before"] as const;
export type PathDirection = (typeof PATH_DIRECTIONS)[number];
export const MAX_PATH_DEPTH = 5;
export const pathsDefinitionSchema = z.strictObject({
  range: timeRangeSchema,
  /** The event paths start from ("after") or lead to ("before"). */
  event: eventNameSchema,
  direction: z.enum(PATH_DIRECTIONS).default("after"),
  /** Steps after (or before) the chosen event, not counting it. */
  depth: z.number().int().min(1).max(MAX_PATH_DEPTH).default(3),
  topN: z.number().int().min(1).max(50).default(10),
  /** A longer pause between two of a person's events ends the session, and the path with it (PostHog's 30 minutes by default). */
  sessionGapSeconds: z.number().int().min(60).max(86_400).default(1800),
  /** Applied to every event: the others are not seen, neither in a path nor as the start. */
  filters: filtersSchema,
  ...cohortFields,
});
export type PathsDefinition = z.input<typeof pathsDefinitionSchema>;

/** How paths count, in one line for under the chart (the engine's rule: workers/query/paths.ts). */
export const PATHS_COUNTING_NOTE =
  "Each person counts once, from their first time doing the event in the range; the path follows that session, with repeats of one event in a row shown once.";

export const REPORT_KINDS = ["query", "trend", "funnel", "segment", "retention", "paths"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const reportDefinitionSchemas = {
  query: queryDefinitionSchema,
  trend: trendDefinitionSchema,
  funnel: funnelDefinitionSchema,
  segment: segmentDefinitionSchema,
  retention: retentionDefinitionSchema,
  paths: pathsDefinitionSchema,
} as const;

/** A saved or exported report: its kind and definition, validated by the kind's own schema. */
export const reportSpecSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("query"), definition: queryDefinitionSchema }),
  z.strictObject({ kind: z.literal("trend"), definition: trendDefinitionSchema }),
  z.strictObject({ kind: z.literal("funnel"), definition: funnelDefinitionSchema }),
  z.strictObject({ kind: z.literal("segment"), definition: segmentDefinitionSchema }),
  z.strictObject({ kind: z.literal("retention"), definition: retentionDefinitionSchema }),
  z.strictObject({ kind: z.literal("paths"), definition: pathsDefinitionSchema }),
]);
export type ReportSpec = z.infer<typeof reportSpecSchema>;

// Browsing --------------------------------------------------------------------------------------

export const eventCursorSchema = z.strictObject({ ts: z.iso.datetime({ offset: true }), eventId: z.string().min(1).max(128) });
export const eventFilterSchema = z.strictObject({
  range: timeRangeSchema.optional(),
  events: z.array(eventNameSchema).max(50).default([]),
  filters: filtersSchema,
  profileId: z.string().min(1).max(256).optional(),
});
export type EventFilter = z.input<typeof eventFilterSchema>;

// Results (what the service answers; the UI renders these) ----------------------------------------

/** A report's answer with its cohort breakdown: the same report per chosen cohort, null without a breakdown. */
export type WithCohorts<T> = T & { byCohort: Array<{ cohortId: string; key: string; name: string; result: T }> | null };

export interface QueryResult {
  /** Names of the group-by fields, then "value". */
  columns: string[];
  rows: Array<{ groups: Array<string | null>; value: number | null }>;
  /** True when more groups existed than `limit`. */
  truncated: boolean;
}

export interface TrendResult {
  /** Bucket starts as local wall time in the project's time zone, e.g. "2024-03-10T00:00". */
  buckets: string[];
  series: Array<{
    label: string;
    values: Array<number | null>;
    /** The aggregation over the whole range (not the sum of buckets for unique profiles, avg, …). */
    total: number | null;
    /** The comparison (`against` says which), when the definition asks for one. */
    previous: { against: TrendComparison; buckets: string[]; values: Array<number | null>; total: number | null; changePercent: number | null } | null;
  }>;
}

export interface FunnelStepResult {
  label: string;
  count: number;
  /** Percent of those who did step 1; 100 for step 1 itself (0 when nobody started). */
  conversionFromStart: number;
  conversionFromPrevious: number;
  /** How many of the previous step's profiles did not reach this one. */
  dropOff: number;
  /** Median seconds from the previous step; null for step 1 or when nobody reached it. */
  medianSecondsFromPrevious: number | null;
}
export interface FunnelResult {
  steps: FunnelStepResult[];
  breakdown: Array<{ value: string | null; steps: FunnelStepResult[] }> | null;
  overTime: Array<{ bucket: string; started: number; completed: number; conversion: number }>;
}

export interface SegmentResult {
  rows: Array<{ value: string | null; result: number | null }>;
  /** The aggregation over everything outside the top N; null when nothing is left over. */
  other: number | null;
  total: number | null;
}

export interface RetentionResult {
  /** Period labels: 0 is the cohort's own day or week. */
  periods: number[];
  cohorts: Array<{
    cohort: string;
    size: number;
    /** Profiles of the cohort active in each period; null for periods after the range ends. */
    counts: Array<number | null>;
    percents: Array<number | null>;
  }>;
}

export interface PathsResult {
  /** People who did the chosen event in the range (after the filters): each has one path. */
  persons: number;
  /**
   * The most common paths, most people first, in time order: "after" paths start with the chosen
   * event, "before" paths end with it. A path is shorter than the depth when the session ends first.
   */
  paths: Array<{ steps: string[]; count: number }>;
  /** People whose path is not among the top N. */
  other: number;
}

export interface EventRow {
  eventId: string;
  eventName: string;
  profileId: string | null;
  ts: string;
  receivedAt: string;
  browser: string | null;
  os: string | null;
  deviceType: string | null;
  country: string | null;
  props: Record<string, unknown>;
}
export interface EventDetail extends EventRow {
  ctx: Record<string, unknown>;
  profileProps: Record<string, unknown>;
  violations: unknown[] | null;
}
