"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { describeFieldError, errorsFromServer, fieldErrorsFromZod, type FieldErrors } from "~/components/form-errors";
import { FieldError, FormError, FormField } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Textarea } from "~/components/ui/textarea";
import { EVENT_FIELD_TYPES, eventTypeSchema, type EventFieldType } from "~/core/tracking-plan";
import { useTRPC } from "~/trpc/react";

interface FieldRow {
  key: string;
  name: string;
  dataType: EventFieldType;
  required: boolean;
}

interface ExistingEventType {
  id: string;
  name: string;
  description: string;
  /** The database stores the type as text; unknown values show as "string". */
  fields: Array<{ id: string; name: string; dataType: string; required: boolean }>;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const toFieldType = (value: string): EventFieldType => EVENT_FIELD_TYPES.find((type) => type === value) ?? "string";

let rowCounter = 0;
const newRowKey = () => `new-${++rowCounter}`;

/** Creates an event type, or replaces an existing one's description and fields as a whole. */
export function EventTypeForm({ projectId, existing, onDone }: { projectId: string; existing?: ExistingEventType; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState(existing?.name ?? "");
  const [description, setDescription] = useState(existing?.description ?? "");
  const [rows, setRows] = useState<FieldRow[]>(
    () => existing?.fields.map((field) => ({ key: field.id, name: field.name, dataType: toFieldType(field.dataType), required: field.required })) ?? [],
  );
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});

  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) });
    onDone();
  };
  const create = useMutation(trpc.trackingPlan.createEventType.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.trackingPlan.updateEventType.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const errors: FieldErrors = clientErrors;
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) =>
    describeFieldError(key === "eventType" ? "Event type" : key, message ?? ""),
  );

  function updateRow(key: string, patch: Partial<FieldRow>) {
    setRows((current) => current.map((row) => (row.key === key ? { ...row, ...patch } : row)));
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = eventTypeSchema.safeParse({
      name,
      description,
      fields: rows.map(({ name: fieldName, dataType, required }) => ({ name: fieldName, dataType, required })),
    });
    if (!parsed.success) {
      setClientErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setClientErrors({});
    if (existing) update.mutate({ projectId, eventTypeId: existing.id, eventType: parsed.data });
    else create.mutate({ projectId, eventType: parsed.data });
  }

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit event type ${existing.name}` : "New event type"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={`${id}-name`} label="Event type name" error={errors.name} hint="The event_name you send, e.g. signup or order.completed.">
          {(control) => (
            <Input {...control} value={name} onChange={(event) => setName(event.target.value)} className="font-mono" autoComplete="off" autoFocus={!existing} />
          )}
        </FormField>
        <FormField id={`${id}-description`} label="Description" error={errors.description}>
          {(control) => <Textarea {...control} value={description} onChange={(event) => setDescription(event.target.value)} rows={2} className="min-h-9" />}
        </FormField>
      </div>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Fields</legend>
        {rows.length === 0 ? <p className="text-sm text-muted-foreground">No fields yet. Without fields, any properties are accepted for this event.</p> : null}
        {rows.length > 0 ? (
          <div
            className="hidden grid-cols-[1fr_10rem_6rem_2.25rem] gap-2 text-xs font-medium uppercase tracking-wide text-muted-foreground sm:grid"
            aria-hidden="true"
          >
            <span>Name</span>
            <span>Data type</span>
            <span>Required</span>
            <span />
          </div>
        ) : null}
        <ol className="space-y-2">
          {rows.map((row, index) => {
            const n = index + 1;
            const rowId = `${id}-field-${row.key}`;
            const nameError = errors[`fields.${index}.name`];
            const typeError = errors[`fields.${index}.dataType`];
            return (
              <li key={row.key} className="space-y-1">
                <div className="grid grid-cols-[1fr_auto] gap-2 sm:grid-cols-[1fr_10rem_6rem_2.25rem] sm:items-center">
                  <div>
                    <Label htmlFor={`${rowId}-name`} className="sr-only">
                      Field {n} name
                    </Label>
                    <Input
                      id={`${rowId}-name`}
                      value={row.name}
                      onChange={(event) => updateRow(row.key, { name: event.target.value })}
                      placeholder="plan"
                      className="font-mono"
                      autoComplete="off"
                      aria-invalid={nameError ? true : undefined}
                    />
                  </div>
                  <div>
                    <Label htmlFor={`${rowId}-type`} className="sr-only">
                      Field {n} type
                    </Label>
                    <Select
                      id={`${rowId}-type`}
                      value={row.dataType}
                      onChange={(event) => {
                        const dataType = EVENT_FIELD_TYPES.find((type) => type === event.target.value);
                        if (dataType) updateRow(row.key, { dataType });
                      }}
                    >
                      {EVENT_FIELD_TYPES.map((type) => (
                        <option key={type} value={type}>
                          {type}
                        </option>
                      ))}
                    </Select>
                  </div>
                  <div className="flex items-center gap-2">
                    <Checkbox id={`${rowId}-required`} checked={row.required} onChange={(event) => updateRow(row.key, { required: event.target.checked })} />
                    <Label htmlFor={`${rowId}-required`} className="font-normal">
                      <span className="sr-only">Field {n} </span>required
                    </Label>
                  </div>
                  <Button
                    type="button"
                    variant="ghost"
                    size="icon"
                    aria-label={`Remove field ${n}`}
                    onClick={() => setRows((current) => current.filter((other) => other.key !== row.key))}
                  >
                    <Trash2 className="h-4 w-4" aria-hidden="true" />
                  </Button>
                </div>
                <FieldError label={`Field ${n} name`} message={nameError} />
                <FieldError label={`Field ${n} type`} message={typeError} />
              </li>
            );
          })}
        </ol>
        {errors.fields ? <p className="text-sm text-destructive">{capitalise(errors.fields)}.</p> : null}
        <Button
          type="button"
          variant="outline"
          size="sm"
          onClick={() => setRows((current) => [...current, { key: newRowKey(), name: "", dataType: "string", required: false }])}
        >
          <Plus className="h-3.5 w-3.5" aria-hidden="true" />
          Add field
        </Button>
      </fieldset>

      <FormError messages={[server.form, ...serverFieldMessages]} />
      <div className="flex gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : "Save event type"}
        </Button>
        <Button type="button" variant="ghost" onClick={onDone} disabled={mutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
