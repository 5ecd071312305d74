"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { DateTime } from "~/components/date-time";
import { EnabledEditDelete } from "~/components/enabled-edit-delete";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";
import { describeAction } from "../triggers/action-drafts";
import { useWebhookEndpointUrls } from "../triggers/endpoint-urls";
import { AlertForm, type AlertableReport } from "./alert-form";
import { AlertHistory, describeCondition, StateBadge } from "./alert-parts";

type MetricAlert = RouterOutputs["alerts"]["list"][number];

/** The project's saved trend reports, as alert targets. */
function useTrendReports(projectId: string, only: AlertableReport | undefined): AlertableReport[] | undefined {
  const trpc = useTRPC();
  const saved = useQuery({ ...trpc.savedReports.list.queryOptions({ projectId }), enabled: !only });
  return useMemo(() => {
    if (only) return [only];
    return saved.data?.flatMap((row) =>
      row.spec?.kind === "trend"
        ? [{ id: row.id, name: row.name, series: row.spec.definition.series.map((series) => series.label ?? series.event ?? "All events") }]
        : [],
    );
  }, [only, saved.data]);
}

/**
 * Metric alerts: one report's (on its page, `report` given) or the whole project's. Each shows its
 * state, its condition and actions, and opens its history.
 */
export function AlertsPanel({ projectId, role, report }: { projectId: string; role: RoleName; report?: AlertableReport }) {
  const trpc = useTRPC();
  const alerts = useQuery(trpc.alerts.list.queryOptions({ projectId, ...(report ? { reportId: report.id } : {}) }, { refetchInterval: 30_000 }));
  const reports = useTrendReports(projectId, report);
  const endpointUrls = useWebhookEndpointUrls(projectId);
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const canEdit = atLeast(role, "member");
  const noReports = reports !== undefined && reports.length === 0;

  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Alerts</h2>
          </CardTitle>
          <CardDescription>
            {report
              ? "Watch a series of this report: a threshold, or values unusual against the recent median."
              : "Threshold and anomaly alerts on saved trend reports, judged on each complete period."}
          </CardDescription>
        </div>
        {canEdit && editing !== "new" && !noReports ? (
          <Button onClick={() => setEditing("new")} disabled={!reports}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            New alert
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-4">
        {!canEdit ? (
          <Alert variant="info">
            <AlertDescription>Viewers can see alerts; creating and editing them needs the member role.</AlertDescription>
          </Alert>
        ) : null}
        {editing === "new" && reports ? (
          <AlertForm projectId={projectId} reports={reports} defaultReportId={report?.id} onDone={() => setEditing(null)} />
        ) : null}
        <QueryState
          query={alerts}
          isEmpty={(data) => data.length === 0 && editing !== "new"}
          empty={
            <EmptyState
              title="No alerts yet"
              description={
                noReports ? (
                  <>
                    Alerts watch a saved trend report.{" "}
                    <Link href={`/projects/${projectId}/reports`} className="underline underline-offset-4">
                      Build and save a trend
                    </Link>{" "}
                    first.
                  </>
                ) : canEdit ? (
                  "Create an alert to be told when a number crosses a line or leaves its usual range."
                ) : (
                  "A member of the organisation can create one."
                )
              }
            />
          }
        >
          {(data) => (
            <ul className="space-y-4">
              {data.map((alert) => (
                <li key={alert.id}>
                  {editing === alert.id && reports ? (
                    <AlertForm projectId={projectId} reports={reports} existing={alert} onDone={() => setEditing(null)} />
                  ) : (
                    <AlertCard
                      projectId={projectId}
                      alert={alert}
                      showReport={!report}
                      endpointUrls={endpointUrls}
                      canEdit={canEdit}
                      onEdit={() => setEditing(alert.id)}
                    />
                  )}
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function AlertCard({
  projectId,
  alert,
  showReport,
  endpointUrls,
  canEdit,
  onEdit,
}: {
  projectId: string;
  alert: MetricAlert;
  showReport: boolean;
  endpointUrls: ReadonlyMap<string, string>;
  canEdit: boolean;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.list.pathKey() });
  const setEnabled = useMutation(trpc.alerts.setEnabled.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(
    trpc.alerts.delete.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await invalidate();
      },
    }),
  );
  const [pendingEnabled, setPendingEnabled] = useState<boolean | null>(null);
  const enabled = pendingEnabled ?? alert.enabled;
  const headingId = `alert-${alert.id}`;
  const switchId = `alert-enabled-${alert.id}`;
  const toggleError = errorMessage(setEnabled.error);

  return (
    <section aria-labelledby={headingId} className="space-y-3 rounded-lg border p-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={headingId} className="break-words font-semibold">
              {alert.name}
            </h3>
            {alert.lastEvaluatedPeriod ? <StateBadge state={alert.state} /> : <Badge variant="outline">not evaluated yet</Badge>}
            {alert.enabled ? null : <Badge variant="secondary">disabled</Badge>}
          </div>
          <p className="text-sm">
            {showReport ? (
              <>
                <Link href={`/projects/${projectId}/reports?report=${encodeURIComponent(alert.reportId)}`} className="underline underline-offset-4">
                  {alert.reportName}
                </Link>{" "}
                · series {alert.seriesIndex + 1} ·{" "}
              </>
            ) : (
              <>Series {alert.seriesIndex + 1} · </>
            )}
            {describeCondition(alert.config, alert.interval)}
          </p>
          <p className="text-xs text-muted-foreground">
            Every {alert.interval} · last judged period {alert.lastEvaluatedPeriod ? <DateTime value={alert.lastEvaluatedPeriod} /> : <span>none yet</span>}
          </p>
        </div>
        {canEdit ? (
          <EnabledEditDelete
            id={switchId}
            name={alert.name}
            enabled={enabled}
            busy={setEnabled.isPending}
            onEnabledChange={(next) => {
              setPendingEnabled(next);
              setEnabled.mutate({ projectId, alertId: alert.id, enabled: next }, { onSettled: () => setPendingEnabled(null) });
            }}
            onEdit={onEdit}
            onDelete={() => setConfirming(true)}
          />
        ) : null}
      </div>
      {toggleError ? (
        <p role="alert" className="text-sm text-destructive">
          {toggleError}
        </p>
      ) : null}
      {alert.actions.length === 0 ? (
        <p className="text-sm text-muted-foreground">No actions: the alert only records its state.</p>
      ) : (
        <ul className="space-y-1 text-sm" aria-label={`Actions of ${alert.name}`}>
          {alert.actions.map((action, index) => (
            <li key={index} className="flex min-w-0 items-center gap-2">
              <Badge variant="secondary">{action.type}</Badge>
              <span className="truncate">{describeAction(action, endpointUrls)}</span>
            </li>
          ))}
        </ul>
      )}
      <Button type="button" variant="ghost" size="sm" aria-expanded={showHistory} onClick={() => setShowHistory((shown) => !shown)}>
        {showHistory ? "Hide history" : "Show history"}
      </Button>
      {showHistory ? <AlertHistory projectId={projectId} alertId={alert.id} alertName={alert.name} /> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={(open) => {
          setConfirming(open);
          if (!open) remove.reset();
        }}
        title={`Delete the alert “${alert.name}”?`}
        description="It stops being evaluated and its history is deleted. This cannot be undone."
        confirmLabel="Delete alert"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={errorMessage(remove.error)}
        onConfirm={() => remove.mutate({ projectId, alertId: alert.id })}
      />
    </section>
  );
}
