"use client";

import type { BuilderDraft } from "~/components/reports/builder-model";
import { SuggestInput } from "~/components/reports/pickers";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { MAX_PATH_DEPTH } from "~/core/reports";
import { Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

const DEPTHS = Array.from({ length: MAX_PATH_DEPTH }, (_, index) => index + 1);

function PathsFields({ draft, patch, plan }: PanelProps) {
  const paths = draft.paths;
  const change = (part: Partial<BuilderDraft["paths"]>) => patch("paths", { ...paths, ...part });
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Event">
        <div className="flex flex-wrap items-center gap-2">
          <Select
            aria-label="Direction"
            className="w-32"
            value={paths.direction}
            onChange={(event) => change({ direction: event.target.value === "before" ? "before" : "after" })}
          >
            <option value="after">After</option>
            <option value="before">Before</option>
          </Select>
          <SuggestInput
            aria-label="Paths event"
            className="w-56"
            placeholder="Event name"
            options={plan.eventNames}
            value={paths.event}
            onValueChange={(event) => change({ event })}
          />
        </div>
      </Section>
      <Section title="Steps" hint={paths.direction === "after" ? "after the event" : "before the event"}>
        <Select aria-label="Steps" className="w-20" value={paths.depth} onChange={(event) => change({ depth: event.target.value })}>
          {DEPTHS.map((depth) => (
            <option key={depth} value={String(depth)}>
              {depth}
            </option>
          ))}
        </Select>
      </Section>
      <Section title="Top">
        <Input aria-label="Top paths" className="w-20" inputMode="numeric" value={paths.topN} onChange={(event) => change({ topN: event.target.value })} />
      </Section>
    </div>
  );
}

/** What people did after (or before) one event: the most common sequences of their next (or previous) events. */
export const pathsPanel: ReportPanel = {
  hint: "What people do after an event, or what leads up to it: the most common paths.",
  Fields: PathsFields,
};
