"use client";

import { useId } from "react";
import { emptySeries, seriesLetter, type SeriesDraft } from "~/components/reports/builder-model";
import { AggregationPicker, IntervalPicker, SuggestInput } from "~/components/reports/pickers";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { TREND_COMPARISONS, type TrendComparison } from "~/core/reports";
import { AddRowButton, BuilderRow, changeRow, LabelInput, RemoveRowButton, Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

const MAX_SERIES = 10;

/** The "Compare to" choices; "none" stands for `compare: false`, the others for its `compareTo`. */
const COMPARE_CHOICES: Array<{ value: "none" | TrendComparison; label: string }> = [
  { value: "none", label: "Nothing" },
  { value: "previous", label: "Previous period" },
  { value: "year", label: "Same period last year" },
];

/** Beside the date range: the bucket size and what to compare against. */
function TrendOptions({ draft, patch }: PanelProps) {
  const compareId = useId();
  const choice = draft.trend.compare ? draft.trend.compareTo : "none";
  function choose(value: string) {
    const compareTo = TREND_COMPARISONS.find((candidate) => candidate === value);
    // "Nothing" keeps the last compareTo, so switching the comparison off and on again restores it.
    patch("trend", { ...draft.trend, compare: compareTo !== undefined, compareTo: compareTo ?? draft.trend.compareTo });
  }
  return (
    <>
      <IntervalPicker value={draft.interval} onChange={(interval) => patch("interval", interval)} />
      {/* On a phone the select gives way, not the label: "Compare to" stays on one line. */}
      <div className="flex min-w-0 items-center gap-2">
        <Label htmlFor={compareId} className="shrink-0 whitespace-nowrap text-sm text-muted-foreground">
          Compare to
        </Label>
        <Select id={compareId} className="w-52 min-w-0 shrink" value={choice} onChange={(event) => choose(event.target.value)}>
          {COMPARE_CHOICES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </Select>
      </div>
    </>
  );
}

function TrendFields({ draft, patch, plan }: PanelProps) {
  const series = draft.trend.series;
  const setSeries = (next: SeriesDraft[]) => patch("trend", { ...draft.trend, series: next });
  return (
    <Section title="Series" hint="Up to 10 lines; leave the event empty to count every event.">
      <ol className="space-y-2">
        {series.map((item, index) => {
          const name = `Series ${index + 1}`;
          const change = (part: Partial<SeriesDraft>) => setSeries(changeRow(series, index, part));
          return (
            <BuilderRow
              key={index}
              name={name}
              badge={seriesLetter(index)}
              filters={item.filters}
              onFiltersChange={(filters) => change({ filters })}
              fields={plan.fields}
              inputs={
                <>
                  <SuggestInput
                    aria-label={`${name} event`}
                    className="w-56"
                    placeholder="All events"
                    options={plan.eventNames}
                    value={item.event}
                    onValueChange={(event) => change({ event })}
                  />
                  <AggregationPicker
                    label={`${name} measure`}
                    value={item.aggregation}
                    fields={plan.fields}
                    onChange={(aggregation) => change({ aggregation })}
                  />
                  <LabelInput name={name} placeholder="Label (optional)" value={item.label} onChange={(label) => change({ label })} />
                </>
              }
              actions={
                series.length > 1 ? (
                  <RemoveRowButton label={`Remove series ${index + 1}`} onClick={() => setSeries(series.filter((_, at) => at !== index))} />
                ) : null
              }
            />
          );
        })}
      </ol>
      <AddRowButton disabled={series.length >= MAX_SERIES} onClick={() => setSeries([...series, emptySeries()])}>
        Add series
      </AddRowButton>
    </Section>
  );
}

/** Events over time, one line per series. */
export const trendPanel: ReportPanel = {
  hint: "How often events happen over time, optionally against the previous period or the same period last year.",
  Options: TrendOptions,
  Fields: TrendFields,
};
