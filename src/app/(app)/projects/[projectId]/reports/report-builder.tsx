"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, LayoutDashboard, Plus, Save, X } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import {
  draftFromSpec,
  emptyDraft,
  emptySeries,
  emptyStep,
  MAX_LABEL_LENGTH,
  seriesLetter,
  specFromDraft,
  suggestedName,
  WINDOW_UNITS,
  type BuilderDraft,
  type FunnelStepDraft,
  type SeriesDraft,
  type WindowUnit,
} from "~/components/reports/builder-model";
import { ExportButtons } from "~/components/reports/export-buttons";
import { AggregationPicker, DateRangePicker, FiltersEditor, SuggestInput } from "~/components/reports/pickers";
import { INTERVAL_LABELS, INTERVALS, REPORT_KIND_LABELS, type FilterDraft } from "~/components/reports/report-model";
import { ReportView } from "~/components/reports/report-view";
import { SaveReportDialog, type SavedReport } from "~/components/reports/save-report-dialog";
import { usePlanSuggestions } from "~/components/reports/use-tracking-plan";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button as PlainButton, buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { REPORT_KINDS, type Interval, type ReportKind } from "~/core/reports";
import { atLeast, type RoleName } from "~/core/roles";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";

const KIND_HINTS: Record<ReportKind, string> = {
  trend: "How often events happen over time, with the previous period for comparison.",
  funnel: "How many profiles go through a sequence of events, and where they drop off.",
  segment: "Which values of a property account for the most events.",
  retention: "How many profiles come back in the days or weeks after their first event.",
  query: "Counts and measures of events grouped by up to two properties.",
};

/** Waits until the report has stopped changing for a moment before running it. */
function useSettled<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(key) as T), delayMs);
    return () => clearTimeout(timer);
  }, [key, delayMs]);
  return settled;
}

export function ReportBuilder({
  projectId,
  timezone,
  role,
  saved,
  initialKind,
}: {
  projectId: string;
  timezone: string;
  role: RoleName;
  saved: SavedReport | null;
  initialKind: string | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const plan = usePlanSuggestions(projectId);
  const canSave = atLeast(role, "member");
  const [draft, setDraft] = useState<BuilderDraft>(() => {
    if (saved?.spec) return draftFromSpec(saved.spec, timezone);
    const kind = REPORT_KINDS.find((candidate) => candidate === initialKind) ?? "trend";
    return emptyDraft(kind);
  });
  const [saving, setSaving] = useState<{ onDashboard: boolean } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const result = useMemo(() => specFromDraft(draft, timezone), [draft, timezone]);
  const current = "spec" in result ? result.spec : null;
  const applied = useSettled(current, 400);
  const changedSinceSave = saved?.spec ? JSON.stringify(saved.spec) !== JSON.stringify(current) : true;

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.savedReports.list.pathKey() });
  const update = useMutation(
    trpc.savedReports.update.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        setNotice("Changes saved.");
        router.refresh();
      },
    }),
  );
  const pin = useMutation(
    trpc.savedReports.setOnDashboard.mutationOptions({
      onSuccess: async (answer) => {
        await invalidate();
        setNotice(answer.onDashboard ? "Added to the dashboard." : "Removed from the dashboard.");
        router.refresh();
      },
    }),
  );

  const patch = <K extends keyof BuilderDraft>(key: K, value: BuilderDraft[K]) => setDraft((previous) => ({ ...previous, [key]: value }));

  function onSaved(report: SavedReport) {
    setSaving(null);
    setNotice(report.onDashboard ? "Saved and added to the dashboard." : "Report saved.");
    router.replace(`/projects/${projectId}/reports?report=${encodeURIComponent(report.id)}`);
  }

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0 pb-4">
          <div className="space-y-1.5">
            <CardTitle>
              <h2>{saved ? saved.name : "New report"}</h2>
            </CardTitle>
            <CardDescription>{KIND_HINTS[draft.kind]}</CardDescription>
          </div>
          {saved ? (
            <Link href={`/projects/${projectId}/reports`} className={buttonVariants({ variant: "ghost", size: "sm" })}>
              <Plus className="h-3.5 w-3.5" aria-hidden="true" />
              New report
            </Link>
          ) : null}
        </CardHeader>
        <CardContent className="space-y-5">
          <div role="tablist" aria-label="Report kind" className="inline-flex flex-wrap gap-1 rounded-lg bg-muted p-1">
            {REPORT_KINDS.map((kind) => (
              <button
                key={kind}
                type="button"
                role="tab"
                aria-selected={draft.kind === kind}
                onClick={() => patch("kind", kind)}
                className={cn(
                  "rounded-md px-3 py-1.5 text-sm font-medium transition-colors",
                  draft.kind === kind ? "bg-background text-foreground shadow-sm" : "text-muted-foreground hover:text-foreground",
                )}
              >
                {REPORT_KIND_LABELS[kind]}
              </button>
            ))}
          </div>

          <div className="flex flex-wrap items-start gap-4">
            <DateRangePicker value={draft.range} onChange={(range) => patch("range", range)} />
            {draft.kind === "trend" || draft.kind === "funnel" ? (
              <IntervalPicker value={draft.interval} onChange={(interval) => patch("interval", interval)} />
            ) : null}
            {draft.kind === "trend" ? (
              <label className="flex h-9 items-center gap-2 text-sm">
                <Checkbox checked={draft.trend.compare} onChange={(event) => patch("trend", { ...draft.trend, compare: event.target.checked })} />
                Compare to previous period
              </label>
            ) : null}
          </div>

          {draft.kind === "trend" ? <TrendFields draft={draft} patch={patch} eventNames={plan.eventNames} fields={plan.fields} /> : null}
          {draft.kind === "funnel" ? <FunnelFields draft={draft} patch={patch} eventNames={plan.eventNames} fields={plan.fields} /> : null}
          {draft.kind === "segment" ? <SegmentFields draft={draft} patch={patch} eventNames={plan.eventNames} fields={plan.fields} /> : null}
          {draft.kind === "retention" ? <RetentionFields draft={draft} patch={patch} eventNames={plan.eventNames} /> : null}
          {draft.kind === "query" ? <QueryFields draft={draft} patch={patch} eventNames={plan.eventNames} fields={plan.fields} /> : null}

          <Section title="Filters" hint="Applied to every event of the report.">
            <FiltersEditor value={draft.filters} onChange={(filters) => patch("filters", filters)} fields={plan.fields} />
          </Section>

          {"errors" in result ? (
            <Alert variant="warning" role="alert">
              <AlertDescription>
                <ul className="list-disc space-y-0.5 pl-4">
                  {result.errors.map((error) => (
                    <li key={error}>{error}</li>
                  ))}
                </ul>
              </AlertDescription>
            </Alert>
          ) : null}
        </CardContent>
      </Card>

      <Card>
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-3 space-y-0 pb-4">
          <div className="flex items-center gap-2">
            <CardTitle>
              <h2>Result</h2>
            </CardTitle>
            <Badge variant="secondary">{REPORT_KIND_LABELS[draft.kind]}</Badge>
            {saved?.onDashboard ? <Badge variant="default">On dashboard</Badge> : null}
          </div>
          <div className="flex flex-wrap items-center gap-2">
            {notice ? (
              <span role="status" className="text-xs text-muted-foreground">
                {notice}
              </span>
            ) : null}
            <ExportButtons projectId={projectId} source={applied ? { kind: "report", report: applied } : null} />
            {canSave ? (
              <>
                {saved && changedSinceSave ? (
                  <Button
                    size="sm"
                    variant="outline"
                    disabled={!current || update.isPending}
                    onClick={() => current && update.mutate({ projectId, reportId: saved.id, spec: current })}
                  >
                    <Save className="h-3.5 w-3.5" aria-hidden="true" />
                    {update.isPending ? "Saving…" : "Save changes"}
                  </Button>
                ) : null}
                {saved && !saved.onDashboard && !changedSinceSave ? (
                  <Button size="sm" variant="outline" disabled={pin.isPending} onClick={() => pin.mutate({ projectId, reportId: saved.id, onDashboard: true })}>
                    <LayoutDashboard className="h-3.5 w-3.5" aria-hidden="true" />
                    Add to dashboard
                  </Button>
                ) : null}
                {!saved || changedSinceSave ? (
                  <Button size="sm" variant="outline" disabled={!current} onClick={() => setSaving({ onDashboard: true })}>
                    <LayoutDashboard className="h-3.5 w-3.5" aria-hidden="true" />
                    Add to dashboard
                  </Button>
                ) : null}
                <Button size="sm" disabled={!current} onClick={() => setSaving({ onDashboard: false })}>
                  <Save className="h-3.5 w-3.5" aria-hidden="true" />
                  {saved ? "Save as new" : "Save"}
                </Button>
              </>
            ) : null}
          </div>
        </CardHeader>
        <CardContent>
          {errorMessage(update.error ?? pin.error) ? (
            <Alert variant="destructive" className="mb-4">
              {errorMessage(update.error ?? pin.error)}
            </Alert>
          ) : null}
          {applied ? (
            <ReportView projectId={projectId} spec={applied} timezone={timezone} height={300} />
          ) : (
            <div className="flex h-[364px] items-center justify-center rounded-lg border border-dashed text-sm text-muted-foreground">
              Complete the report&apos;s settings above to see its result.
            </div>
          )}
        </CardContent>
      </Card>

      <SaveReportDialog
        open={saving !== null}
        onOpenChange={(open) => !open && setSaving(null)}
        projectId={projectId}
        spec={current}
        defaultName={saved ? `${saved.name} (copy)` : current ? suggestedName(current) : ""}
        defaultOnDashboard={saving?.onDashboard ?? false}
        onSaved={onSaved}
      />
    </div>
  );
}

type Patch = <K extends keyof BuilderDraft>(key: K, value: BuilderDraft[K]) => void;

function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
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

function IntervalPicker({ value, onChange }: { value: Interval | "auto"; onChange: (interval: Interval | "auto") => void }) {
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

/**
 * A step's or series' own filters stay collapsed to a "+ filter" link in its row while there are
 * none, and show the full editor under the row once there is one. Removing the last filter collapses
 * it again, so no open/closed state is kept apart from the filters themselves.
 */
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

function RowFilters({ value, onChange, fields, name }: { value: FilterDraft[]; onChange: (filters: FilterDraft[]) => void; fields: string[]; name: string }) {
  return (
    <div className="ml-8 border-l pl-3">
      <FiltersEditor value={value} onChange={onChange} fields={fields} label={`${name} filter`} />
    </div>
  );
}

function LabelInput({ value, onChange, name, placeholder }: { value: string; onChange: (label: string) => void; name: string; placeholder: string }) {
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

function TrendFields({ draft, patch, eventNames, fields }: { draft: BuilderDraft; patch: Patch; eventNames: string[]; fields: string[] }) {
  const series = draft.trend.series;
  const setSeries = (next: SeriesDraft[]) => patch("trend", { ...draft.trend, series: next });
  const change = (index: number, part: Partial<SeriesDraft>) => setSeries(series.map((other, at) => (at === index ? { ...other, ...part } : other)));
  return (
    <Section title="Series" hint="Up to 10 lines; leave the event empty to count every event.">
      <ol className="space-y-2">
        {series.map((item, index) => (
          <li key={index} className="space-y-2">
            <div className="flex flex-wrap items-center gap-2">
              <span className="flex h-6 w-6 items-center justify-center rounded-full bg-primary/10 text-xs font-medium text-primary">
                {seriesLetter(index)}
              </span>
              <SuggestInput
                aria-label={`Series ${index + 1} event`}
                className="w-56"
                placeholder="All events"
                options={eventNames}
                value={item.event}
                onValueChange={(event) => change(index, { event })}
              />
              <AggregationPicker
                label={`Series ${index + 1} measure`}
                value={item.aggregation}
                fields={fields}
                onChange={(aggregation) => change(index, { aggregation })}
              />
              <LabelInput name={`Series ${index + 1}`} placeholder="Label (optional)" value={item.label} onChange={(label) => change(index, { label })} />
              {item.filters.length === 0 ? <AddRowFilter name={`Series ${index + 1}`} onAdd={(filters) => change(index, { filters })} /> : null}
              {series.length > 1 ? (
                <RemoveRowButton label={`Remove series ${index + 1}`} onClick={() => setSeries(series.filter((_, at) => at !== index))} />
              ) : null}
            </div>
            {item.filters.length > 0 ? (
              <RowFilters name={`Series ${index + 1}`} value={item.filters} fields={fields} onChange={(filters) => change(index, { filters })} />
            ) : null}
          </li>
        ))}
      </ol>
      <AddRowButton disabled={series.length >= 10} onClick={() => setSeries([...series, emptySeries()])}>
        Add series
      </AddRowButton>
    </Section>
  );
}

function FunnelFields({ draft, patch, eventNames, fields }: { draft: BuilderDraft; patch: Patch; eventNames: string[]; fields: string[] }) {
  const funnel = draft.funnel;
  const steps = funnel.steps;
  const setSteps = (next: FunnelStepDraft[]) => patch("funnel", { ...funnel, steps: next });
  const change = (index: number, part: Partial<FunnelStepDraft>) => setSteps(steps.map((other, at) => (at === index ? { ...other, ...part } : other)));
  const move = (index: number, by: number) => {
    const next = [...steps];
    const [step] = next.splice(index, 1);
    next.splice(index + by, 0, step ?? emptyStep());
    setSteps(next);
  };
  const windowId = useId();
  return (
    <>
      <Section title="Steps" hint="2 to 20 events, in the order a profile must do them.">
        <ol className="space-y-2">
          {steps.map((step, index) => (
            <li key={index} className="space-y-2">
              <div className="flex flex-wrap items-center gap-2">
                <span className="flex h-6 w-6 items-center justify-center rounded-full bg-primary/10 text-xs font-medium text-primary">{index + 1}</span>
                <SuggestInput
                  aria-label={`Step ${index + 1} event`}
                  className="w-56"
                  placeholder="event name"
                  options={eventNames}
                  value={step.event}
                  onValueChange={(event) => change(index, { event })}
                />
                <LabelInput name={`Step ${index + 1}`} placeholder="Label (optional)" value={step.label} onChange={(label) => change(index, { label })} />
                {step.filters.length === 0 ? <AddRowFilter name={`Step ${index + 1}`} onAdd={(filters) => change(index, { filters })} /> : null}
                <PlainButton
                  type="button"
                  variant="ghost"
                  size="icon"
                  className="h-8 w-8"
                  aria-label={`Move step ${index + 1} up`}
                  disabled={index === 0}
                  onClick={() => move(index, -1)}
                >
                  <ArrowUp className="h-4 w-4" aria-hidden="true" />
                </PlainButton>
                <PlainButton
                  type="button"
                  variant="ghost"
                  size="icon"
                  className="h-8 w-8"
                  aria-label={`Move step ${index + 1} down`}
                  disabled={index === steps.length - 1}
                  onClick={() => move(index, 1)}
                >
                  <ArrowDown className="h-4 w-4" aria-hidden="true" />
                </PlainButton>
                {steps.length > 2 ? (
                  <RemoveRowButton label={`Remove step ${index + 1}`} onClick={() => setSteps(steps.filter((_, at) => at !== index))} />
                ) : null}
              </div>
              {step.filters.length > 0 ? (
                <RowFilters name={`Step ${index + 1}`} value={step.filters} fields={fields} onChange={(filters) => change(index, { filters })} />
              ) : null}
            </li>
          ))}
        </ol>
        <AddRowButton disabled={steps.length >= 20} onClick={() => setSteps([...steps, emptyStep()])}>
          Add step
        </AddRowButton>
      </Section>
      <div className="flex flex-wrap gap-6">
        <Section title="Conversion window">
          <div className="flex items-center gap-2">
            <Input
              id={windowId}
              aria-label="Conversion window"
              className="w-20"
              inputMode="numeric"
              value={funnel.windowValue}
              onChange={(event) => patch("funnel", { ...funnel, windowValue: event.target.value })}
            />
            <Select
              aria-label="Conversion window unit"
              className="w-28"
              value={funnel.windowUnit}
              onChange={(event) => patch("funnel", { ...funnel, windowUnit: event.target.value as WindowUnit })}
            >
              {Object.keys(WINDOW_UNITS).map((unit) => (
                <option key={unit} value={unit}>
                  {unit}
                </option>
              ))}
            </Select>
          </div>
        </Section>
        <Section title="Breakdown" hint="Optional">
          <SuggestInput
            aria-label="Breakdown property"
            className="w-56"
            placeholder="e.g. browser"
            options={fields}
            value={funnel.breakdown}
            onValueChange={(breakdown) => patch("funnel", { ...funnel, breakdown })}
          />
        </Section>
      </div>
    </>
  );
}

function SegmentFields({ draft, patch, eventNames, fields }: { draft: BuilderDraft; patch: Patch; eventNames: string[]; fields: string[] }) {
  const segment = draft.segment;
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Event">
        <SuggestInput
          aria-label="Segment event"
          className="w-56"
          placeholder="All events"
          options={eventNames}
          value={segment.event}
          onValueChange={(event) => patch("segment", { ...segment, event })}
        />
      </Section>
      <Section title="Measure">
        <AggregationPicker value={segment.aggregation} fields={fields} onChange={(aggregation) => patch("segment", { ...segment, aggregation })} />
      </Section>
      <Section title="Break down by">
        <SuggestInput
          aria-label="Break down by"
          className="w-56"
          options={fields}
          value={segment.breakdown}
          onValueChange={(breakdown) => patch("segment", { ...segment, breakdown })}
        />
      </Section>
      <Section title="Top">
        <Input
          aria-label="Top N"
          className="w-20"
          inputMode="numeric"
          value={segment.topN}
          onChange={(event) => patch("segment", { ...segment, topN: event.target.value })}
        />
      </Section>
    </div>
  );
}

function RetentionFields({ draft, patch, eventNames }: { draft: BuilderDraft; patch: Patch; eventNames: string[] }) {
  const retention = draft.retention;
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Cohort event" hint="Empty: first event of any kind">
        <SuggestInput
          aria-label="Cohort event"
          className="w-56"
          placeholder="Any event"
          options={eventNames}
          value={retention.cohortEvent}
          onValueChange={(cohortEvent) => patch("retention", { ...retention, cohortEvent })}
        />
      </Section>
      <Section title="Return event" hint="Empty: any event">
        <SuggestInput
          aria-label="Return event"
          className="w-56"
          placeholder="Any event"
          options={eventNames}
          value={retention.returnEvent}
          onValueChange={(returnEvent) => patch("retention", { ...retention, returnEvent })}
        />
      </Section>
      <Section title="Periods">
        <div className="flex items-center gap-2">
          <Input
            aria-label="Number of periods"
            className="w-20"
            inputMode="numeric"
            value={retention.periods}
            onChange={(event) => patch("retention", { ...retention, periods: event.target.value })}
          />
          <Select
            aria-label="Period"
            className="w-28"
            value={retention.interval}
            onChange={(event) => patch("retention", { ...retention, interval: event.target.value === "week" ? "week" : "day" })}
          >
            <option value="day">days</option>
            <option value="week">weeks</option>
          </Select>
        </div>
      </Section>
    </div>
  );
}

function QueryFields({ draft, patch, eventNames, fields }: { draft: BuilderDraft; patch: Patch; eventNames: string[]; fields: string[] }) {
  const query = draft.query;
  return (
    <div className="flex flex-wrap gap-6">
      <Section title="Events" hint="Comma-separated; empty: all">
        <SuggestInput
          aria-label="Events"
          className="w-64"
          placeholder="All events"
          options={eventNames}
          value={query.events}
          onValueChange={(events) => patch("query", { ...query, events })}
        />
      </Section>
      <Section title="Measure">
        <AggregationPicker value={query.aggregation} fields={fields} onChange={(aggregation) => patch("query", { ...query, aggregation })} />
      </Section>
      <Section title="Group by" hint="Up to two">
        <div className="flex gap-2">
          {[0, 1].map((index) => (
            <SuggestInput
              key={index}
              aria-label={`Group by ${index + 1}`}
              className="w-44"
              placeholder={index === 0 ? "event_name" : "(none)"}
              options={fields}
              value={query.groupBy[index as 0 | 1]}
              onValueChange={(field) => {
                const groupBy: [string, string] = [...query.groupBy];
                groupBy[index as 0 | 1] = field;
                patch("query", { ...query, groupBy });
              }}
            />
          ))}
        </div>
      </Section>
      <Section title="Rows">
        <Input
          aria-label="Row limit"
          className="w-20"
          inputMode="numeric"
          value={query.limit}
          onChange={(event) => patch("query", { ...query, limit: event.target.value })}
        />
      </Section>
    </div>
  );
}

function RemoveRowButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <PlainButton type="button" variant="ghost" size="icon" className="h-8 w-8" aria-label={label} onClick={onClick}>
      <X className="h-4 w-4" aria-hidden="true" />
    </PlainButton>
  );
}

function AddRowButton({ disabled, onClick, children }: { disabled: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <PlainButton type="button" variant="ghost" size="sm" className="text-muted-foreground" disabled={disabled} onClick={onClick}>
      <Plus className="h-3.5 w-3.5" aria-hidden="true" />
      {children}
    </PlainButton>
  );
}
