"use client";

import type { BuilderDraft } from "~/components/reports/builder-model";
import { AggregationPicker, BreakdownPicker, SuggestInput } from "~/components/reports/pickers";
import { Input } from "~/components/ui/input";
import { Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

function SegmentFields({ draft, patch, plan }: PanelProps) {
  const segment = draft.segment;
  const change = (part: Partial<BuilderDraft["segment"]>) => patch("segment", { ...segment, ...part });
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Event">
        <SuggestInput
          aria-label="Segment event"
          className="w-56"
          placeholder="All events"
          options={plan.eventNames}
          value={segment.event}
          onValueChange={(event) => change({ event })}
        />
      </Section>
      <Section title="Measure">
        <AggregationPicker value={segment.aggregation} fields={plan.fields} onChange={(aggregation) => change({ aggregation })} />
      </Section>
      <Section title="Break down by">
        <BreakdownPicker label="Break down by" fields={plan.fields} value={segment.breakdown} onChange={(breakdown) => change({ breakdown })} />
      </Section>
      <Section title="Top">
        <Input aria-label="Top N" className="w-20" inputMode="numeric" value={segment.topN} onChange={(event) => change({ topN: event.target.value })} />
      </Section>
    </div>
  );
}

/** The top values of one property, by a measure of their events. */
export const segmentPanel: ReportPanel = {
  hint: "Which values of a property account for the most events.",
  Fields: SegmentFields,
};
