"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { DateTime } from "~/components/date-time";
import { EnabledEditDelete } from "~/components/enabled-edit-delete";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { QueryState } from "~/components/query-state";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";
import { describeAction } from "./action-drafts";
import { useWebhookEndpointUrls } from "./endpoint-urls";
import { RecentFirings } from "./recent-firings";
import { TriggerForm } from "./trigger-form";

type Trigger = RouterOutputs["triggers"]["list"][number];

export function TriggersPanel({ projectId, role }: { projectId: string; role: RoleName }) {
  const trpc = useTRPC();
  const triggers = useQuery(trpc.triggers.list.queryOptions({ projectId }));
  // Polled like the firing log, so the collapsed summary keeps up with new firings.
  const firingsToday = useQuery(trpc.reports.firingsToday.queryOptions({ projectId }, { refetchInterval: 10_000, retry: 1 }));
  const endpointUrls = useWebhookEndpointUrls(projectId);
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const canEdit = atLeast(role, "member");

  return (
    <Card>
      <CardHeader className="flex-row items-start justify-between gap-4 space-y-0">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Triggers</h2>
          </CardTitle>
          <CardDescription>Rules evaluated on every event; when one matches, its actions run.</CardDescription>
        </div>
        {canEdit && editing !== "new" ? (
          <Button onClick={() => setEditing("new")}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            New trigger
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-4">
        {!canEdit ? (
          <Alert variant="info">
            <AlertDescription>Viewers can see triggers; creating and editing them needs the member role.</AlertDescription>
          </Alert>
        ) : null}
        {editing === "new" ? <TriggerForm projectId={projectId} onDone={() => setEditing(null)} /> : null}
        <QueryState
          query={triggers}
          isEmpty={(data) => data.length === 0 && editing !== "new"}
          empty={
            <EmptyState
              title="No triggers yet"
              description={
                canEdit
                  ? "Create a trigger to notify your team, call a webhook or tag profiles when an event matches a rule."
                  : "A member of the organisation can create one."
              }
            />
          }
        >
          {(data) => (
            <ul className="space-y-4">
              {data.map((trigger) => (
                <li key={trigger.id}>
                  {editing === trigger.id ? (
                    <TriggerForm projectId={projectId} existing={trigger} onDone={() => setEditing(null)} />
                  ) : (
                    <TriggerCard
                      projectId={projectId}
                      trigger={trigger}
                      firingsToday={firingsToday.data ? (firingsToday.data[trigger.id] ?? 0) : null}
                      endpointUrls={endpointUrls}
                      canEdit={canEdit}
                      onEdit={() => setEditing(trigger.id)}
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

interface TriggerCardProps {
  projectId: string;
  trigger: Trigger;
  /** Null while loading or when the query service cannot answer. */
  firingsToday: number | null;
  endpointUrls: ReadonlyMap<string, string>;
  canEdit: boolean;
  onEdit: () => void;
}

function TriggerCard({ projectId, trigger, firingsToday, endpointUrls, canEdit, onEdit }: TriggerCardProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const listKey = trpc.triggers.list.queryKey({ projectId });
  const setEnabled = useMutation(trpc.triggers.setEnabled.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: listKey }) }));
  const remove = useMutation(
    trpc.triggers.delete.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await queryClient.invalidateQueries({ queryKey: listKey });
      },
    }),
  );
  // Set synchronously on change, so the switch flips at once; cleared when the list has been refetched.
  const [pendingEnabled, setPendingEnabled] = useState<boolean | null>(null);
  const enabled = pendingEnabled ?? trigger.enabled;
  const toggleError = errorMessage(setEnabled.error);
  const headingId = `trigger-${trigger.id}`;
  const switchId = `trigger-enabled-${trigger.id}`;

  return (
    <section aria-labelledby={headingId} className="space-y-3 rounded-lg border p-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={headingId} className="font-semibold">
              {trigger.name}
            </h3>
            {trigger.enabled ? <Badge variant="success">enabled</Badge> : <Badge variant="secondary">disabled</Badge>}
            <Badge variant="outline">v{trigger.version}</Badge>
          </div>
          <p className="text-xs text-muted-foreground">
            Cooldown {trigger.cooldownSeconds > 0 ? `${trigger.cooldownSeconds} s` : "none"} · updated <DateTime value={trigger.updatedAt} />
          </p>
        </div>
        {canEdit ? (
          <EnabledEditDelete
            id={switchId}
            name={trigger.name}
            enabled={enabled}
            busy={setEnabled.isPending}
            onEnabledChange={(next) => {
              setPendingEnabled(next);
              setEnabled.mutate({ projectId, triggerId: trigger.id, enabled: next }, { onSettled: () => setPendingEnabled(null) });
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
      <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-md bg-muted px-3 py-2 font-mono text-xs">{trigger.rule}</pre>
      {trigger.ruleProblems.length > 0 ? (
        <Alert variant="destructive">
          <AlertDescription>
            This rule no longer checks against the tracking plan, so the worker skips it: {trigger.ruleProblems.map((problem) => problem.message).join("; ")}.
          </AlertDescription>
        </Alert>
      ) : null}
      {trigger.actions.length === 0 ? (
        <p className="text-sm text-muted-foreground">No actions.</p>
      ) : (
        <ul className="space-y-1 text-sm" aria-label={`Actions of ${trigger.name}`}>
          {trigger.actions.map((action, index) => (
            <li key={index} className="flex items-center gap-2">
              <Badge variant="secondary">{action.type}</Badge>
              <span className="truncate">{describeAction(action, endpointUrls)}</span>
            </li>
          ))}
        </ul>
      )}
      <RecentFirings projectId={projectId} triggerId={trigger.id} triggerName={trigger.name} firingsToday={firingsToday} />
      <ConfirmDialog
        open={confirming}
        onOpenChange={(open) => {
          setConfirming(open);
          if (!open) remove.reset();
        }}
        title={`Delete the trigger “${trigger.name}”?`}
        description="It stops firing right away. This cannot be undone."
        confirmLabel="Delete trigger"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={errorMessage(remove.error)}
        onConfirm={() => remove.mutate({ projectId, triggerId: trigger.id })}
      />
    </section>
  );
}
