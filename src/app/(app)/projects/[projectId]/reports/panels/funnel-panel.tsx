"use client";

import { ArrowDown, ArrowUp } from "lucide-react";
import { useId } from "react";
import { emptyStep, WINDOW_UNITS, type BuilderDraft, type FunnelStepDraft, type WindowUnit } from "~/components/reports/builder-model";
import { BreakdownPicker, IntervalPicker, SuggestInput } from "~/components/reports/pickers";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { AddRowButton, BuilderRow, changeRow, LabelInput, RemoveRowButton, RowIconButton, Section } from "./parts";
import type { PanelProps, ReportPanel } from "./types";

const MIN_STEPS = 2;
const MAX_STEPS = 20;

type FunnelDraft = BuilderDraft["funnel"];

/** Beside the date range: the bucket size of the conversion over time. */
function FunnelOptions({ draft, patch }: PanelProps) {
  return <IntervalPicker value={draft.interval} onChange={(interval) => patch("interval", interval)} />;
}

function FunnelFields({ draft, patch, plan }: PanelProps) {
  const funnel = draft.funnel;
  const change = (part: Partial<FunnelDraft>) => patch("funnel", { ...funnel, ...part });
  return (
    <>
      <FunnelSteps steps={funnel.steps} onChange={(steps) => change({ steps })} plan={plan} />
      <div className="flex flex-wrap gap-6">
        <ConversionWindow funnel={funnel} onChange={change} />
        <Section title="Breakdown" hint="Optional">
          <BreakdownPicker
            label="Breakdown property"
            placeholder="e.g. browser"
            fields={plan.fields}
            value={funnel.breakdown}
            onChange={(breakdown) => change({ breakdown })}
          />
        </Section>
      </div>
    </>
  );
}

function FunnelSteps({ steps, onChange, plan }: { steps: FunnelStepDraft[]; onChange: (steps: FunnelStepDraft[]) => void; plan: PanelProps["plan"] }) {
  const move = (index: number, by: number) => {
    const next = [...steps];
    const [step] = next.splice(index, 1);
    next.splice(index + by, 0, step ?? emptyStep());
    onChange(next);
  };
  return (
    <Section title="Steps" hint="2 to 20 events, in the order a profile must do them.">
      <ol className="space-y-2">
        {steps.map((step, index) => {
          const name = `Step ${index + 1}`;
          const change = (part: Partial<FunnelStepDraft>) => onChange(changeRow(steps, index, part));
          return (
            <BuilderRow
              key={index}
              name={name}
              badge={index + 1}
              filters={step.filters}
              onFiltersChange={(filters) => change({ filters })}
              fields={plan.fields}
              inputs={
                <>
                  <SuggestInput
                    aria-label={`${name} event`}
                    className="w-56"
                    placeholder="event name"
                    options={plan.eventNames}
                    value={step.event}
                    onValueChange={(event) => change({ event })}
                  />
                  <LabelInput name={name} placeholder="Label (optional)" value={step.label} onChange={(label) => change({ label })} />
                </>
              }
              actions={
                <>
                  <RowIconButton label={`Move step ${index + 1} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                    <ArrowUp className="h-4 w-4" aria-hidden="true" />
                  </RowIconButton>
                  <RowIconButton label={`Move step ${index + 1} down`} disabled={index === steps.length - 1} onClick={() => move(index, 1)}>
                    <ArrowDown className="h-4 w-4" aria-hidden="true" />
                  </RowIconButton>
                  {steps.length > MIN_STEPS ? (
                    <RemoveRowButton label={`Remove step ${index + 1}`} onClick={() => onChange(steps.filter((_, at) => at !== index))} />
                  ) : null}
                </>
              }
            />
          );
        })}
      </ol>
      <AddRowButton disabled={steps.length >= MAX_STEPS} onClick={() => onChange([...steps, emptyStep()])}>
        Add step
      </AddRowButton>
    </Section>
  );
}

function ConversionWindow({ funnel, onChange }: { funnel: FunnelDraft; onChange: (part: Partial<FunnelDraft>) => void }) {
  const windowId = useId();
  return (
    <Section title="Conversion window">
      <div className="flex items-center gap-2">
        <Input
          id={windowId}
          aria-label="Conversion window"
          className="w-20"
          inputMode="numeric"
          value={funnel.windowValue}
          onChange={(event) => onChange({ windowValue: event.target.value })}
        />
        <Select
          aria-label="Conversion window unit"
          className="w-28"
          value={funnel.windowUnit}
          onChange={(event) => onChange({ windowUnit: event.target.value as WindowUnit })}
        >
          {Object.keys(WINDOW_UNITS).map((unit) => (
            <option key={unit} value={unit}>
              {unit}
            </option>
          ))}
        </Select>
      </div>
    </Section>
  );
}

/** Profiles through an ordered sequence of events, and where they drop off. */
export const funnelPanel: ReportPanel = {
  hint: "How many profiles go through a sequence of events, and where they drop off.",
  Options: FunnelOptions,
  Fields: FunnelFields,
};
