"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LayoutDashboard, Save } from "lucide-react";
import { useRouter } from "next/navigation";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { ExportButtons } from "~/components/reports/export-buttons";
import { ReportFreshness } from "~/components/reports/report-freshness";
import { REPORT_KIND_LABELS } from "~/components/reports/report-model";
import { ReportView } from "~/components/reports/report-view";
import type { SavedReport } from "~/components/reports/save-report-dialog";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import type { ReportKind, ReportSpec } from "~/core/reports";
import { useTRPC } from "~/trpc/react";

/** Saving changes to a saved report, and pinning it to the dashboard; `onDone` gets the line to show. */
function useSavedReportMutations(onDone: (notice: string) => void) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.savedReports.list.pathKey() });
  const update = useMutation(
    trpc.savedReports.update.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone("Changes saved.");
        router.refresh();
      },
    }),
  );
  const pin = useMutation(
    trpc.savedReports.setOnDashboard.mutationOptions({
      onSuccess: async (answer) => {
        await invalidate();
        onDone(answer.onDashboard ? "Added to the dashboard." : "Removed from the dashboard.");
        router.refresh();
      },
    }),
  );
  return { update, pin };
}

type Mutations = ReturnType<typeof useSavedReportMutations>;

/** The lower card: the report run on the settled spec, its export and save actions. */
export function ReportResult({
  projectId,
  timezone,
  kind,
  saved,
  current,
  applied,
  canSave,
  notice,
  onNotice,
  onSave,
}: {
  projectId: string;
  timezone: string;
  kind: ReportKind;
  saved: SavedReport | null;
  /** The spec as the settings stand now, if they are valid. */
  current: ReportSpec | null;
  /** The spec the result shows: `current` once it stopped changing. */
  applied: ReportSpec | null;
  canSave: boolean;
  notice: string | null;
  onNotice: (notice: string) => void;
  /** Opens the save dialog. */
  onSave: (onDashboard: boolean) => void;
}) {
  const mutations = useSavedReportMutations(onNotice);
  const failure = errorMessage(mutations.update.error ?? mutations.pin.error);
  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-3 space-y-0 pb-4">
        <div className="flex items-center gap-2">
          <CardTitle>
            <h2>Result</h2>
          </CardTitle>
          <Badge variant="secondary">{REPORT_KIND_LABELS[kind]}</Badge>
          {saved?.onDashboard ? <Badge variant="default">On dashboard</Badge> : null}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {notice ? (
            <span role="status" className="text-xs text-muted-foreground">
              {notice}
            </span>
          ) : null}
          {applied ? <ReportFreshness projectId={projectId} spec={applied} /> : null}
          <ExportButtons projectId={projectId} source={applied ? { kind: "report", report: applied } : null} />
          {canSave ? <SaveActions projectId={projectId} saved={saved} current={current} mutations={mutations} onSave={onSave} /> : null}
        </div>
      </CardHeader>
      <CardContent>
        {failure ? (
          <Alert variant="destructive" className="mb-4">
            {failure}
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
  );
}

/**
 * A new report: save, or save onto the dashboard. A saved one: save its changes (or pin it, when
 * unchanged and not pinned yet), or save it as a new report.
 */
function SaveActions({
  projectId,
  saved,
  current,
  mutations: { update, pin },
  onSave,
}: {
  projectId: string;
  saved: SavedReport | null;
  current: ReportSpec | null;
  mutations: Mutations;
  onSave: (onDashboard: boolean) => void;
}) {
  const changedSinceSave = saved?.spec ? JSON.stringify(saved.spec) !== JSON.stringify(current) : true;
  return (
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
        <Button size="sm" variant="outline" disabled={!current} onClick={() => onSave(true)}>
          <LayoutDashboard className="h-3.5 w-3.5" aria-hidden="true" />
          Add to dashboard
        </Button>
      ) : null}
      <Button size="sm" disabled={!current} onClick={() => onSave(false)}>
        <Save className="h-3.5 w-3.5" aria-hidden="true" />
        {saved ? "Save as new" : "Save"}
      </Button>
    </>
  );
}
