"use client";

import { Plus, X } from "lucide-react";
import type { ReactNode } from "react";
import { MAX_LABEL_LENGTH } from "~/components/reports/builder-model";
import { FiltersEditor } from "~/components/reports/pickers";
import type { FilterDraft } from "~/components/reports/report-model";
import { Button } from "~/components/ui/button";
import { Input } from "~/components/ui/input";

/** A titled group of settings in the builder. */
export function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  return (
    <section className="space-y-2">
      <div className="flex items-baseline gap-2">
        <h3 className="text-sm font-medium">{title}</h3>
        {hint ? <p className="text-xs text-muted-foreground">{hint}</p> : null}
      </div>
      {children}
    </section>
  );
}

/**
 * One series or funnel step: its badge, inputs and buttons on a line, and its own filters under it.
 * The filters stay collapsed to a "+ filter" link while there are none; removing the last one
 * collapses them again, so no open/closed state is kept apart from the filters themselves.
 */
export function BuilderRow({
  name,
  badge,
  filters,
  onFiltersChange,
  fields,
  inputs,
  actions,
}: {
  /** "Series 1", "Step 2": the prefix of the row's accessible names. */
  name: string;
  badge: ReactNode;
  filters: FilterDraft[];
  onFiltersChange: (filters: FilterDraft[]) => void;
  fields: string[];
  /** Before the "+ filter" link. */
  inputs: ReactNode;
  /** After it: move and remove buttons. */
  actions: ReactNode;
}) {
  return (
    <li className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <span className="flex h-6 w-6 items-center justify-center rounded-full bg-primary/10 text-xs font-medium text-primary">{badge}</span>
        {inputs}
        {filters.length === 0 ? <AddRowFilter name={name} onAdd={onFiltersChange} /> : null}
        {actions}
      </div>
      {filters.length > 0 ? (
        <div className="ml-8 border-l pl-3">
          <FiltersEditor value={filters} onChange={onFiltersChange} fields={fields} label={`${name} filter`} />
        </div>
      ) : null}
    </li>
  );
}

function AddRowFilter({ name, onAdd }: { name: string; onAdd: (filters: FilterDraft[]) => void }) {
  return (
    <button
      type="button"
      className="px-1 text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline"
      aria-label={`Add a filter to ${name.toLowerCase()}`}
      onClick={() => onAdd([{ field: "", op: "eq", value: "" }])}
    >
      + filter
    </button>
  );
}

export function LabelInput({ value, onChange, name, placeholder }: { value: string; onChange: (label: string) => void; name: string; placeholder: string }) {
  return (
    <Input
      aria-label={`${name} label`}
      className="w-40"
      maxLength={MAX_LABEL_LENGTH}
      placeholder={placeholder}
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** A small icon button in a row (remove, move up or down); `label` is its accessible name. */
export function RowIconButton({ label, disabled, onClick, children }: { label: string; disabled?: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <Button type="button" variant="ghost" size="icon" className="h-8 w-8" aria-label={label} disabled={disabled} onClick={onClick}>
      {children}
    </Button>
  );
}

export function RemoveRowButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <RowIconButton label={label} onClick={onClick}>
      <X className="h-4 w-4" aria-hidden="true" />
    </RowIconButton>
  );
}

export function AddRowButton({ disabled, onClick, children }: { disabled: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <Button type="button" variant="ghost" size="sm" className="text-muted-foreground" disabled={disabled} onClick={onClick}>
      <Plus className="h-3.5 w-3.5" aria-hidden="true" />
      {children}
    </Button>
  );
}

/** The rows with the one at `index` changed by `part`. */
export function changeRow<T>(rows: T[], index: number, part: Partial<T>): T[] {
  return rows.map((row, at) => (at === index ? { ...row, ...part } : row));
}
