"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { EmptyState } from "~/components/empty-state";
import { errorMessage, errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { useZodForm } from "~/components/use-zod-form";
import { ATTRIBUTE_ENTITIES, ATTRIBUTE_TYPES, attributeDefinitionSchema } from "~/core/tracking-plan";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";

type Attribute = RouterOutputs["trackingPlan"]["get"]["attributes"][number];

const ITEMS_TYPES = ["string", "number", "boolean", "object", "timestamp"] as const;

// The items type select keeps its choice while disabled; it only counts for arrays.
const attributeForm = z.preprocess(
  (value: z.input<typeof attributeDefinitionSchema>) => (value.type === "array" ? value : { ...value, itemsType: null }),
  attributeDefinitionSchema,
);

export function AttributesSection({
  projectId,
  attributes,
  maxCustomAttributes,
  canEdit,
}: {
  projectId: string;
  attributes: Attribute[];
  maxCustomAttributes: number;
  canEdit: boolean;
}) {
  const used = attributes.length;
  const full = used >= maxCustomAttributes;
  const percent = Math.min(100, Math.round((used / Math.max(1, maxCustomAttributes)) * 100));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Custom attributes</h2>
        </CardTitle>
        <CardDescription>Typed attributes of events and profiles. Indexed attributes are fast to filter and group by in reports.</CardDescription>
        <div className="space-y-1 pt-2">
          <p className="text-sm" data-testid="attribute-usage">
            <span className="font-medium">
              {used} of {maxCustomAttributes}
            </span>{" "}
            custom attributes used
          </p>
          <div className="h-1.5 w-full max-w-xs overflow-hidden rounded-full bg-muted" role="presentation">
            <div className={cn("h-full rounded-full", full ? "bg-destructive" : "bg-primary")} style={{ width: `${percent}%` }} />
          </div>
        </div>
      </CardHeader>
      <CardContent className="space-y-6">
        {canEdit ? <NewAttributeForm projectId={projectId} full={full} maxCustomAttributes={maxCustomAttributes} /> : null}
        {attributes.length === 0 ? (
          <EmptyState
            title="No custom attributes yet"
            description="Define attributes such as a profile's “plan” or an event's “amount” to type and index them."
          />
        ) : (
          <Table aria-label="Custom attributes">
            <TableHeader>
              <TableRow>
                <TableHead>Entity</TableHead>
                <TableHead>Name</TableHead>
                <TableHead>Type</TableHead>
                <TableHead>Indexed</TableHead>
                <TableHead className="text-right">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {attributes.map((attribute) => (
                <AttributeRow key={attribute.id} projectId={projectId} attribute={attribute} canEdit={canEdit} />
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

function AttributeRow({ projectId, attribute, canEdit }: { projectId: string; attribute: Attribute; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.trackingPlan.deleteAttribute.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) });
      },
    }),
  );
  const label = `${attribute.entity} attribute ${attribute.name}`;
  return (
    <TableRow>
      <TableCell>
        <Badge variant="secondary">{attribute.entity}</Badge>
      </TableCell>
      <TableCell className="font-mono text-xs">{attribute.name}</TableCell>
      <TableCell>
        <Badge variant="outline">{attribute.type === "array" && attribute.itemsType ? `array of ${attribute.itemsType}` : attribute.type}</Badge>
      </TableCell>
      <TableCell>{attribute.indexed ? "Indexed" : <span className="text-muted-foreground">No</span>}</TableCell>
      <TableCell className="text-right">
        {canEdit ? (
          <>
            <Button size="sm" variant="outline" className="text-destructive" aria-label={`Delete ${label}`} onClick={() => setConfirming(true)}>
              Delete
            </Button>
            <ConfirmDialog
              open={confirming}
              onOpenChange={(open) => {
                setConfirming(open);
                if (!open) remove.reset();
              }}
              title={`Delete the ${label}?`}
              description="It is no longer typed or indexed. Values already stored are kept."
              confirmLabel="Delete attribute"
              pendingLabel="Deleting…"
              pending={remove.isPending}
              error={errorMessage(remove.error)}
              onConfirm={() => remove.mutate({ projectId, attributeId: attribute.id })}
            />
          </>
        ) : null}
      </TableCell>
    </TableRow>
  );
}

function NewAttributeForm({ projectId, full, maxCustomAttributes }: { projectId: string; full: boolean; maxCustomAttributes: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useZodForm(attributeForm, {
    defaultValues: { entity: "profile", name: "", type: "string", itemsType: "string", indexed: false },
  });
  const type = useWatch({ control: form.control, name: "type" });
  const create = useMutation(
    trpc.trackingPlan.createAttribute.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) }),
    }),
  );
  const server = errorsFromServer(create.error);

  const onSubmit = form.handleSubmit((attribute) => create.mutate({ projectId, attribute }, { onSuccess: () => form.reset() }));

  return (
    <form onSubmit={onSubmit} noValidate aria-label="New attribute" className="space-y-3 rounded-lg border bg-muted/30 p-4">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-[8rem_1fr_9rem_9rem_auto] lg:items-start">
        <Field control={form.control} name="entity" id="attribute-entity" label="Entity">
          {(control) => (
            <Select {...control}>
              {ATTRIBUTE_ENTITIES.map((entity) => (
                <option key={entity} value={entity}>
                  {entity}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field control={form.control} name="name" id="attribute-name" label="Attribute name">
          {(control) => <Input {...control} placeholder="plan" className="font-mono" autoComplete="off" />}
        </Field>
        <Field control={form.control} name="type" id="attribute-type" label="Attribute type">
          {(control) => (
            <Select {...control}>
              {ATTRIBUTE_TYPES.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field control={form.control} name="itemsType" id="attribute-items-type" label="Items type">
          {(control) => (
            <Select {...control} disabled={type !== "array"}>
              {ITEMS_TYPES.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <div className="flex h-9 items-center gap-2 lg:mt-6">
          <Checkbox id="attribute-indexed" {...form.register("indexed")} />
          <Label htmlFor="attribute-indexed" className="font-normal">
            Indexed
          </Label>
        </div>
      </div>
      <FormError messages={[server.form, ...Object.values(server.fields)]} />
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={create.isPending || full}>
          {create.isPending ? "Saving…" : "Add attribute"}
        </Button>
        {full ? <p className="text-sm text-muted-foreground">The limit of {maxCustomAttributes} is reached; raise it in Settings or delete one.</p> : null}
      </div>
    </form>
  );
}
