"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId } from "react";
import { z } from "zod";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { displayNameSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";

const input = z.strictObject({ name: displayNameSchema });

/** Creates an organisation (the user becomes owner) and opens it. */
export function CreateOrganizationForm({ onCreated }: { onCreated?: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const form = useZodForm(input, { defaultValues: { name: "" } });
  const create = useMutation(
    trpc.organizations.create.mutationOptions({
      onSuccess: async (organization) => {
        await queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() });
        onCreated?.();
        router.push(`/orgs/${organization.id}`);
        router.refresh();
      },
    }),
  );
  const server = errorsFromServer(create.error);

  const onSubmit = form.handleSubmit((values) => create.mutate(values));

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <Field control={form.control} name="name" id={`${id}-name`} label="Organisation name" serverError={server.fields.name}>
        {(control) => <Input {...control} placeholder="Acme Inc." autoComplete="organization" />}
      </Field>
      <FormError messages={[server.form]} />
      <Button type="submit" disabled={create.isPending || create.isSuccess}>
        {create.isPending ? "Creating…" : "Create organisation"}
      </Button>
    </form>
  );
}
