"use client";

import type { BuilderDraft } from "~/components/reports/builder-model";
import { SuggestInput } from "~/components/reports/pickers";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

function RetentionFields({ draft, patch, plan }: PanelProps) {
  const retention = draft.retention;
  const change = (part: Partial<BuilderDraft["retention"]>) => patch("retention", { ...retention, ...part });
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Cohort event" hint="Empty: first event of any kind">
        <SuggestInput
          aria-label="Cohort event"
          className="w-56"
          placeholder="Any event"
          options={plan.eventNames}
          value={retention.cohortEvent}
          onValueChange={(cohortEvent) => change({ cohortEvent })}
        />
      </Section>
      <Section title="Return event" hint="Empty: any event">
        <SuggestInput
          aria-label="Return event"
          className="w-56"
          placeholder="Any event"
          options={plan.eventNames}
          value={retention.returnEvent}
          onValueChange={(returnEvent) => change({ returnEvent })}
        />
      </Section>
      <Section title="Periods">
        <div className="flex items-center gap-2">
          <Input
            aria-label="Number of periods"
            className="w-20"
            inputMode="numeric"
            value={retention.periods}
            onChange={(event) => change({ periods: event.target.value })}
          />
          <Select
            aria-label="Period"
            className="w-28"
            value={retention.interval}
            onChange={(event) => change({ interval: event.target.value === "week" ? "week" : "day" })}
          >
            <option value="day">days</option>
            <option value="week">weeks</option>
          </Select>
        </div>
      </Section>
    </div>
  );
}

/** Cohorts by first event, and how many come back in each later day or week. */
export const retentionPanel: ReportPanel = {
  hint: "How many profiles come back in the days or weeks after their first event.",
  Fields: RetentionFields,
};
