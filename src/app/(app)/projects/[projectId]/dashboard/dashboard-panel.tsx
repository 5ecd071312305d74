"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, ExternalLink, LayoutDashboard, Plus, Trash2, X } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { KeyNumbers } from "~/components/reports/key-numbers";
import { ReportFreshness } from "~/components/reports/report-freshness";
import { REPORT_KIND_LABELS, rollRange, withRange } from "~/components/reports/report-model";
import { ReportView } from "~/components/reports/report-view";
import type { SavedReport } from "~/components/reports/save-report-dialog";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Skeleton } from "~/components/ui/skeleton";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";

/** The project dashboard: key numbers, then the saved reports pinned to it, each running live. */
export function DashboardPanel({ projectId, timezone, role }: { projectId: string; timezone: string; role: RoleName }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const reports = useQuery(trpc.savedReports.list.queryOptions({ projectId }));
  const canEdit = atLeast(role, "member");
  const [deleting, setDeleting] = useState<SavedReport | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.savedReports.list.pathKey() });
  const pin = useMutation(trpc.savedReports.setOnDashboard.mutationOptions({ onSuccess: invalidate }));
  const reorder = useMutation(trpc.savedReports.reorder.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.savedReports.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await invalidate();
      },
    }),
  );

  const all = useMemo(() => reports.data ?? [], [reports.data]);
  const pinned = all.filter((report) => report.onDashboard);
  const others = all.filter((report) => !report.onDashboard);

  /** Swaps a pinned report with its pinned neighbour; the saved order covers every report of the project. */
  function move(report: SavedReport, by: -1 | 1) {
    const neighbour = pinned[pinned.indexOf(report) + by];
    if (!neighbour) return;
    const order = all.map((row) => row.id);
    const a = order.indexOf(report.id);
    const b = order.indexOf(neighbour.id);
    order[a] = neighbour.id;
    order[b] = report.id;
    reorder.mutate({ projectId, reportIds: order });
  }

  const actionError = errorMessage(pin.error ?? reorder.error);

  return (
    <div className="space-y-6">
      <KeyNumbers projectId={projectId} />
      {actionError ? <Alert variant="destructive">{actionError}</Alert> : null}
      <QueryState
        query={reports}
        loading={
          <div className="grid gap-6 lg:grid-cols-2">
            {[0, 1].map((index) => (
              <Card key={index}>
                <CardHeader>
                  <Skeleton className="h-5 w-40" />
                </CardHeader>
                <CardContent>
                  <Skeleton className="h-[284px] w-full" />
                </CardContent>
              </Card>
            ))}
          </div>
        }
        isEmpty={() => pinned.length === 0}
        empty={
          <EmptyState
            title="Nothing on the dashboard yet"
            description="Build a report, then choose “Add to dashboard”. Pinned reports run every time you open this page."
            action={
              <Link href={`/projects/${projectId}/reports`} className={buttonVariants({ size: "sm" })}>
                <Plus className="h-4 w-4" aria-hidden="true" />
                Build a report
              </Link>
            }
          />
        }
      >
        {() => (
          <ul className="grid grid-cols-1 gap-6 lg:grid-cols-2" aria-label="Dashboard reports">
            {pinned.map((report, index) => {
              // A saved "last 7 days" keeps rolling with the calendar; the tile's chart and its freshness line run this one spec.
              const spec = report.spec ? withRange(report.spec, rollRange(report.spec.definition.range, new Date(report.updatedAt), timezone)) : null;
              return (
                // min-w-0: a grid item is as wide as its widest content by default, and a wide table would push the page sideways.
                <li key={report.id} className="min-w-0">
                  <Card className="h-full min-w-0" data-testid="dashboard-card">
                    <CardHeader className="flex-row items-start justify-between gap-2 space-y-0 pb-3">
                      <div className="min-w-0 space-y-1">
                        <CardTitle className="text-base">
                          {/* Two lines before cutting: on a phone the card's buttons leave little room for one. */}
                          <h2 className="line-clamp-2 break-words" title={report.name}>
                            {report.name}
                          </h2>
                        </CardTitle>
                        <div className="flex flex-wrap items-center gap-x-2">
                          <Badge variant="secondary">{REPORT_KIND_LABELS[report.spec?.kind ?? "query"]}</Badge>
                          {spec ? <ReportFreshness projectId={projectId} spec={spec} /> : null}
                        </div>
                      </div>
                      <div className="flex shrink-0 items-center">
                        <Link
                          href={`/projects/${projectId}/reports?report=${encodeURIComponent(report.id)}`}
                          className={buttonVariants({ variant: "ghost", size: "icon", className: "h-8 w-8" })}
                          aria-label={`Open ${report.name} in the builder`}
                          title="Open in the builder"
                        >
                          <ExternalLink className="h-4 w-4" aria-hidden="true" />
                        </Link>
                        {canEdit ? (
                          <>
                            <Button
                              variant="ghost"
                              size="icon"
                              className="h-8 w-8"
                              aria-label={`Move ${report.name} earlier`}
                              title="Move earlier"
                              disabled={index === 0 || reorder.isPending}
                              onClick={() => move(report, -1)}
                            >
                              <ArrowUp className="h-4 w-4" aria-hidden="true" />
                            </Button>
                            <Button
                              variant="ghost"
                              size="icon"
                              className="h-8 w-8"
                              aria-label={`Move ${report.name} later`}
                              title="Move later"
                              disabled={index === pinned.length - 1 || reorder.isPending}
                              onClick={() => move(report, 1)}
                            >
                              <ArrowDown className="h-4 w-4" aria-hidden="true" />
                            </Button>
                            <Button
                              variant="ghost"
                              size="icon"
                              className="h-8 w-8"
                              aria-label={`Remove ${report.name} from the dashboard`}
                              title="Remove from the dashboard"
                              disabled={pin.isPending}
                              onClick={() => pin.mutate({ projectId, reportId: report.id, onDashboard: false })}
                            >
                              <X className="h-4 w-4" aria-hidden="true" />
                            </Button>
                          </>
                        ) : null}
                      </div>
                    </CardHeader>
                    <CardContent>
                      {spec ? (
                        <ReportView projectId={projectId} spec={spec} timezone={timezone} height={220} compact />
                      ) : (
                        <Alert variant="warning">This report&apos;s stored definition is no longer valid; open it in the builder and save it again.</Alert>
                      )}
                    </CardContent>
                  </Card>
                </li>
              );
            })}
          </ul>
        )}
      </QueryState>
      {others.length > 0 ? (
        <Card>
          <CardHeader>
            <CardTitle>
              <h2>Other saved reports</h2>
            </CardTitle>
            <CardDescription>Saved, but not on the dashboard.</CardDescription>
          </CardHeader>
          <CardContent>
            <ul className="divide-y">
              {others.map((report) => (
                <li key={report.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                  <div className="flex min-w-0 items-center gap-2">
                    <Link
                      href={`/projects/${projectId}/reports?report=${encodeURIComponent(report.id)}`}
                      className="truncate font-medium text-primary underline-offset-4 hover:underline"
                    >
                      {report.name}
                    </Link>
                    <Badge variant="secondary">{REPORT_KIND_LABELS[report.spec?.kind ?? "query"]}</Badge>
                  </div>
                  {canEdit ? (
                    <div className="flex items-center gap-1">
                      <Button
                        size="sm"
                        variant="outline"
                        disabled={pin.isPending}
                        onClick={() => pin.mutate({ projectId, reportId: report.id, onDashboard: true })}
                      >
                        <LayoutDashboard className="h-3.5 w-3.5" aria-hidden="true" />
                        Add to dashboard
                      </Button>
                      <Button size="sm" variant="ghost" className="text-destructive" aria-label={`Delete ${report.name}`} onClick={() => setDeleting(report)}>
                        <Trash2 className="h-3.5 w-3.5" aria-hidden="true" />
                      </Button>
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          </CardContent>
        </Card>
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => {
          if (!open) {
            setDeleting(null);
            remove.reset();
          }
        }}
        title={`Delete the report “${deleting?.name ?? ""}”?`}
        description="The saved report goes away for everyone in the project. Events are not affected."
        confirmLabel="Delete report"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={errorMessage(remove.error)}
        onConfirm={() => deleting && remove.mutate({ projectId, reportId: deleting.id })}
      />
    </div>
  );
}
