"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { useTRPC } from "~/trpc/react";

export function AcceptInviteButton({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const accept = useMutation(
    trpc.invites.accept.mutationOptions({
      onSuccess: async (result) => {
        await queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() });
        router.push(`/orgs/${result.organizationId}`);
        router.refresh();
      },
    }),
  );
  const message = errorMessage(accept.error);
  return (
    <div className="space-y-3">
      {message ? (
        <p role="alert" className="text-sm text-destructive">
          {message}
        </p>
      ) : null}
      <Button className="w-full" disabled={accept.isPending || accept.isSuccess} onClick={() => accept.mutate({ token })}>
        {accept.isPending ? "Accepting…" : accept.isSuccess ? "Opening organisation…" : "Accept invite"}
      </Button>
    </div>
  );
}
