"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { BookOpen, KeyRound } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { z } from "zod";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { EmptyState } from "~/components/empty-state";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { ACTIONS_COLUMN, DataTable, QueryState } from "~/components/query-state";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { TableCell, TableRow } from "~/components/ui/table";
import { KeyDetailCells, NewKeyDialog, RevokeKeyButton } from "~/components/api-key-parts";
import { useZodForm } from "~/components/use-zod-form";
import { apiKeyNameSchema } from "~/core/api-keys";
import { useTRPC } from "~/trpc/react";

type OrgKey = RouterOutputs["apiKeys"]["listForOrg"][number];
type CreatedKey = RouterOutputs["apiKeys"]["createForOrg"];

const createInput = z.strictObject({ name: apiKeyNameSchema });

/**
 * The organisation's own API keys: manage keys of every project of the organisation (list and
 * create projects, configure any of them through the REST API). Rendered for admins and owners,
 * the only ones the procedures admit.
 */
export function OrgApiKeysPanel({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.listForOrg.queryOptions({ orgId }));
  const [created, setCreated] = useState<CreatedKey | null>(null);

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>API keys</h2>
        </CardTitle>
        <CardDescription>
          Organisation keys manage through the REST API: they list and create this organisation&apos;s projects and change the configuration of any of them
          (triggers, attributes, keys), naming the project in <code>project_id</code>. They cannot read reports or events, nor send data: use a project&apos;s
          read or write key for that.{" "}
          <Link href="/docs/api" className="inline-flex items-center gap-1 text-primary underline-offset-4 hover:underline">
            <BookOpen className="h-3.5 w-3.5" aria-hidden="true" />
            REST API docs
          </Link>
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <CreateOrgKeyForm orgId={orgId} onCreated={setCreated} />
        <QueryState
          query={keys}
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No organisation keys yet" description="Create one above for a script or CI job that sets up projects." />}
        >
          {(data) => (
            <DataTable label="Organisation API keys" columns={["Name", "Key", "Created", "Last used", "Status", ACTIONS_COLUMN]}>
              {data.map((key) => (
                <OrgKeyRow key={key.id} orgId={orgId} apiKey={key} />
              ))}
            </DataTable>
          )}
        </QueryState>
      </CardContent>
      <NewKeyDialog
        created={created}
        onClose={() => setCreated(null)}
        title="Organisation key created"
        description={created ? `Manage key “${created.name}” for every project of this organisation.` : undefined}
        secretTestId="org-api-key-secret"
      />
    </Card>
  );
}

function CreateOrgKeyForm({ orgId, onCreated }: { orgId: string; onCreated: (key: CreatedKey) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useZodForm(createInput, { defaultValues: { name: "" } });
  const create = useMutation(
    trpc.apiKeys.createForOrg.mutationOptions({
      onSuccess: async (key) => {
        onCreated(key);
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.listForOrg.queryKey({ orgId }) });
      },
    }),
  );
  const server = errorsFromServer(create.error);
  const onSubmit = form.handleSubmit((values) => create.mutate({ orgId, ...values }, { onSuccess: () => form.reset() }));

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <Field control={form.control} name="name" id="org-api-key-name" label="Key name" className="flex-1" serverError={server.fields.name}>
          {(control) => <Input {...control} placeholder="CI" autoComplete="off" />}
        </Field>
        <Button type="submit" className="sm:mt-6" disabled={create.isPending}>
          <KeyRound className="h-4 w-4" aria-hidden="true" />
          {create.isPending ? "Creating…" : "Create organisation key"}
        </Button>
      </div>
      <FormError messages={[server.form]} />
    </form>
  );
}

function OrgKeyRow({ orgId, apiKey }: { orgId: string; apiKey: OrgKey }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.apiKeys.revokeForOrg.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.listForOrg.queryKey({ orgId }) }),
    }),
  );
  const active = apiKey.status === "active";
  return (
    <TableRow className={active ? undefined : "text-muted-foreground"}>
      <TableCell className="font-medium">{apiKey.name}</TableCell>
      <KeyDetailCells apiKey={apiKey} />
      <TableCell className="text-right">
        {active ? (
          <RevokeKeyButton
            name={apiKey.name}
            title={`Revoke the organisation key “${apiKey.name}”?`}
            description="Scripts using this key can no longer manage this organisation's projects. This cannot be undone."
            revoke={{ ...revoke, run: (onDone) => revoke.mutate({ orgId, keyId: apiKey.id }, { onSuccess: onDone }) }}
          />
        ) : null}
      </TableCell>
    </TableRow>
  );
}
