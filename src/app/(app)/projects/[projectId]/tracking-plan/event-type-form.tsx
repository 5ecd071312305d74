"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useId } from "react";
import { useFieldArray } from "react-hook-form";
import { describeFieldError, errorsFromServer } from "~/components/form-errors";
import { Field, FieldError, fieldErrorMessage, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Textarea } from "~/components/ui/textarea";
import { useZodForm } from "~/components/use-zod-form";
import { EVENT_FIELD_TYPES, eventTypeSchema, type EventFieldType } from "~/core/tracking-plan";
import { useTRPC } from "~/trpc/react";

interface ExistingEventType {
  id: string;
  name: string;
  description: string;
  /** The database stores the type as text; unknown values show as "string". */
  fields: Array<{ id: string; name: string; dataType: string; required: boolean }>;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const toFieldType = (value: string): EventFieldType => EVENT_FIELD_TYPES.find((type) => type === value) ?? "string";

/** Creates an event type, or replaces an existing one's description and fields as a whole. */
export function EventTypeForm({ projectId, existing, onDone }: { projectId: string; existing?: ExistingEventType; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const form = useZodForm(eventTypeSchema, {
    defaultValues: {
      name: existing?.name ?? "",
      description: existing?.description ?? "",
      fields: existing?.fields.map((field) => ({ name: field.name, dataType: toFieldType(field.dataType), required: field.required })) ?? [],
    },
  });
  const rows = useFieldArray({ control: form.control, name: "fields" });
  const errors = form.formState.errors;

  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) });
    onDone();
  };
  const create = useMutation(trpc.trackingPlan.createEventType.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.trackingPlan.updateEventType.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) =>
    describeFieldError(key === "eventType" ? "Event type" : key, message ?? ""),
  );

  const onSubmit = form.handleSubmit((eventType) => {
    if (existing) update.mutate({ projectId, eventTypeId: existing.id, eventType });
    else create.mutate({ projectId, eventType });
  });
  const listError = fieldErrorMessage(errors.fields);

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit event type ${existing.name}` : "New event type"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field control={form.control} name="name" id={`${id}-name`} label="Event type name" hint="The event_name you send, e.g. signup or order.completed.">
          {(control) => <Input {...control} className="font-mono" autoComplete="off" autoFocus={!existing} />}
        </Field>
        <Field control={form.control} name="description" id={`${id}-description`} label="Description">
          {(control) => <Textarea {...control} rows={2} className="min-h-9" />}
        </Field>
      </div>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Fields</legend>
        {rows.fields.length === 0 ? (
          <p className="text-sm text-muted-foreground">No fields yet. Without fields, any properties are accepted for this event.</p>
        ) : null}
        {rows.fields.length > 0 ? (
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
          {rows.fields.map((row, index) => {
            const n = index + 1;
            const rowId = `${id}-field-${row.id}`;
            const nameError = errors.fields?.[index]?.name?.message;
            const typeError = errors.fields?.[index]?.dataType?.message;
            return (
              <li key={row.id} className="space-y-1">
                <div className="grid grid-cols-[1fr_auto] gap-2 sm:grid-cols-[1fr_10rem_6rem_2.25rem] sm:items-center">
                  <div>
                    <Label htmlFor={`${rowId}-name`} className="sr-only">
                      Field {n} name
                    </Label>
                    <Input
                      id={`${rowId}-name`}
                      {...form.register(`fields.${index}.name`)}
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
                    <Select id={`${rowId}-type`} {...form.register(`fields.${index}.dataType`)}>
                      {EVENT_FIELD_TYPES.map((type) => (
                        <option key={type} value={type}>
                          {type}
                        </option>
                      ))}
                    </Select>
                  </div>
                  <div className="flex items-center gap-2">
                    <Checkbox id={`${rowId}-required`} {...form.register(`fields.${index}.required`)} />
                    <Label htmlFor={`${rowId}-required`} className="font-normal">
                      <span className="sr-only">Field {n} </span>required
                    </Label>
                  </div>
                  <Button type="button" variant="ghost" size="icon" aria-label={`Remove field ${n}`} onClick={() => rows.remove(index)}>
                    <Trash2 className="h-4 w-4" aria-hidden="true" />
                  </Button>
                </div>
                <FieldError label={`Field ${n} name`} message={nameError} />
                <FieldError label={`Field ${n} type`} message={typeError} />
              </li>
            );
          })}
        </ol>
        {listError ? <p className="text-sm text-destructive">{capitalise(listError)}.</p> : null}
        <Button
          type="button"
          variant="outline"
          size="sm"
          onClick={() => rows.append({ name: "", dataType: "string", required: false }, { shouldFocus: false })}
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
