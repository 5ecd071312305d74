"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { errorMessage } from "~/components/form-errors";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { useTRPC } from "~/trpc/react";

export function ArchivedBanner({ projectId, canUnarchive }: { projectId: string; canUnarchive: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const unarchive = useMutation(
    trpc.projects.unarchive.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
        router.refresh();
      },
    }),
  );
  const problem = errorMessage(unarchive.error);
  return (
    <Alert variant="warning" className="flex flex-wrap items-center justify-between gap-3">
      <div>
        <AlertTitle>This project is archived</AlertTitle>
        <AlertDescription>
          It is hidden from the project list. {canUnarchive ? "Unarchive it to use it again." : "An admin can unarchive it."}
          {problem ? (
            <span role="alert" className="block text-destructive">
              {problem}
            </span>
          ) : null}
        </AlertDescription>
      </div>
      {canUnarchive ? (
        <Button variant="outline" size="sm" disabled={unarchive.isPending} onClick={() => unarchive.mutate({ projectId })}>
          {unarchive.isPending ? "Unarchiving…" : "Unarchive project"}
        </Button>
      ) : null}
    </Alert>
  );
}
