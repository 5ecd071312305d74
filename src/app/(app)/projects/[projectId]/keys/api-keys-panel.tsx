"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { BookOpen, KeyRound } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { EmptyState } from "~/components/empty-state";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { ACTIONS_COLUMN, DataTable, QueryState } from "~/components/query-state";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { useZodForm } from "~/components/use-zod-form";
import { TableCell, TableRow } from "~/components/ui/table";
import { KeyDetailCells, NewKeyDialog, RevokeKeyButton } from "~/components/api-key-parts";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";
import { API_KEY_KINDS, apiKeyKindSchema, apiKeyNameSchema, type ApiKeyKind } from "~/core/api-keys";

type ApiKey = RouterOutputs["apiKeys"]["list"][number];
type CreatedKey = RouterOutputs["apiKeys"]["create"];

const createInput = z.strictObject({ name: apiKeyNameSchema, kind: apiKeyKindSchema });

const KIND_LABELS: Record<ApiKeyKind, string> = { write: "Write", read: "Read", manage: "Manage" };
/** What a key of each kind may do, always within its one project. */
const KIND_DESCRIPTIONS: Record<ApiKeyKind, string> = {
  write: "Sends events and profiles.",
  read: "Reads reports and events through the REST API.",
  manage: "Reads and changes this project's configuration through the REST API.",
};
const API_DOCS_HREF = "/docs/api";

function ApiDocsLink() {
  return (
    <Link href={API_DOCS_HREF} className="inline-flex items-center gap-1 text-primary underline-offset-4 hover:underline">
      <BookOpen className="h-3.5 w-3.5" aria-hidden="true" />
      REST API docs
    </Link>
  );
}

export function ApiKeysPanel({ projectId, role }: { projectId: string; role: RoleName }) {
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ projectId }));
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const isAdmin = atLeast(role, "admin");

  return (
    <div className="space-y-6">
      {isAdmin ? (
        <CreateKeyCard projectId={projectId} onCreated={setCreated} />
      ) : (
        <Alert variant="info">
          <AlertDescription>You can see this project&apos;s keys; creating and revoking them needs the admin role.</AlertDescription>
        </Alert>
      )}
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>API keys</h2>
          </CardTitle>
          <CardDescription>
            Write keys send events in the X-API-Key header; read and manage keys call the REST API as Authorization: Bearer. A revoked key is refused as soon as
            the key cache refreshes. <ApiDocsLink />
          </CardDescription>
        </CardHeader>
        <CardContent>
          <QueryState
            query={keys}
            isEmpty={(data) => data.length === 0}
            empty={
              <EmptyState
                title="No API keys yet"
                description={isAdmin ? "Create a key above to start sending events to this project." : "An admin can create one."}
              />
            }
          >
            {(data) => (
              <DataTable label="API keys" columns={["Name", "Kind", "Key", "Created", "Last used", "Status", ACTIONS_COLUMN]}>
                {data.map((key) => (
                  <ApiKeyRow key={key.id} projectId={projectId} apiKey={key} canRevoke={isAdmin} />
                ))}
              </DataTable>
            )}
          </QueryState>
        </CardContent>
      </Card>
      <NewKeyDialog
        created={created}
        onClose={() => setCreated(null)}
        title="API key created"
        description={created ? `${KIND_LABELS[created.kind]} key “${created.name}” for this project.` : undefined}
        secretTestId="api-key-secret"
      />
    </div>
  );
}

function CreateKeyCard({ projectId, onCreated }: { projectId: string; onCreated: (key: CreatedKey) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useZodForm(createInput, { defaultValues: { name: "", kind: "write" } });
  const kind = useWatch({ control: form.control, name: "kind" });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (key) => {
        onCreated(key);
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ projectId }) });
      },
    }),
  );
  const server = errorsFromServer(create.error);

  const onSubmit = form.handleSubmit((values) => create.mutate({ projectId, ...values }, { onSuccess: () => form.reset() }));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Create an API key</h2>
        </CardTitle>
        <CardDescription>
          Name keys after where they are used, e.g. “web app” or “backend”, so you know which to revoke. Read and manage keys are for the REST API:{" "}
          <ApiDocsLink />
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
            <Field control={form.control} name="name" id="api-key-name" label="Key name" className="flex-1" serverError={server.fields.name}>
              {(control) => <Input {...control} placeholder="web app" autoComplete="off" />}
            </Field>
            <Field
              control={form.control}
              name="kind"
              id="api-key-kind"
              label="Kind"
              className="sm:w-72"
              hint={KIND_DESCRIPTIONS[kind]}
              serverError={server.fields.kind}
            >
              {(control) => (
                <Select {...control}>
                  {API_KEY_KINDS.map((option) => (
                    <option key={option} value={option}>
                      {KIND_LABELS[option]}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Button type="submit" className="sm:mt-6" disabled={create.isPending}>
              <KeyRound className="h-4 w-4" aria-hidden="true" />
              {create.isPending ? "Creating…" : "Create key"}
            </Button>
          </div>
          <FormError messages={[server.form]} />
        </form>
      </CardContent>
    </Card>
  );
}

function ApiKeyRow({ projectId, apiKey, canRevoke }: { projectId: string; apiKey: ApiKey; canRevoke: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ projectId }) }),
    }),
  );
  const active = apiKey.status === "active";
  return (
    <TableRow className={active ? undefined : "text-muted-foreground"}>
      <TableCell className="font-medium">{apiKey.name}</TableCell>
      <TableCell>
        <Badge variant={apiKey.kind === "write" ? "secondary" : "outline"} title={KIND_DESCRIPTIONS[apiKey.kind]} data-testid="api-key-kind">
          {apiKey.kind}
        </Badge>
      </TableCell>
      <KeyDetailCells apiKey={apiKey} />
      <TableCell className="text-right">
        {canRevoke && active ? (
          <RevokeKeyButton
            name={apiKey.name}
            title={`Revoke the key “${apiKey.name}”?`}
            description="Apps using this key can no longer send events. This cannot be undone."
            revoke={{ ...revoke, run: (onDone) => revoke.mutate({ projectId, keyId: apiKey.id }, { onSuccess: onDone }) }}
          />
        ) : null}
      </TableCell>
    </TableRow>
  );
}
