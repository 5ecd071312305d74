"use client";

import { useId, useState, type ReactNode } from "react";
import { cn } from "~/lib/utils";

/** One chosen cohort's run of the report, as the service answers it in `byCohort`. */
export interface CohortPart<TResult> {
  cohortId: string;
  key: string;
  name: string;
  result: TResult;
}

/**
 * A report broken down by cohorts: tabs for everyone and for each chosen cohort, the selected one
 * drawn by the kind's own chart. A person in two cohorts counts in both tabs.
 */
export function CohortBreakdownTabs<TResult>({
  whole,
  parts,
  isEmpty,
  empty,
  children,
}: {
  whole: TResult;
  parts: ReadonlyArray<CohortPart<TResult>>;
  isEmpty: (result: TResult) => boolean;
  empty: ReactNode;
  children: (result: TResult) => ReactNode;
}) {
  const [selected, setSelected] = useState<string | null>(null);
  const id = useId();
  const part = parts.find((candidate) => candidate.cohortId === selected) ?? null;
  const shown = part ? part.result : whole;
  const tabs = [{ key: null as string | null, label: "Everyone" }, ...parts.map((candidate) => ({ key: candidate.cohortId, label: candidate.name }))];
  return (
    <div className="space-y-4">
      <div role="tablist" aria-label="Cohort breakdown" className="flex max-w-full flex-wrap gap-1 rounded-lg bg-muted p-1">
        {tabs.map((tab) => {
          const active = (part?.cohortId ?? null) === tab.key;
          return (
            <button
              key={tab.key ?? "everyone"}
              type="button"
              role="tab"
              id={`${id}-${tab.key ?? "everyone"}`}
              aria-selected={active}
              aria-controls={`${id}-panel`}
              onClick={() => setSelected(tab.key)}
              className={cn(
                "max-w-full truncate rounded-md px-3 py-1 text-sm font-medium transition-colors",
                active ? "bg-background text-foreground shadow-sm" : "text-muted-foreground hover:text-foreground",
              )}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${part?.cohortId ?? "everyone"}`} data-testid="cohort-breakdown-panel">
        {isEmpty(shown) ? empty : children(shown)}
      </div>
    </div>
  );
}
