/**
 * The report builder's form state (all text, as typed) and its conversion to a validated report
 * spec, and back for reopening a saved report. Pure: the builder page only wires it to inputs.
 */
import {
  reportSpecSchema,
  type CohortFilter,
  type Filter,
  type PathDirection,
  type Interval,
  type ReportKind,
  type ReportSpec,
  type TimeRange,
  type TrendComparison,
} from "~/core/reports";
import { aggregationFromDraft, draftFromAggregation, type AggregationDraft } from "./aggregation";
import { choiceOfRange, defaultInterval, draftFromFilter, filtersFromDrafts, resolveRange, type FilterDraft, type RangeChoice } from "./report-model";

export interface SeriesDraft {
  /** Empty: every event. */
  event: string;
  aggregation: AggregationDraft;
  /** Empty: the chart names the series after its event. */
  label: string;
  /** Only this series' events; the report's filters apply as well. */
  filters: FilterDraft[];
}

export interface FunnelStepDraft {
  event: string;
  /** Empty: the step is named after its event. */
  label: string;
  /** Only events matching these count as this step; the report's filters apply as well. */
  filters: FilterDraft[];
}

export const MAX_LABEL_LENGTH = 100;

export function emptySeries(): SeriesDraft {
  return { event: "", aggregation: { op: "count", field: "" }, label: "", filters: [] };
}

export function emptyStep(): FunnelStepDraft {
  return { event: "", label: "", filters: [] };
}

/** "People in (or not in) the cohort": the cohort's id, empty until one is picked. */
export interface CohortFilterDraft {
  cohortId: string;
  op: CohortFilter["op"];
}

export const MAX_COHORT_FILTERS = 5;
export const MAX_COHORT_BREAKDOWN = 10;

export const WINDOW_UNITS = { minutes: 60, hours: 3600, days: 86_400 } as const;
export type WindowUnit = keyof typeof WINDOW_UNITS;

export interface BuilderDraft {
  kind: ReportKind;
  range: RangeChoice;
  interval: Interval | "auto";
  filters: FilterDraft[];
  /** Every kind: only people in (not in) these cohorts; rows with no cohort picked yet are left out. */
  cohortFilters: CohortFilterDraft[];
  /** Every kind: the report once more per chosen cohort (ids, in the order chosen). */
  cohortBreakdown: string[];
  /** `compareTo` outlives `compare: false`, so turning the comparison off and on keeps the choice. */
  trend: { series: SeriesDraft[]; compare: boolean; compareTo: TrendComparison };
  funnel: { steps: FunnelStepDraft[]; windowValue: string; windowUnit: WindowUnit; breakdown: string };
  segment: { event: string; breakdown: string; aggregation: AggregationDraft; topN: string };
  retention: { cohortEvent: string; returnEvent: string; interval: "day" | "week"; periods: string };
  /** `sessionGapSeconds` has no input (30 minutes unless a spec says otherwise); kept so a saved report reopens unchanged. */
  paths: { event: string; direction: PathDirection; depth: string; topN: string; sessionGapSeconds: number };
  query: { /** Comma-separated; empty: every event. */ events: string; groupBy: [string, string]; aggregation: AggregationDraft; limit: string };
}

export function emptyDraft(kind: ReportKind = "trend"): BuilderDraft {
  return {
    kind,
    range: { preset: "7d" },
    interval: "auto",
    filters: [],
    cohortFilters: [],
    cohortBreakdown: [],
    trend: { series: [emptySeries()], compare: false, compareTo: "previous" },
    funnel: { steps: [emptyStep(), emptyStep()], windowValue: "1", windowUnit: "days", breakdown: "" },
    segment: { event: "", breakdown: "event_name", aggregation: { op: "count", field: "" }, topN: "10" },
    retention: { cohortEvent: "", returnEvent: "", interval: "day", periods: "14" },
    paths: { event: "", direction: "after", depth: "3", topN: "10", sessionGapSeconds: 1800 },
    query: { events: "", groupBy: ["event_name", ""], aggregation: { op: "count", field: "" }, limit: "100" },
  };
}

const nameOrNull = (text: string) => (text.trim() === "" ? null : text.trim());

/** A row's own filters and label, or the messages naming the row (e.g. "Step 2") and what to fix. */
function partsOfRow(row: { label: string; filters: FilterDraft[] }, name: string, errors: string[]): { filters: Filter[]; label?: string } {
  const filters = filtersFromDrafts(row.filters);
  if ("error" in filters) errors.push(`${name}: ${filters.error}`);
  const label = row.label.trim();
  if (label.length > MAX_LABEL_LENGTH) errors.push(`${name}: a label is at most ${MAX_LABEL_LENGTH} characters.`);
  // No `label` key at all when empty, so a saved spec has no `"label": undefined` to differ on.
  return { filters: "error" in filters ? [] : filters.filters, ...(label ? { label } : {}) };
}

/** "A", "B", … as the series are badged in the builder and the chart. */
export function seriesLetter(index: number): string {
  return String.fromCharCode(65 + index);
}

function wholeNumber(text: string, label: string, min: number, max: number): number | string {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) return `${label} must be a whole number from ${min} to ${max}.`;
  return value;
}

/** What every kind's definition starts from: the resolved range and the report's filters. */
interface CommonParts {
  range: TimeRange;
  filters: Filter[];
  /** Trend and funnel buckets: the draft's choice, or one fitting the range. */
  interval: Interval;
}

/** One kind's definition from its part of the draft, each problem pushed to `errors`; the schema checks the rest. */
type DefinitionOf = (draft: BuilderDraft, common: CommonParts, errors: string[]) => Record<string, unknown>;

const trendDefinition: DefinitionOf = (draft, { interval, ...common }, errors) => {
  const series = draft.trend.series.map((item, index) => {
    const aggregation = aggregationFromDraft(item.aggregation);
    if ("error" in aggregation) errors.push(aggregation.error);
    return {
      event: nameOrNull(item.event),
      ...partsOfRow(item, `Series ${seriesLetter(index)}`, errors),
      aggregation: "error" in aggregation ? { op: "count" as const } : aggregation,
    };
  });
  if (series.length === 0) errors.push("Add at least one series.");
  return { ...common, interval, series, compare: draft.trend.compare, compareTo: draft.trend.compareTo };
};

const funnelDefinition: DefinitionOf = (draft, { interval, ...common }, errors) => {
  if (draft.funnel.steps.length < 2) errors.push("A funnel needs at least two steps.");
  const steps = draft.funnel.steps.map((step, index) => {
    const event = step.event.trim();
    if (!event) errors.push(`Step ${index + 1} needs an event name.`);
    return { event, ...partsOfRow(step, `Step ${index + 1}`, errors) };
  });
  const windowValue = wholeNumber(draft.funnel.windowValue, "The conversion window", 1, 10_000);
  if (typeof windowValue === "string") errors.push(windowValue);
  const windowSeconds = typeof windowValue === "number" ? windowValue * WINDOW_UNITS[draft.funnel.windowUnit] : 86_400;
  if (windowSeconds > 90 * 86_400) errors.push("The conversion window may be at most 90 days.");
  return { ...common, interval, steps, windowSeconds, breakdown: nameOrNull(draft.funnel.breakdown) };
};

const segmentDefinition: DefinitionOf = (draft, { range, filters }, errors) => {
  const aggregation = aggregationFromDraft(draft.segment.aggregation);
  if ("error" in aggregation) errors.push(aggregation.error);
  const topN = wholeNumber(draft.segment.topN, "Top N", 1, 100);
  if (typeof topN === "string") errors.push(topN);
  if (!draft.segment.breakdown.trim()) errors.push("Pick a property to break down by.");
  return {
    range,
    filters,
    event: nameOrNull(draft.segment.event),
    breakdown: draft.segment.breakdown.trim(),
    aggregation: "error" in aggregation ? { op: "count" } : aggregation,
    topN: typeof topN === "number" ? topN : 10,
  };
};

const retentionDefinition: DefinitionOf = (draft, { range, filters }, errors) => {
  const periods = wholeNumber(draft.retention.periods, "Periods", 1, 60);
  if (typeof periods === "string") errors.push(periods);
  return {
    range,
    filters,
    cohortEvent: nameOrNull(draft.retention.cohortEvent),
    returnEvent: nameOrNull(draft.retention.returnEvent),
    interval: draft.retention.interval,
    periods: typeof periods === "number" ? periods : 14,
  };
};

const pathsDefinition: DefinitionOf = (draft, { range, filters }, errors) => {
  const event = draft.paths.event.trim();
  if (!event) errors.push(`Name the event the paths ${draft.paths.direction === "after" ? "start from" : "lead to"}.`);
  const depth = wholeNumber(draft.paths.depth, "Steps", 1, 5);
  if (typeof depth === "string") errors.push(depth);
  const topN = wholeNumber(draft.paths.topN, "Top paths", 1, 50);
  if (typeof topN === "string") errors.push(topN);
  return {
    range,
    filters,
    event,
    direction: draft.paths.direction,
    depth: typeof depth === "number" ? depth : 3,
    topN: typeof topN === "number" ? topN : 10,
    sessionGapSeconds: draft.paths.sessionGapSeconds,
  };
};

const queryDefinition: DefinitionOf = (draft, { range, filters }, errors) => {
  const aggregation = aggregationFromDraft(draft.query.aggregation);
  if ("error" in aggregation) errors.push(aggregation.error);
  const limit = wholeNumber(draft.query.limit, "The row limit", 1, 1000);
  if (typeof limit === "string") errors.push(limit);
  return {
    range,
    filters,
    events: draft.query.events
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean),
    groupBy: draft.query.groupBy.map((field) => field.trim()).filter(Boolean),
    aggregation: "error" in aggregation ? { op: "count" } : aggregation,
    limit: typeof limit === "number" ? limit : 100,
  };
};

const DEFINITIONS: Record<ReportKind, DefinitionOf> = {
  trend: trendDefinition,
  funnel: funnelDefinition,
  segment: segmentDefinition,
  retention: retentionDefinition,
  paths: pathsDefinition,
  query: queryDefinition,
};

/** The cohort filters (rows with a cohort picked) and the breakdown, each cohort once, or what to fix. */
function cohortPartsFromDraft(draft: BuilderDraft): { cohortFilters: CohortFilter[]; cohortBreakdown: string[] } | { error: string } {
  const cohortFilters = draft.cohortFilters.filter((row) => row.cohortId !== "").map((row) => ({ cohortId: row.cohortId, op: row.op }));
  if (cohortFilters.length > MAX_COHORT_FILTERS) return { error: `A report takes at most ${MAX_COHORT_FILTERS} cohort filters.` };
  const cohortBreakdown = [...new Set(draft.cohortBreakdown.filter((id) => id !== ""))];
  if (cohortBreakdown.length > MAX_COHORT_BREAKDOWN) return { error: `A report breaks down by at most ${MAX_COHORT_BREAKDOWN} cohorts.` };
  return { cohortFilters, cohortBreakdown };
}

/** The draft as a spec the service accepts, or the messages saying what to fix (first problem per part). */
export function specFromDraft(draft: BuilderDraft, timeZone: string, now = new Date()): { spec: ReportSpec } | { errors: string[] } {
  const errors: string[] = [];
  const range = resolveRange(draft.range, timeZone, now);
  if ("error" in range) errors.push(range.error);
  const filters = filtersFromDrafts(draft.filters);
  if ("error" in filters) errors.push(filters.error);
  if (errors.length > 0 || "error" in range || "error" in filters) return { errors };
  const interval: Interval = draft.interval === "auto" ? defaultInterval(range) : draft.interval;
  const definition = DEFINITIONS[draft.kind](draft, { range, filters: filters.filters, interval }, errors);
  const cohorts = cohortPartsFromDraft(draft);
  if ("error" in cohorts) errors.push(cohorts.error);
  if (errors.length > 0 || "error" in cohorts) return { errors };
  const parsed = reportSpecSchema.safeParse({ kind: draft.kind, definition: { ...definition, ...cohorts } });
  if (!parsed.success) {
    return { errors: parsed.error.issues.slice(0, 3).map((issue) => issue.message) };
  }
  return { spec: parsed.data };
}

/** A stored spec back as form state (for "open in the builder"). */
export function draftFromSpec(spec: ReportSpec, timeZone: string, now = new Date()): BuilderDraft {
  const draft = emptyDraft(spec.kind);
  const definition = spec.definition;
  draft.range = choiceOfRange(definition.range, timeZone, now);
  draft.filters = definition.filters.map(draftFromFilter);
  draft.cohortFilters = definition.cohortFilters.map((filter) => ({ cohortId: filter.cohortId, op: filter.op }));
  draft.cohortBreakdown = [...definition.cohortBreakdown];
  switch (spec.kind) {
    case "trend":
      draft.interval = spec.definition.interval;
      draft.trend = {
        series: spec.definition.series.map((series) => ({
          event: series.event ?? "",
          aggregation: draftFromAggregation(series.aggregation),
          label: series.label ?? "",
          filters: series.filters.map(draftFromFilter),
        })),
        compare: spec.definition.compare,
        compareTo: spec.definition.compareTo,
      };
      break;
    case "funnel": {
      const seconds = spec.definition.windowSeconds;
      const unit: WindowUnit = seconds % 86_400 === 0 ? "days" : seconds % 3600 === 0 ? "hours" : "minutes";
      draft.interval = spec.definition.interval;
      draft.funnel = {
        steps: spec.definition.steps.map((step) => ({ event: step.event, label: step.label ?? "", filters: step.filters.map(draftFromFilter) })),
        windowValue: String(Math.max(1, Math.round(seconds / WINDOW_UNITS[unit]))),
        windowUnit: unit,
        breakdown: spec.definition.breakdown ?? "",
      };
      break;
    }
    case "segment":
      draft.segment = {
        event: spec.definition.event ?? "",
        breakdown: spec.definition.breakdown,
        aggregation: draftFromAggregation(spec.definition.aggregation),
        topN: String(spec.definition.topN),
      };
      break;
    case "retention":
      draft.retention = {
        cohortEvent: spec.definition.cohortEvent ?? "",
        returnEvent: spec.definition.returnEvent ?? "",
        interval: spec.definition.interval,
        periods: String(spec.definition.periods),
      };
      break;
    case "paths":
      draft.paths = {
        event: spec.definition.event,
        direction: spec.definition.direction,
        depth: String(spec.definition.depth),
        topN: String(spec.definition.topN),
        sessionGapSeconds: spec.definition.sessionGapSeconds,
      };
      break;
    case "query":
      draft.query = {
        events: spec.definition.events.join(", "),
        groupBy: [spec.definition.groupBy[0] ?? "", spec.definition.groupBy[1] ?? ""],
        aggregation: draftFromAggregation(spec.definition.aggregation),
        limit: String(spec.definition.limit),
      };
      break;
  }
  return draft;
}

/** A name to suggest when saving: what the report measures. */
export function suggestedName(spec: ReportSpec): string {
  switch (spec.kind) {
    case "trend":
      return spec.definition.series.map((series) => series.label ?? series.event ?? "All events").join(", ") + " trend";
    case "funnel":
      return spec.definition.steps.map((step) => step.label ?? step.event).join(" → ");
    case "segment":
      return `${spec.definition.event ?? "All events"} by ${spec.definition.breakdown}`;
    case "retention":
      return `Retention${spec.definition.cohortEvent ? ` after ${spec.definition.cohortEvent}` : ""}`;
    case "paths":
      return `Paths ${spec.definition.direction} ${spec.definition.event}`;
    case "query":
      return `Events${spec.definition.groupBy.length > 0 ? ` by ${spec.definition.groupBy.join(", ")}` : ""}`;
  }
}
