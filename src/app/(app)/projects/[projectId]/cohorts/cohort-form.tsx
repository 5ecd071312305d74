"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useId } from "react";
import { useWatch } from "react-hook-form";
import { describeFieldError, errorsFromServer, flatFieldErrors } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { usePlanSuggestions } from "~/components/reports/use-tracking-plan";
import { Input } from "~/components/ui/input";
import { Textarea } from "~/components/ui/textarea";
import { useZodForm } from "~/components/use-zod-form";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import { cohortFormSchema, emptyCohortForm, formFromCohort, keyFromName, type CohortFormValues, type ConditionDraft } from "./cohort-drafts";
import { ConditionsEditor } from "./conditions-editor";

export interface EditedCohort {
  id: string;
  key: string;
  name: string;
  description: string;
  kind: string;
  definition: unknown;
}

const KIND_CHOICES = [
  { value: "dynamic", label: "Dynamic", hint: "People matching conditions on their profile and what they did, kept current." },
  { value: "static", label: "Static", hint: "A fixed list of profile ids you paste or upload." },
] as const;

/** Creates a cohort or edits one; `onSaved` gets the cohort's id. */
export function CohortForm({
  projectId,
  existing,
  onSaved,
  onCancel,
}: {
  projectId: string;
  existing?: EditedCohort;
  onSaved: (cohortId: string) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const plan = usePlanSuggestions(projectId);
  const form = useZodForm(cohortFormSchema, { defaultValues: existing ? formFromCohort(existing) : emptyCohortForm() });
  // The conditions are edited by their own editor, so they are watched and set rather than registered.
  const [kind, match, conditions, key] = useWatch({ control: form.control, name: ["kind", "match", "conditions", "key"] });
  const setConditions = useCallback((next: ConditionDraft[]) => form.setValue("conditions", next), [form]);
  const setMatch = useCallback((next: CohortFormValues["match"]) => form.setValue("match", next), [form]);
  const clientErrors = flatFieldErrors(form.formState.errors);

  const onSuccess = async (answer: { id: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.cohorts.pathKey() });
    onSaved(answer.id);
  };
  const create = useMutation(trpc.cohorts.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.cohorts.update.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) => describeFieldError(key, message ?? ""));

  const onSubmit = form.handleSubmit((cohort) => {
    if (existing) update.mutate({ projectId, cohortId: existing.id, cohort });
    else create.mutate({ projectId, cohort });
  });

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit cohort ${existing.name}` : "New cohort"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field control={form.control} name="name" id={`${id}-name`} label="Name">
          {(control) => (
            <Input
              {...control}
              placeholder="Frequent buyers"
              autoComplete="off"
              autoFocus={!existing}
              onChange={(event) => {
                void control.onChange(event);
                // A new cohort's key follows its name until the key is typed in.
                if (!existing && !form.getFieldState("key").isDirty) form.setValue("key", keyFromName(event.target.value));
              }}
            />
          )}
        </Field>
        <Field
          control={form.control}
          name="key"
          id={`${id}-key`}
          label="Key"
          hint={
            <>
              Rules use it: <code>profile.in_cohort(&apos;{key || "key"}&apos;)</code>. Lower-case letters, digits and _.
            </>
          }
        >
          {(control) => <Input {...control} className="font-mono" placeholder="frequent_buyers" autoComplete="off" spellCheck={false} maxLength={64} />}
        </Field>
      </div>
      <Field control={form.control} name="description" id={`${id}-description`} label="Description (optional)">
        {(control) => <Textarea {...control} rows={2} maxLength={500} placeholder="Who they are and what the cohort is for" />}
      </Field>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Kind</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {KIND_CHOICES.map((choice) => (
            <label
              key={choice.value}
              className={cn(
                "flex cursor-pointer items-start gap-2 rounded-md border bg-background p-3 text-sm",
                kind === choice.value && "border-primary ring-1 ring-primary",
                existing && "cursor-not-allowed opacity-70",
              )}
            >
              <input type="radio" value={choice.value} className="mt-1 accent-primary" disabled={Boolean(existing)} {...form.register("kind")} />
              <span>
                <span className="font-medium">{choice.label}</span>
                <span className="block text-muted-foreground">{choice.hint}</span>
              </span>
            </label>
          ))}
        </div>
        {existing ? <p className="text-xs text-muted-foreground">A cohort&apos;s kind is set when it is created.</p> : null}
      </fieldset>
      {kind === "dynamic" ? (
        <div className="space-y-2">
          <p className="text-sm font-medium">Conditions</p>
          <ConditionsEditor
            match={match}
            onMatchChange={setMatch}
            conditions={conditions}
            onChange={setConditions}
            errors={clientErrors}
            eventNames={plan.eventNames}
            profileKeys={plan.profileKeys}
            eventFields={plan.fields.filter((field) => !field.startsWith("profile."))}
          />
          <p className="text-xs text-muted-foreground">
            Evaluated when asked: &ldquo;the last 30 days&rdquo; are the 30 days up to now. Profile properties are their latest values.
          </p>
        </div>
      ) : (
        <p className="rounded-md border border-dashed bg-background p-3 text-sm text-muted-foreground">
          {existing ? "Change the members below the form." : "Save the cohort, then paste or upload its profile ids."}
        </p>
      )}
      <FormError messages={[server.form, ...serverFieldMessages]} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : existing ? "Save cohort" : "Create cohort"}
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel} disabled={mutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
