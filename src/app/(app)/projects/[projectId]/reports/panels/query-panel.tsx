"use client";

import type { BuilderDraft } from "~/components/reports/builder-model";
import { AggregationPicker, SuggestInput } from "~/components/reports/pickers";
import { Input } from "~/components/ui/input";
import { Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

function QueryFields({ draft, patch, plan }: PanelProps) {
  const query = draft.query;
  const change = (part: Partial<BuilderDraft["query"]>) => patch("query", { ...query, ...part });
  const setGroupBy = (index: 0 | 1, field: string) => {
    const groupBy: [string, string] = [...query.groupBy];
    groupBy[index] = field;
    change({ groupBy });
  };
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Events" hint="Comma-separated; empty: all">
        <SuggestInput
          aria-label="Events"
          className="w-64"
          placeholder="All events"
          options={plan.eventNames}
          value={query.events}
          onValueChange={(events) => change({ events })}
        />
      </Section>
      <Section title="Measure">
        <AggregationPicker value={query.aggregation} fields={plan.fields} onChange={(aggregation) => change({ aggregation })} />
      </Section>
      <Section title="Group by" hint="Up to two">
        <div className="flex gap-2">
          {([0, 1] as const).map((index) => (
            <SuggestInput
              key={index}
              aria-label={`Group by ${index + 1}`}
              className="w-44"
              placeholder={index === 0 ? "event_name" : "(none)"}
              options={plan.fields}
              value={query.groupBy[index]}
              onValueChange={(field) => setGroupBy(index, field)}
            />
          ))}
        </div>
      </Section>
      <Section title="Rows">
        <Input aria-label="Row limit" className="w-20" inputMode="numeric" value={query.limit} onChange={(event) => change({ limit: event.target.value })} />
      </Section>
    </div>
  );
}

/** Counts and measures grouped by up to two properties, as a table. */
export const queryPanel: ReportPanel = {
  hint: "Counts and measures of events grouped by up to two properties.",
  Fields: QueryFields,
};
