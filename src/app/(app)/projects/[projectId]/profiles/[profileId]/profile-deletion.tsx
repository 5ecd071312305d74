"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { formatNumber } from "~/components/reports/report-model";
import { useTRPC } from "~/trpc/react";

/**
 * Admins: "Delete profile…" (GDPR), confirmed by typing the id, then one line of progress while the
 * worker runs the job. When it is done the profile's queries are refreshed, and show it gone.
 */
export function ProfileDeletion({ projectId, profileId }: { projectId: string; profileId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [deletionId, setDeletionId] = useState<string | null>(null);
  const start = useMutation(
    trpc.profiles.delete.mutationOptions({
      onSuccess: ({ deletionId: id }) => {
        setConfirming(false);
        setDeletionId(id);
      },
    }),
  );
  const job = useQuery({
    ...trpc.profiles.deletion.queryOptions({ projectId, deletionId: deletionId ?? "" }),
    enabled: deletionId !== null,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      if (status === "done") {
        void queryClient.invalidateQueries({ queryKey: trpc.profiles.get.queryKey({ projectId, profileId }) });
        void queryClient.invalidateQueries({ queryKey: ["profiles.timeline", projectId, profileId] });
        return false;
      }
      return status === "failed" ? false : 1000;
    },
  });

  return (
    <div className="flex flex-wrap items-center gap-3">
      {job.data ? <DeletionProgress view={job.data} /> : null}
      <Button type="button" variant="outline" size="sm" onClick={() => setConfirming(true)} disabled={job.data !== undefined && job.data.status !== "failed"}>
        Delete profile…
      </Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title="Delete this profile?"
        description="Removes the profile and every id merged with it, their history and events, its firings and their webhook payloads, its dead letters and its rule state, for good. The audit keeps who deleted it and when, not the id. Events that arrive for this id afterwards start a new profile."
        confirmLabel="Delete profile"
        pendingLabel="Starting…"
        pending={start.isPending}
        error={errorMessage(start.error)}
        requireText={profileId}
        onConfirm={() => start.mutate({ projectId, profileId })}
      />
    </div>
  );
}

function DeletionProgress({ view }: { view: { status: string; stepsDone: number; steps: unknown[]; removed: number; error: string | null } }) {
  const text =
    view.status === "done"
      ? `Deleted: ${formatNumber(view.removed)} rows removed.`
      : view.status === "failed"
        ? `Deletion failed: ${view.error ?? "unknown error"}. Delete again to retry.`
        : view.status === "pending"
          ? "Deletion queued…"
          : `Deleting… ${view.stepsDone} of ${view.steps.length} places cleared, ${formatNumber(view.removed)} rows so far.`;
  return (
    <p role="status" className={view.status === "failed" ? "text-sm text-destructive" : "text-sm text-muted-foreground"} data-testid="profile-deletion-status">
      {text}
    </p>
  );
}
