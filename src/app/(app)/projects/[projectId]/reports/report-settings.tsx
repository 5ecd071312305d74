"use client";

import { Plus } from "lucide-react";
import Link from "next/link";
import type { BuilderDraft } from "~/components/reports/builder-model";
import { DateRangePicker, FiltersEditor } from "~/components/reports/pickers";
import { REPORT_KIND_LABELS } from "~/components/reports/report-model";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { REPORT_KINDS, type ReportKind } from "~/core/reports";
import { cn } from "~/lib/utils";
import { CohortSettings } from "./cohort-settings";
import { REPORT_PANELS, Section, type Patch, type Suggestions } from "./panels";

/** The upper card: the kind, the shared settings (range, filters) around the kind's own panel, and what to fix. */
export function ReportSettings({
  projectId,
  title,
  newReportHref,
  draft,
  patch,
  plan,
  errors,
}: {
  /** For the project's own pickers (cohorts). */
  projectId: string;
  title: string;
  /** Shown on a saved report: a link to start a new one. */
  newReportHref: string | null;
  draft: BuilderDraft;
  patch: Patch;
  plan: Suggestions;
  /** Why the draft is not a runnable report yet, if it is not. */
  errors: string[] | null;
}) {
  const panel = REPORT_PANELS[draft.kind];
  const panelProps = { draft, patch, plan };
  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0 pb-4">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>{title}</h2>
          </CardTitle>
          <CardDescription>{panel.hint}</CardDescription>
        </div>
        {newReportHref ? (
          <Link href={newReportHref} className={buttonVariants({ variant: "ghost", size: "sm" })}>
            <Plus className="h-3.5 w-3.5" aria-hidden="true" />
            New report
          </Link>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-5">
        <KindTabs value={draft.kind} onChange={(kind) => patch("kind", kind)} />
        <div className="flex flex-wrap items-start gap-4">
          <DateRangePicker value={draft.range} onChange={(range) => patch("range", range)} />
          {panel.Options ? <panel.Options {...panelProps} /> : null}
        </div>
        <panel.Fields {...panelProps} />
        <Section title="Filters" hint="Applied to every event of the report.">
          <FiltersEditor value={draft.filters} onChange={(filters) => patch("filters", filters)} fields={plan.fields} />
        </Section>
        <CohortSettings projectId={projectId} draft={draft} patch={patch} />
        {errors ? <DraftErrors errors={errors} /> : null}
      </CardContent>
    </Card>
  );
}

function KindTabs({ value, onChange }: { value: ReportKind; onChange: (kind: ReportKind) => void }) {
  return (
    <div role="tablist" aria-label="Report kind" className="inline-flex flex-wrap gap-1 rounded-lg bg-muted p-1">
      {REPORT_KINDS.map((kind) => (
        <button
          key={kind}
          type="button"
          role="tab"
          aria-selected={value === kind}
          onClick={() => onChange(kind)}
          className={cn(
            "rounded-md px-3 py-1.5 text-sm font-medium transition-colors",
            value === kind ? "bg-background text-foreground shadow-sm" : "text-muted-foreground hover:text-foreground",
          )}
        >
          {REPORT_KIND_LABELS[kind]}
        </button>
      ))}
    </div>
  );
}

function DraftErrors({ errors }: { errors: string[] }) {
  return (
    <Alert variant="warning" role="alert">
      <AlertDescription>
        <ul className="list-disc space-y-0.5 pl-4">
          {errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      </AlertDescription>
    </Alert>
  );
}
