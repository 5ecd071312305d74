"use client";

import { useQuery } from "@tanstack/react-query";
import { AlertTriangle, SearchX } from "lucide-react";
import type { ReactNode } from "react";
import { errorMessage } from "~/components/form-errors";
import { Skeleton } from "~/components/ui/skeleton";
import type { ReportSpec } from "~/core/reports";
import { useTRPC } from "~/trpc/react";
import { CohortBreakdownTabs, type CohortPart } from "./cohort-breakdown";
import { FunnelChart, PathsChart, QueryTable, RetentionTable, SegmentChart, TrendChart } from "./charts";

interface ViewProps<K extends ReportSpec["kind"]> {
  projectId: string;
  spec: Extract<ReportSpec, { kind: K }>;
  /** Height of the chart area; the skeleton, empty and error states take the same space. */
  height: number;
  /** Dashboard cards: the chart without its detail tables. */
  compact: boolean;
  /** The project's time zone: which day or week is still running. */
  timezone: string;
}

/** Runs a report and draws its result; every state (loading, empty, error) keeps the same height. */
export function ReportView({
  projectId,
  spec,
  timezone,
  height = 300,
  compact = false,
}: {
  projectId: string;
  spec: ReportSpec;
  timezone: string;
  height?: number;
  compact?: boolean;
}) {
  const shared = { projectId, height, compact, timezone };
  switch (spec.kind) {
    case "trend":
      return <TrendView {...shared} spec={spec} />;
    case "funnel":
      return <FunnelView {...shared} spec={spec} />;
    case "segment":
      return <SegmentView {...shared} spec={spec} />;
    case "retention":
      return <RetentionView {...shared} spec={spec} />;
    case "paths":
      return <PathsView {...shared} spec={spec} />;
    case "query":
      return <QueryView {...shared} spec={spec} />;
  }
}

/** Placeholders the size of the result: a line of totals, then the chart area. */
export function ReportSkeleton({ height }: { height: number }) {
  return (
    <div role="status" aria-label="Loading report" className="space-y-4">
      <div className="flex gap-6">
        <Skeleton className="h-12 w-28" />
        <Skeleton className="h-12 w-28" />
      </div>
      <Skeleton className="w-full" style={{ height }} />
    </div>
  );
}

export function ReportMessage({ height, tone, title, children }: { height: number; tone: "empty" | "error"; title: string; children?: ReactNode }) {
  const Icon = tone === "error" ? AlertTriangle : SearchX;
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={
        tone === "error"
          ? "flex flex-col items-center justify-center gap-2 rounded-lg border border-destructive/40 bg-destructive/5 p-6 text-center text-sm"
          : "flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed p-6 text-center text-sm"
      }
      style={{ minHeight: height + 64 }}
    >
      <Icon className={tone === "error" ? "h-6 w-6 text-destructive" : "h-6 w-6 text-muted-foreground"} aria-hidden="true" />
      <p className={tone === "error" ? "font-medium text-destructive" : "font-medium"}>{title}</p>
      {children ? <div className="max-w-md text-muted-foreground">{children}</div> : null}
    </div>
  );
}

function NoEvents({ height }: { height: number }) {
  return (
    <ReportMessage height={height} tone="empty" title="No events match this report">
      Widen the date range, check the event names (they are case-sensitive) or remove a filter. Events sent in the last few seconds may still be on their way.
    </ReportMessage>
  );
}

/**
 * The shared frame of the views: one query's pending, error, empty and success states; a report
 * broken down by cohorts gets a tab per cohort, each drawn by the same chart.
 */
function Frame<R>({
  query,
  height,
  isEmpty,
  children,
}: {
  query: { isPending: boolean; error: unknown; data: (R & { byCohort?: ReadonlyArray<CohortPart<R>> | null }) | undefined };
  height: number;
  isEmpty: (data: R) => boolean;
  children: (data: R) => ReactNode;
}) {
  if (query.isPending) return <ReportSkeleton height={height} />;
  if (query.error || query.data === undefined) {
    return (
      <ReportMessage height={height} tone="error" title="This report could not run">
        {errorMessage(query.error) ?? "Something went wrong; please try again."}
      </ReportMessage>
    );
  }
  const parts = query.data.byCohort;
  if (parts && parts.length > 0) {
    return (
      <div data-testid="report-result">
        <CohortBreakdownTabs whole={query.data} parts={parts} isEmpty={isEmpty} empty={<NoEvents height={height} />}>
          {children}
        </CohortBreakdownTabs>
      </div>
    );
  }
  if (isEmpty(query.data)) return <NoEvents height={height} />;
  return <div data-testid="report-result">{children(query.data)}</div>;
}

// Keeps the last result on screen while a changed report runs, so the page does not jump.
const keep = { placeholderData: <T,>(previous: T | undefined) => previous };

function TrendView({ projectId, spec, height, compact, timezone }: ViewProps<"trend">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.trend.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => data.series.every((series) => series.values.every((value) => !value) && !series.previous?.total)}>
      {(data) => <TrendChart result={data} interval={spec.definition.interval} timezone={timezone} height={height} showTable={!compact} />}
    </Frame>
  );
}

function FunnelView({ projectId, spec, height, compact }: ViewProps<"funnel">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.funnel.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => (data.steps[0]?.count ?? 0) === 0}>
      {(data) => <FunnelChart result={data} interval={spec.definition.interval} height={height} compact={compact} />}
    </Frame>
  );
}

function SegmentView({ projectId, spec, height, compact }: ViewProps<"segment">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.segment.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => data.rows.length === 0}>
      {(data) => <SegmentChart result={data} breakdown={spec.definition.breakdown} height={height} compact={compact} />}
    </Frame>
  );
}

function RetentionView({ projectId, spec, height, timezone }: ViewProps<"retention">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.retention.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => data.cohorts.length === 0}>
      {(data) => <RetentionTable result={data} interval={spec.definition.interval} timezone={timezone} />}
    </Frame>
  );
}

function PathsView({ projectId, spec, height, compact }: ViewProps<"paths">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.paths.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => data.persons === 0}>
      {(data) => <PathsChart result={data} event={spec.definition.event} direction={spec.definition.direction} height={height} compact={compact} />}
    </Frame>
  );
}

function QueryView({ projectId, spec, height }: ViewProps<"query">) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.reports.query.queryOptions({ projectId, definition: spec.definition }), ...keep });
  return (
    <Frame query={query} height={height} isEmpty={(data) => data.rows.length === 0}>
      {(data) => <QueryTable result={data} />}
    </Frame>
  );
}
