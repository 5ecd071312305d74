"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { MAX_COHORT_BREAKDOWN, MAX_COHORT_FILTERS, type CohortFilterDraft } from "~/components/reports/builder-model";
import { Select } from "~/components/ui/select";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import type { PanelProps } from "./panels";
import { AddRowButton, changeRow, RemoveRowButton, Section } from "./panels/parts";

/** Cohorts of the project as the pickers show them; a saved report may name one deleted since. */
function useCohortChoices(projectId: string) {
  const trpc = useTRPC();
  const list = useQuery(trpc.cohorts.list.queryOptions({ projectId }, { staleTime: 60_000 }));
  return { cohorts: list.data ?? [], loaded: list.isSuccess };
}

/**
 * Shared by every report kind: only people in (or not in) cohorts, and the report once more per
 * chosen cohort. Cohorts are picked by name; the report keeps their ids.
 */
export function CohortSettings({ projectId, draft, patch }: Pick<PanelProps, "draft" | "patch"> & { projectId: string }) {
  const { cohorts, loaded } = useCohortChoices(projectId);
  const rows = draft.cohortFilters;
  const setRows = (next: CohortFilterDraft[]) => patch("cohortFilters", next);
  const known = new Set(cohorts.map((cohort) => cohort.id));
  const breakdown = draft.cohortBreakdown;
  const toggle = (cohortId: string) =>
    patch("cohortBreakdown", breakdown.includes(cohortId) ? breakdown.filter((id) => id !== cohortId) : [...breakdown, cohortId]);
  const missing = breakdown.filter((id) => loaded && !known.has(id));

  return (
    <Section title="Cohorts" hint="Only people in (or not in) a cohort; or the report once per cohort.">
      {loaded && cohorts.length === 0 && rows.length === 0 && breakdown.length === 0 ? (
        <p className="text-sm text-muted-foreground">
          No cohorts in this project yet.{" "}
          <Link href={`/projects/${projectId}/cohorts`} className="underline underline-offset-4">
            Create one
          </Link>{" "}
          to filter or break down reports by it.
        </p>
      ) : (
        <div className="space-y-3">
          <div className="space-y-2" role="group" aria-label="Cohort filters">
            {rows.map((row, index) => {
              const name = `Cohort filter ${index + 1}`;
              return (
                <div key={index} className="flex flex-wrap items-center gap-2">
                  <span className="w-10 text-xs text-muted-foreground">{index === 0 ? "people" : "and"}</span>
                  <Select
                    aria-label={`${name} operator`}
                    className="w-32"
                    value={row.op}
                    onChange={(event) => setRows(changeRow(rows, index, { op: event.target.value === "not_in" ? "not_in" : "in" }))}
                  >
                    <option value="in">in cohort</option>
                    <option value="not_in">not in cohort</option>
                  </Select>
                  <Select
                    aria-label={`${name} cohort`}
                    className="w-56 min-w-0 shrink"
                    value={row.cohortId}
                    onChange={(event) => setRows(changeRow(rows, index, { cohortId: event.target.value }))}
                  >
                    <option value="">Pick a cohort…</option>
                    {cohorts.map((cohort) => (
                      <option key={cohort.id} value={cohort.id}>
                        {cohort.name}
                      </option>
                    ))}
                    {row.cohortId && loaded && !known.has(row.cohortId) ? <option value={row.cohortId}>(deleted cohort)</option> : null}
                  </Select>
                  <RemoveRowButton label={`Remove cohort filter ${index + 1}`} onClick={() => setRows(rows.filter((_, at) => at !== index))} />
                </div>
              );
            })}
            <AddRowButton disabled={rows.length >= MAX_COHORT_FILTERS || cohorts.length === 0} onClick={() => setRows([...rows, { cohortId: "", op: "in" }])}>
              Add cohort filter
            </AddRowButton>
          </div>
          {cohorts.length > 0 || breakdown.length > 0 ? (
            <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Break down by cohorts">
              <span className="text-xs text-muted-foreground">Break down by</span>
              {cohorts.map((cohort) => {
                const chosen = breakdown.includes(cohort.id);
                return (
                  <button
                    key={cohort.id}
                    type="button"
                    aria-pressed={chosen}
                    aria-label={`Break down by cohort ${cohort.name}`}
                    disabled={!chosen && breakdown.length >= MAX_COHORT_BREAKDOWN}
                    onClick={() => toggle(cohort.id)}
                    className={cn(
                      "max-w-full truncate rounded-full border px-3 py-0.5 text-xs font-medium transition-colors disabled:opacity-50",
                      chosen ? "border-primary bg-primary text-primary-foreground" : "text-muted-foreground hover:bg-accent hover:text-foreground",
                    )}
                  >
                    {cohort.name}
                  </button>
                );
              })}
              {missing.map((id) => (
                <button
                  key={id}
                  type="button"
                  aria-pressed
                  aria-label="Remove the deleted cohort from the breakdown"
                  onClick={() => toggle(id)}
                  className="rounded-full border border-destructive/40 px-3 py-0.5 text-xs text-destructive"
                >
                  (deleted cohort) ×
                </button>
              ))}
            </div>
          ) : null}
        </div>
      )}
    </Section>
  );
}
