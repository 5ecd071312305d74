"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { useTRPC } from "~/trpc/react";

/**
 * Admins: archive the project, or delete it for good. An archived project is unarchived from
 * the banner the project layout shows above every tab.
 */
export function ProjectDangerZone({ projectId, orgId, name, archived }: { projectId: string; orgId: string; name: string; archived: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<"archive" | "delete" | null>(null);

  const invalidateProjects = () => queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
  const archive = useMutation(
    trpc.projects.archive.mutationOptions({
      onSuccess: async () => {
        setConfirming(null);
        await invalidateProjects();
        router.refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.projects.delete.mutationOptions({
      onSuccess: async () => {
        await Promise.all([invalidateProjects(), queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() })]);
        router.push(`/orgs/${orgId}`);
        router.refresh();
      },
    }),
  );

  return (
    <Card className="border-destructive/40">
      <CardHeader>
        <CardTitle>
          <h2 className="text-destructive">Danger zone</h2>
        </CardTitle>
      </CardHeader>
      <CardContent>
        <div className="divide-y">
          {!archived ? (
            <div className="flex flex-wrap items-center justify-between gap-3 py-4 first:pt-0">
              <div className="text-sm">
                <p className="font-medium">Archive this project</p>
                <p className="text-muted-foreground">Hides it from the project list. Its data, keys and settings are kept; you can unarchive it at any time.</p>
              </div>
              <Button variant="outline" onClick={() => setConfirming("archive")}>
                Archive project
              </Button>
            </div>
          ) : null}
          <div className="flex flex-wrap items-center justify-between gap-3 py-4 first:pt-0 last:pb-0">
            <div className="text-sm">
              <p className="font-medium">Delete this project</p>
              <p className="text-muted-foreground">Deletes its API keys, tracking plan, triggers and notifications. This cannot be undone.</p>
            </div>
            <Button variant="destructive" onClick={() => setConfirming("delete")}>
              Delete project
            </Button>
          </div>
        </div>
        <ConfirmDialog
          open={confirming === "archive"}
          onOpenChange={(open) => {
            if (!open) {
              setConfirming(null);
              archive.reset();
            }
          }}
          title={`Archive ${name}?`}
          description="The project is hidden from the project list until you unarchive it."
          confirmLabel="Archive project"
          pendingLabel="Archiving…"
          destructive={false}
          pending={archive.isPending}
          error={errorMessage(archive.error)}
          onConfirm={() => archive.mutate({ projectId })}
        />
        <ConfirmDialog
          open={confirming === "delete"}
          onOpenChange={(open) => {
            if (!open) {
              setConfirming(null);
              remove.reset();
            }
          }}
          title={`Delete ${name}?`}
          description="The project and everything configured in it are deleted for good."
          requireText={name}
          confirmLabel="Delete project"
          pendingLabel="Deleting…"
          pending={remove.isPending || remove.isSuccess}
          error={errorMessage(remove.error)}
          onConfirm={() => remove.mutate({ projectId, confirmName: name })}
        />
      </CardContent>
    </Card>
  );
}
