"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { z } from "zod";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { errorMessage, errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { displayNameSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";

const renameInput = z.strictObject({ name: displayNameSchema });

/** Owners only: rename the organisation, or delete it with everything in it. */
export function OrgSettingsPanel({ orgId, name }: { orgId: string; name: string }) {
  return (
    <div className="space-y-6">
      <RenameOrganizationCard orgId={orgId} name={name} />
      <DeleteOrganizationCard orgId={orgId} name={name} />
    </div>
  );
}

function RenameOrganizationCard({ orgId, name }: { orgId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const form = useZodForm(renameInput, { defaultValues: { name } });
  const rename = useMutation(
    trpc.organizations.rename.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() });
        router.refresh();
      },
    }),
  );
  const server = errorsFromServer(rename.error);

  const onSubmit = form.handleSubmit((values) => rename.mutate({ orgId, ...values }));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Organisation settings</h2>
        </CardTitle>
        <CardDescription>Only owners can rename or delete the organisation.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <Field control={form.control} name="name" id="org-name" label="Organisation name" className="flex-1" serverError={server.fields.name}>
            {(control) => <Input {...control} defaultValue={name} />}
          </Field>
          <Button type="submit" className="sm:mt-6" disabled={rename.isPending}>
            {rename.isPending ? "Saving…" : "Rename organisation"}
          </Button>
        </form>
        <div className="mt-3 space-y-2">
          <FormError messages={[server.form]} />
          {rename.isSuccess && !rename.isPending ? (
            <p role="status" className="text-sm text-emerald-700">
              Renamed to {rename.data.name}.
            </p>
          ) : null}
        </div>
      </CardContent>
    </Card>
  );
}

function DeleteOrganizationCard({ orgId, name }: { orgId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const remove = useMutation(
    trpc.organizations.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() });
        router.push("/projects");
        router.refresh();
      },
    }),
  );
  return (
    <Card className="border-destructive/40">
      <CardHeader>
        <CardTitle>
          <h2 className="text-destructive">Delete organisation</h2>
        </CardTitle>
        <CardDescription>
          Deletes the organisation, all its projects, API keys, tracking plans, triggers and memberships. This cannot be undone.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <Button variant="destructive" onClick={() => setOpen(true)}>
          Delete organisation
        </Button>
        <ConfirmDialog
          open={open}
          onOpenChange={(next) => {
            setOpen(next);
            if (!next) remove.reset();
          }}
          title={`Delete ${name}?`}
          description="Everything in this organisation is deleted for good."
          requireText={name}
          confirmLabel="Delete organisation"
          pendingLabel="Deleting…"
          pending={remove.isPending || remove.isSuccess}
          error={errorMessage(remove.error)}
          onConfirm={() => remove.mutate({ orgId, confirmName: name })}
        />
      </CardContent>
    </Card>
  );
}
