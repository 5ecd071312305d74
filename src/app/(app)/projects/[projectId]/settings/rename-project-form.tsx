"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { z } from "zod";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { projectNameSchema } from "~/core/projects";
import { useTRPC } from "~/trpc/react";

const renameInput = z.strictObject({ name: projectNameSchema });

export function RenameProjectForm({ projectId, name, canEdit }: { projectId: string; name: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const form = useZodForm(renameInput, { defaultValues: { name } });
  const rename = useMutation(
    trpc.projects.rename.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
        router.refresh();
      },
    }),
  );
  const server = errorsFromServer(rename.error);

  const onSubmit = form.handleSubmit((values) => rename.mutate({ projectId, ...values }));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Name</h2>
        </CardTitle>
        <CardDescription>Unique within the organisation.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-3">
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <Field control={form.control} name="name" id="project-name" label="Project name" className="flex-1" serverError={server.fields.name}>
            {(control) => <Input {...control} defaultValue={name} disabled={!canEdit} />}
          </Field>
          {canEdit ? (
            <Button type="submit" className="sm:mt-6" disabled={rename.isPending}>
              {rename.isPending ? "Saving…" : "Rename project"}
            </Button>
          ) : null}
        </form>
        <FormError messages={[server.form]} />
        {rename.isSuccess && !rename.isPending ? (
          <p role="status" className="text-sm text-emerald-700">
            Renamed to {rename.data.name}.
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}
