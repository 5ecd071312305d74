"use client";

import { Plus, X } from "lucide-react";
import { useId, type InputHTMLAttributes } from "react";
import { Button } from "~/components/ui/button";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { NUMERIC_AGGREGATIONS, type Aggregation, type Interval } from "~/core/reports";
import { AGGREGATION_LABELS, type AggregationDraft } from "./aggregation";
import { cn } from "~/lib/utils";
import {
  FILTER_OPERATORS,
  INTERVAL_LABELS,
  INTERVALS,
  OPERATOR_LABELS,
  operatorTakesValue,
  RANGE_PRESET_LABELS,
  RANGE_PRESETS,
  type FilterDraft,
  type FilterOperator,
  type RangeChoice,
  type RangePreset,
} from "./report-model";

/** A text input that suggests `options` (a native datalist): known names one click away, any name allowed. */
export function SuggestInput({
  options,
  className,
  ...props
}: { options: readonly string[] } & Omit<InputHTMLAttributes<HTMLInputElement>, "list" | "onChange" | "value"> & {
    value: string;
    onValueChange: (value: string) => void;
  }) {
  const listId = useId();
  const { onValueChange, ...rest } = props;
  // The datalist comes first: it is never displayed, and the input stays its parent's last child for space-y margins.
  return (
    <>
      <datalist id={listId}>
        {options.map((option) => (
          <option key={option} value={option} />
        ))}
      </datalist>
      <Input
        {...rest}
        list={listId}
        autoComplete="off"
        spellCheck={false}
        className={className}
        maxLength={300}
        onChange={(event) => onValueChange(event.target.value)}
      />
    </>
  );
}

/** The date range: presets, or two local dates. */
export function DateRangePicker({ value, onChange, error }: { value: RangeChoice; onChange: (choice: RangeChoice) => void; error?: string | null }) {
  const id = useId();
  return (
    <div className="space-y-2">
      <div role="group" aria-label="Date range" className="inline-flex flex-wrap rounded-md border bg-background p-0.5">
        {RANGE_PRESETS.map((preset: RangePreset) => (
          <button
            key={preset}
            type="button"
            aria-pressed={value.preset === preset}
            onClick={() => onChange({ ...value, preset })}
            className={cn(
              "rounded px-3 py-1 text-sm font-medium transition-colors",
              value.preset === preset ? "bg-primary text-primary-foreground" : "text-muted-foreground hover:bg-accent hover:text-foreground",
            )}
          >
            {RANGE_PRESET_LABELS[preset]}
          </button>
        ))}
      </div>
      {value.preset === "custom" ? (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <Label htmlFor={`${id}-from`} className="sr-only">
            From
          </Label>
          <Input
            id={`${id}-from`}
            type="date"
            className="w-40"
            value={value.from ?? ""}
            onChange={(event) => onChange({ ...value, from: event.target.value })}
          />
          <span className="text-muted-foreground">to</span>
          <Label htmlFor={`${id}-to`} className="sr-only">
            To
          </Label>
          <Input id={`${id}-to`} type="date" className="w-40" value={value.to ?? ""} onChange={(event) => onChange({ ...value, to: event.target.value })} />
        </div>
      ) : null}
      {error ? <p className="text-sm text-destructive">{error}</p> : null}
    </div>
  );
}

/** The bucket size of a chart over time; "auto" lets the range decide. */
export function IntervalPicker({ value, onChange }: { value: Interval | "auto"; onChange: (interval: Interval | "auto") => void }) {
  const id = useId();
  return (
    <div className="flex items-center gap-2">
      <Label htmlFor={id} className="text-sm text-muted-foreground">
        by
      </Label>
      <Select id={id} className="w-32" value={value} onChange={(event) => onChange(event.target.value as Interval | "auto")}>
        <option value="auto">Auto</option>
        {INTERVALS.map((interval) => (
          <option key={interval} value={interval}>
            {INTERVAL_LABELS[interval]}
          </option>
        ))}
      </Select>
    </div>
  );
}

/** The property a report is broken down by: any field, the plan's ones suggested. */
export function BreakdownPicker({
  label,
  placeholder,
  value,
  onChange,
  fields,
}: {
  /** The accessible name. */
  label: string;
  placeholder?: string;
  value: string;
  onChange: (field: string) => void;
  fields: readonly string[];
}) {
  return <SuggestInput aria-label={label} className="w-56" placeholder={placeholder} options={fields} value={value} onValueChange={onChange} />;
}

export function AggregationPicker({
  value,
  onChange,
  fields,
  label = "Measure",
}: {
  value: AggregationDraft;
  onChange: (draft: AggregationDraft) => void;
  fields: readonly string[];
  label?: string;
}) {
  const id = useId();
  const numeric = (NUMERIC_AGGREGATIONS as readonly string[]).includes(value.op);
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Label htmlFor={id} className="sr-only">
        {label}
      </Label>
      <Select id={id} className="w-44" value={value.op} onChange={(event) => onChange({ ...value, op: event.target.value as Aggregation["op"] })}>
        {Object.entries(AGGREGATION_LABELS).map(([op, text]) => (
          <option key={op} value={op}>
            {text}
          </option>
        ))}
      </Select>
      {numeric ? (
        <SuggestInput
          aria-label={`${label} property`}
          className="w-48"
          placeholder="props.amount"
          options={fields.filter((field) => field.includes("."))}
          value={value.field}
          onValueChange={(field) => onChange({ ...value, field })}
        />
      ) : null}
    </div>
  );
}

/** Rows of property, operator, value. */
export function FiltersEditor({
  value,
  onChange,
  fields,
  label = "Filters",
}: {
  value: FilterDraft[];
  onChange: (drafts: FilterDraft[]) => void;
  fields: readonly string[];
  label?: string;
}) {
  const update = (index: number, patch: Partial<FilterDraft>) => onChange(value.map((draft, at) => (at === index ? { ...draft, ...patch } : draft)));
  return (
    <div className="space-y-2" role="group" aria-label={label}>
      {value.map((draft, index) => (
        <div key={index} className="flex flex-wrap items-center gap-2">
          <span className="w-10 text-xs text-muted-foreground">{index === 0 ? "where" : "and"}</span>
          <SuggestInput
            aria-label={`${label} ${index + 1} property`}
            className="w-48"
            placeholder="props.plan"
            options={fields}
            value={draft.field}
            onValueChange={(field) => update(index, { field })}
          />
          <Select
            aria-label={`${label} ${index + 1} operator`}
            className="w-40"
            value={draft.op}
            onChange={(event) => update(index, { op: event.target.value as FilterOperator })}
          >
            {FILTER_OPERATORS.map((op) => (
              <option key={op} value={op}>
                {OPERATOR_LABELS[op]}
              </option>
            ))}
          </Select>
          {operatorTakesValue(draft.op) ? (
            <Input
              aria-label={`${label} ${index + 1} value`}
              className="w-48"
              maxLength={2000}
              placeholder={draft.op === "in" || draft.op === "not_in" ? "a, b, c" : "value"}
              value={draft.value}
              onChange={(event) => update(index, { value: event.target.value })}
            />
          ) : null}
          <Button
            type="button"
            variant="ghost"
            size="icon"
            className="h-8 w-8"
            aria-label={`Remove ${label.toLowerCase()} ${index + 1}`}
            onClick={() => onChange(value.filter((_, at) => at !== index))}
          >
            <X className="h-4 w-4" aria-hidden="true" />
          </Button>
        </div>
      ))}
      <Button
        type="button"
        variant="ghost"
        size="sm"
        className="text-muted-foreground"
        disabled={value.length >= 20}
        onClick={() => onChange([...value, { field: "", op: "eq", value: "" }])}
      >
        <Plus className="h-3.5 w-3.5" aria-hidden="true" />
        Add filter
      </Button>
    </div>
  );
}
