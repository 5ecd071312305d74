import type { Aggregation } from "~/core/reports";

export const AGGREGATION_LABELS: Record<Aggregation["op"], string> = {
  count: "Total events",
  unique_profiles: "Unique profiles",
  sum: "Sum of",
  avg: "Average of",
  min: "Minimum of",
  max: "Maximum of",
  p50: "Median (p50) of",
  p90: "p90 of",
  p99: "p99 of",
};

/** The measure as the form holds it: the field is kept while switching between numeric operations. */
export interface AggregationDraft {
  op: Aggregation["op"];
  field: string;
}

export function aggregationFromDraft(draft: AggregationDraft): Aggregation | { error: string } {
  if (draft.op === "count" || draft.op === "unique_profiles") return { op: draft.op };
  if (!draft.field.trim()) return { error: `${AGGREGATION_LABELS[draft.op]} needs a numeric property.` };
  return { op: draft.op, field: draft.field.trim() };
}

export function draftFromAggregation(aggregation: Aggregation | undefined): AggregationDraft {
  if (!aggregation) return { op: "count", field: "" };
  return { op: aggregation.op, field: "field" in aggregation ? aggregation.field : "" };
}
