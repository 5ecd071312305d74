"use client";

import { emptySeries, seriesLetter, type SeriesDraft } from "~/components/reports/builder-model";
import { AggregationPicker, IntervalPicker, SuggestInput } from "~/components/reports/pickers";
import { Checkbox } from "~/components/ui/checkbox";
import { AddRowButton, BuilderRow, changeRow, LabelInput, RemoveRowButton, Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

const MAX_SERIES = 10;

/** Beside the date range: the bucket size and what to compare against. */
function TrendOptions({ draft, patch }: PanelProps) {
  return (
    <>
      <IntervalPicker value={draft.interval} onChange={(interval) => patch("interval", interval)} />
      <label className="flex h-9 items-center gap-2 text-sm">
        <Checkbox checked={draft.trend.compare} onChange={(event) => patch("trend", { ...draft.trend, compare: event.target.checked })} />
        Compare to previous period
      </label>
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
  hint: "How often events happen over time, with the previous period for comparison.",
  Options: TrendOptions,
  Fields: TrendFields,
};
