"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { z } from "zod";
import { errorsFromServer, fieldErrorsFromZod, type FieldErrors } from "~/components/form-errors";
import { FormError, FormField } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Input } from "~/components/ui/input";
import { displayNameSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";

const input = z.strictObject({ name: displayNameSchema });

/** Creates an organisation (the user becomes owner) and opens it. */
export function CreateOrganizationForm({ onCreated }: { onCreated?: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
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

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = input.safeParse({ name: String(new FormData(event.currentTarget).get("name") ?? "") });
    if (!parsed.success) {
      setClientErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setClientErrors({});
    create.mutate(parsed.data);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <FormField id={`${id}-name`} label="Organisation name" error={clientErrors.name ?? server.fields.name}>
        {(control) => <Input {...control} name="name" placeholder="Acme Inc." autoComplete="organization" />}
      </FormField>
      <FormError messages={[server.form]} />
      <Button type="submit" disabled={create.isPending || create.isSuccess}>
        {create.isPending ? "Creating…" : "Create organisation"}
      </Button>
    </form>
  );
}
