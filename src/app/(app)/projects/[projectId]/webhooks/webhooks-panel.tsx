"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Webhook } from "lucide-react";
import { useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { CopyButton } from "~/components/copy-button";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { errorMessage, errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { ACTIONS_COLUMN, DataTable, QueryState } from "~/components/query-state";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Dialog, DialogFooter } from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { TableCell, TableRow } from "~/components/ui/table";
import { useZodForm } from "~/components/use-zod-form";
import { atLeast, type RoleName } from "~/core/roles";
import { WEBHOOK_DELIVERY_POLICY, webhookEndpointFormSchema } from "~/core/webhooks";
import { useTRPC } from "~/trpc/react";

type Endpoint = RouterOutputs["webhooks"]["list"]["endpoints"][number];
type Delivery = RouterOutputs["webhooks"]["deliveries"][number];
interface ShownSecret {
  title: string;
  description: string;
  secret: string;
}

/** "5 s, 30 s, 2 min, 10 min, 1 h" */
function describeDelays(delays: readonly number[]): string {
  return delays.map((ms) => (ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`)).join(", ");
}

export function WebhooksPanel({ projectId, role }: { projectId: string; role: RoleName }) {
  const trpc = useTRPC();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions({ projectId }, { refetchInterval: 15_000 }));
  const [shownSecret, setShownSecret] = useState<ShownSecret | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const isAdmin = atLeast(role, "admin");
  const policy = WEBHOOK_DELIVERY_POLICY;
  const selected = endpoints.data?.endpoints.find((endpoint) => endpoint.id === selectedId) ?? null;

  return (
    <div className="space-y-6">
      {isAdmin ? (
        <CreateEndpointCard
          projectId={projectId}
          onCreated={(endpoint) => {
            setShownSecret({ title: "Webhook endpoint created", description: `Signing secret for ${endpoint.url}.`, secret: endpoint.secret });
            setSelectedId(endpoint.id);
          }}
        />
      ) : (
        <Alert variant="info">
          <AlertDescription>
            You can see this project&apos;s webhook endpoints and deliveries; adding and changing endpoints needs the admin role.
          </AlertDescription>
        </Alert>
      )}
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Webhook endpoints</h2>
          </CardTitle>
          <CardDescription>
            Triggers with a webhook action POST the firing as JSON, signed with the{" "}
            <a className="underline underline-offset-4" href="https://www.standardwebhooks.com" target="_blank" rel="noreferrer">
              Standard Webhooks
            </a>{" "}
            headers <code className="text-xs">webhook-id</code>, <code className="text-xs">webhook-timestamp</code> and{" "}
            <code className="text-xs">webhook-signature</code>. Each attempt times out after {policy.timeoutMs / 1000} s and is retried after{" "}
            {describeDelays(policy.retryDelaysMs)} (with jitter). Redirects are not followed. An endpoint is disabled after a 410 Gone or after{" "}
            {policy.disableAfterFailedDeliveries} deliveries in a row that failed every attempt.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <QueryState
            query={endpoints}
            isEmpty={(data) => data.endpoints.length === 0}
            empty={
              <EmptyState
                title="No webhook endpoints yet"
                description={isAdmin ? "Add an endpoint above, then pick it in a trigger's webhook action." : "An admin can add one."}
              />
            }
          >
            {(data) => (
              <DataTable label="Webhook endpoints" columns={["Endpoint", "Status", "Failed in a row", "Created", ACTIONS_COLUMN]}>
                {data.endpoints.map((endpoint) => (
                  <EndpointRow
                    key={endpoint.id}
                    projectId={projectId}
                    endpoint={endpoint}
                    canManage={isAdmin}
                    selected={endpoint.id === selectedId}
                    onSelect={() => setSelectedId(endpoint.id === selectedId ? null : endpoint.id)}
                    onSecret={(secret) => setShownSecret({ title: "Signing secret rotated", description: `New signing secret for ${endpoint.url}.`, secret })}
                    onDeleted={() => {
                      if (endpoint.id === selectedId) setSelectedId(null);
                    }}
                  />
                ))}
              </DataTable>
            )}
          </QueryState>
        </CardContent>
      </Card>
      {selected ? <DeliveriesCard projectId={projectId} endpoint={selected} canRetry={atLeast(role, "member")} /> : null}
      <Dialog
        open={shownSecret !== null}
        onOpenChange={(open) => !open && setShownSecret(null)}
        title={shownSecret?.title}
        description={shownSecret?.description}
      >
        {shownSecret ? (
          <div className="space-y-4">
            <Alert variant="warning">
              <AlertDescription>
                <strong>This secret is shown only once.</strong> Copy it into your receiver now to verify the <code>webhook-signature</code> header; if you lose
                it, rotate the secret.
              </AlertDescription>
            </Alert>
            <div className="flex items-center gap-2">
              <code data-testid="webhook-secret" className="flex-1 break-all rounded-md border bg-muted px-3 py-2 font-mono text-sm">
                {shownSecret.secret}
              </code>
              <CopyButton text={shownSecret.secret} label="Copy secret" />
            </div>
            <DialogFooter>
              <Button onClick={() => setShownSecret(null)}>Done</Button>
            </DialogFooter>
          </div>
        ) : null}
      </Dialog>
    </div>
  );
}

function CreateEndpointCard({ projectId, onCreated }: { projectId: string; onCreated: (endpoint: RouterOutputs["webhooks"]["create"]) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useZodForm(webhookEndpointFormSchema, { defaultValues: { url: "", description: "" } });
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (endpoint) => {
        onCreated(endpoint);
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey({ projectId }) });
      },
    }),
  );
  const server = errorsFromServer(create.error);
  // The server's input errors are keyed by the top-level field ("endpoint"). The form pre-checks
  // everything but the host, which only the server can judge (its WEBHOOK_ALLOW_HOSTS), so those are the URL's.
  const serverField = (name: string) => server.fields[`endpoint.${name}`] ?? server.fields[name] ?? (name === "url" ? server.fields.endpoint : undefined);

  const onSubmit = form.handleSubmit((endpoint) => create.mutate({ projectId, endpoint }, { onSuccess: () => form.reset() }));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Add a webhook endpoint</h2>
        </CardTitle>
        <CardDescription>
          A public http(s) URL that accepts POST requests. Private and local addresses are refused unless the server&apos;s WEBHOOK_ALLOW_HOSTS names them.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          <div className="grid gap-3 sm:grid-cols-[2fr_1fr_auto] sm:items-start">
            <Field control={form.control} name="url" id="webhook-url" label="URL" serverError={serverField("url")}>
              {(control) => <Input {...control} type="url" inputMode="url" placeholder="https://example.com/hooks/prism" autoComplete="off" />}
            </Field>
            <Field control={form.control} name="description" id="webhook-description" label="Description" serverError={serverField("description")}>
              {(control) => <Input {...control} placeholder="CRM sync" autoComplete="off" />}
            </Field>
            <Button type="submit" className="sm:mt-6" disabled={create.isPending}>
              <Webhook className="h-4 w-4" aria-hidden="true" />
              {create.isPending ? "Adding…" : "Add endpoint"}
            </Button>
          </div>
          <FormError messages={[server.form]} />
        </form>
      </CardContent>
    </Card>
  );
}

interface EndpointRowProps {
  projectId: string;
  endpoint: Endpoint;
  canManage: boolean;
  selected: boolean;
  onSelect: () => void;
  onSecret: (secret: string) => void;
  onDeleted: () => void;
}

function EndpointRow({ projectId, endpoint, canManage, selected, onSelect, onSecret, onDeleted }: EndpointRowProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<"disable" | "delete" | "rotate" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey({ projectId }) });
  const close = () => setConfirming(null);
  const setEnabled = useMutation(
    trpc.webhooks.setEnabled.mutationOptions({
      onSuccess: async () => {
        close();
        await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: async () => {
        close();
        onDeleted();
        await refresh();
      },
    }),
  );
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: (result) => {
        close();
        onSecret(result.secret);
      },
    }),
  );
  /** Opens one confirmation, or closes it and forgets the error of its mutation. */
  const confirmation = (kind: "disable" | "delete" | "rotate", mutation: { reset: () => void }) => (open: boolean) => {
    if (open) setConfirming(kind);
    else {
      close();
      mutation.reset();
    }
  };

  return (
    <TableRow className={endpoint.enabled ? undefined : "text-muted-foreground"} aria-selected={selected}>
      <TableCell className="max-w-md">
        <code className="break-all text-xs">{endpoint.url}</code>
        {endpoint.description ? <p className="text-xs text-muted-foreground">{endpoint.description}</p> : null}
      </TableCell>
      <TableCell className="max-w-xs">
        {endpoint.enabled ? <Badge variant="success">enabled</Badge> : <Badge variant="destructive">disabled</Badge>}
        {!endpoint.enabled && endpoint.disabledReason ? <p className="mt-1 text-xs whitespace-normal">{endpoint.disabledReason}</p> : null}
      </TableCell>
      <TableCell>{endpoint.consecutiveFailures}</TableCell>
      <TableCell>
        <DateTime value={endpoint.createdAt} />
      </TableCell>
      <TableCell className="space-x-1 text-right whitespace-nowrap">
        <Button size="sm" variant={selected ? "secondary" : "outline"} aria-pressed={selected} aria-label={`Deliveries of ${endpoint.url}`} onClick={onSelect}>
          Deliveries
        </Button>
        {canManage ? (
          <>
            {endpoint.enabled ? (
              <Button size="sm" variant="outline" aria-label={`Disable ${endpoint.url}`} onClick={() => setConfirming("disable")}>
                Disable
              </Button>
            ) : (
              <Button
                size="sm"
                variant="outline"
                aria-label={`Enable ${endpoint.url}`}
                disabled={setEnabled.isPending}
                onClick={() => setEnabled.mutate({ projectId, endpointId: endpoint.id, enabled: true })}
              >
                Enable
              </Button>
            )}
            <Button size="sm" variant="outline" aria-label={`Rotate the secret of ${endpoint.url}`} onClick={() => setConfirming("rotate")}>
              Rotate secret
            </Button>
            <Button size="sm" variant="outline" className="text-destructive" aria-label={`Delete ${endpoint.url}`} onClick={() => setConfirming("delete")}>
              Delete
            </Button>
            {!endpoint.enabled && setEnabled.error ? <p className="text-xs text-destructive">{errorMessage(setEnabled.error)}</p> : null}
            <ConfirmDialog
              open={confirming === "disable"}
              onOpenChange={confirmation("disable", setEnabled)}
              title="Disable this endpoint?"
              description="Nothing is sent to it while it is disabled; deliveries for it are recorded as failed. You can enable it again at any time."
              confirmLabel="Disable endpoint"
              pendingLabel="Disabling…"
              destructive={false}
              pending={setEnabled.isPending}
              error={errorMessage(setEnabled.error)}
              onConfirm={() => setEnabled.mutate({ projectId, endpointId: endpoint.id, enabled: false })}
            />
            <ConfirmDialog
              open={confirming === "rotate"}
              onOpenChange={confirmation("rotate", rotate)}
              title="Rotate the signing secret?"
              description="Every attempt from now on, retries included, is signed with the new secret; receivers using the old one will refuse them until updated."
              confirmLabel="Rotate secret"
              pendingLabel="Rotating…"
              pending={rotate.isPending}
              error={errorMessage(rotate.error)}
              onConfirm={() => rotate.mutate({ projectId, endpointId: endpoint.id })}
            />
            <ConfirmDialog
              open={confirming === "delete"}
              onOpenChange={confirmation("delete", remove)}
              title="Delete this webhook endpoint?"
              description={`${endpoint.url} and its delivery log are deleted. Trigger actions that use it will fail until they pick another endpoint.`}
              confirmLabel="Delete endpoint"
              pendingLabel="Deleting…"
              pending={remove.isPending}
              error={errorMessage(remove.error)}
              onConfirm={() => remove.mutate({ projectId, endpointId: endpoint.id })}
            />
          </>
        ) : null}
      </TableCell>
    </TableRow>
  );
}

const STATUS_BADGE = { delivered: "success", failed: "destructive", pending: "warning" } as const;

function DeliveriesCard({ projectId, endpoint, canRetry }: { projectId: string; endpoint: Endpoint; canRetry: boolean }) {
  const trpc = useTRPC();
  const deliveries = useQuery(trpc.webhooks.deliveries.queryOptions({ projectId, endpointId: endpoint.id, limit: 25 }, { refetchInterval: 5_000 }));
  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Recent deliveries</h2>
        </CardTitle>
        <CardDescription>
          The last 25 deliveries to <code className="break-all text-xs">{endpoint.url}</code>, newest first; refreshed every few seconds.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState
          query={deliveries}
          rows={4}
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No deliveries yet" description="Deliveries appear here when a trigger with a webhook action to this endpoint fires." />}
        >
          {(data) => (
            <DataTable label="Webhook deliveries" columns={["Created", "Status", "Attempts", "Last response", "Details", ACTIONS_COLUMN]}>
              {data.map((delivery) => (
                <DeliveryRow key={delivery.id} projectId={projectId} endpointId={endpoint.id} delivery={delivery} canRetry={canRetry && endpoint.enabled} />
              ))}
            </DataTable>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function DeliveryRow({ projectId, endpointId, delivery, canRetry }: { projectId: string; endpointId: string; delivery: Delivery; canRetry: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.webhooks.retryDelivery.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey({ projectId, endpointId, limit: 25 }) }),
    }),
  );
  const last = delivery.attemptLog[0];
  const status = delivery.status === "delivered" || delivery.status === "failed" ? delivery.status : "pending";
  return (
    <TableRow className="align-top">
      <TableCell>
        <DateTime value={delivery.createdAt} />
        <p className="font-mono text-xs text-muted-foreground">{delivery.id}</p>
      </TableCell>
      <TableCell>
        <Badge variant={STATUS_BADGE[status]}>{status}</Badge>
        {status === "pending" && delivery.attempts > 0 ? (
          <p className="mt-1 text-xs text-muted-foreground">
            next try <DateTime value={delivery.nextAttemptAt} />
          </p>
        ) : null}
      </TableCell>
      <TableCell>{delivery.attempts}</TableCell>
      <TableCell>
        {last ? (
          <span>
            {last.statusCode ?? "no response"} · {last.latencyMs} ms
          </span>
        ) : (
          <span className="text-muted-foreground">—</span>
        )}
      </TableCell>
      <TableCell className="max-w-md whitespace-normal">
        {delivery.lastError ? <p className="text-xs text-destructive">{delivery.lastError}</p> : null}
        <details className="text-xs">
          <summary className="cursor-pointer text-muted-foreground">Attempts and payload</summary>
          {delivery.attemptLog.length > 0 ? (
            <ol className="mt-1 space-y-1">
              {delivery.attemptLog.map((attempt) => (
                <li key={attempt.id}>
                  #{attempt.attempt} · <DateTime value={attempt.createdAt} /> · {attempt.statusCode ?? "no response"} · {attempt.latencyMs} ms
                  {attempt.error ? <span className="text-destructive"> · {attempt.error}</span> : null}
                </li>
              ))}
            </ol>
          ) : (
            <p className="mt-1 text-muted-foreground">No attempts yet.</p>
          )}
          <pre className="mt-2 max-h-64 overflow-auto rounded-md border bg-muted p-2 font-mono">{JSON.stringify(delivery.payload, null, 2)}</pre>
        </details>
      </TableCell>
      <TableCell className="text-right">
        {canRetry && status === "failed" ? (
          <Button size="sm" variant="outline" disabled={retry.isPending} onClick={() => retry.mutate({ projectId, deliveryId: delivery.id })}>
            {retry.isPending ? "Retrying…" : "Retry now"}
          </Button>
        ) : null}
        {retry.error ? <p className="text-xs text-destructive">{errorMessage(retry.error)}</p> : null}
      </TableCell>
    </TableRow>
  );
}
