"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { useTRPC } from "~/trpc/react";

/** Delete, after typing the cohort's key: reports and rules naming it stop matching anyone. */
export function DeleteCohortButton({
  projectId,
  cohort,
  onDeleted,
}: {
  projectId: string;
  cohort: { id: string; key: string; name: string };
  onDeleted?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.cohorts.delete.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        onDeleted?.();
        await queryClient.invalidateQueries({ queryKey: trpc.cohorts.list.queryKey({ projectId }) });
      },
    }),
  );
  return (
    <>
      <Button size="sm" variant="outline" className="text-destructive" aria-label={`Delete ${cohort.name}`} onClick={() => setConfirming(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={(open) => {
          setConfirming(open);
          if (!open) remove.reset();
        }}
        title={`Delete the cohort “${cohort.name}”?`}
        description="Reports filtered or broken down by it will no longer run, and rules using it will stop matching. This cannot be undone."
        confirmLabel="Delete cohort"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={errorMessage(remove.error)}
        requireText={cohort.key}
        onConfirm={() => remove.mutate({ projectId, cohortId: cohort.id })}
      />
    </>
  );
}
