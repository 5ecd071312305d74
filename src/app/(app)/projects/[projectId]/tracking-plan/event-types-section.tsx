"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { Badge } from "~/components/ui/badge";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { useTRPC } from "~/trpc/react";
import { EventTypeForm } from "./event-type-form";

type EventType = RouterOutputs["trackingPlan"]["get"]["eventTypes"][number];

export function EventTypesSection({ projectId, eventTypes, canEdit }: { projectId: string; eventTypes: EventType[]; canEdit: boolean }) {
  const [editing, setEditing] = useState<string | "new" | null>(null);

  return (
    <Card>
      <CardHeader className="flex-row items-start justify-between gap-4 space-y-0">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Event types</h2>
          </CardTitle>
          <CardDescription>The events this project expects and the properties each one carries.</CardDescription>
        </div>
        {canEdit && editing !== "new" ? (
          <Button onClick={() => setEditing("new")}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            New event type
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-4">
        {editing === "new" ? <EventTypeForm projectId={projectId} onDone={() => setEditing(null)} /> : null}
        {eventTypes.length === 0 && editing !== "new" ? (
          <EmptyState
            title="No event types yet"
            description={
              canEdit
                ? "Describe the events you send, e.g. “signup” with a required “plan” string, so bad data is caught at ingest."
                : "An admin can define the events this project expects."
            }
          />
        ) : null}
        <ul className="space-y-4">
          {eventTypes.map((eventType) => (
            <li key={eventType.id}>
              {editing === eventType.id ? (
                <EventTypeForm projectId={projectId} existing={eventType} onDone={() => setEditing(null)} />
              ) : (
                <EventTypeCard projectId={projectId} eventType={eventType} canEdit={canEdit} onEdit={() => setEditing(eventType.id)} />
              )}
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

function EventTypeCard({ projectId, eventType, canEdit, onEdit }: { projectId: string; eventType: EventType; canEdit: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.trackingPlan.deleteEventType.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) });
      },
    }),
  );
  const headingId = `event-type-${eventType.id}`;

  return (
    <section aria-labelledby={headingId} className="rounded-lg border">
      <div className="flex flex-wrap items-start justify-between gap-3 border-b px-4 py-3">
        <div>
          <h3 id={headingId} className="font-mono text-sm font-semibold">
            {eventType.name}
          </h3>
          {eventType.description ? <p className="text-sm text-muted-foreground">{eventType.description}</p> : null}
        </div>
        {canEdit ? (
          <div className="flex gap-2">
            <Button size="sm" variant="outline" aria-label={`Edit ${eventType.name}`} onClick={onEdit}>
              Edit
            </Button>
            <Button size="sm" variant="outline" className="text-destructive" aria-label={`Delete ${eventType.name}`} onClick={() => setConfirming(true)}>
              Delete
            </Button>
          </div>
        ) : null}
      </div>
      {eventType.fields.length === 0 ? (
        <p className="px-4 py-3 text-sm text-muted-foreground">No fields: any properties are accepted.</p>
      ) : (
        <Table aria-label={`Fields of ${eventType.name}`}>
          <TableHeader>
            <TableRow>
              <TableHead>Field</TableHead>
              <TableHead>Type</TableHead>
              <TableHead>Required</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {eventType.fields.map((field) => (
              <TableRow key={field.id}>
                <TableCell className="font-mono text-xs">{field.name}</TableCell>
                <TableCell>
                  <Badge variant="outline">{field.dataType}</Badge>
                </TableCell>
                <TableCell>{field.required ? "Required" : <span className="text-muted-foreground">Optional</span>}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ConfirmDialog
        open={confirming}
        onOpenChange={(open) => {
          setConfirming(open);
          if (!open) remove.reset();
        }}
        title={`Delete the event type “${eventType.name}”?`}
        description="Its field definitions are removed from the tracking plan. Events already stored are kept."
        confirmLabel="Delete event type"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={errorMessage(remove.error)}
        onConfirm={() => remove.mutate({ projectId, eventTypeId: eventType.id })}
      />
    </section>
  );
}
