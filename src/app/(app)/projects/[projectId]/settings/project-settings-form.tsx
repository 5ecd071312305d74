"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FieldErrors as FormFieldErrors } from "react-hook-form";
import { errorsFromServer } from "~/components/form-errors";
import { Field, fieldErrorMessage, FormError, FormField } from "~/components/form-field";
import { TimezoneInput } from "~/components/timezone-input";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { Textarea } from "~/components/ui/textarea";
import { useZodForm } from "~/components/use-zod-form";
import { projectSettingsSchema, type ProjectSettings } from "~/core/projects";
import { useTRPC } from "~/trpc/react";

export interface ProjectSettingsValues {
  timezone: string;
  dataRetentionDays: number;
  maxCustomAttributes: number;
  allowedEventNames: string[];
  planEnforcement: string;
  rateLimitPerSecond: number;
}

/** "signup, order.completed" or one per line → ["signup", "order.completed"]. */
function parseNames(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The list's own error, else the first bad entry's, naming that entry. */
function allowedNamesError(errors: FormFieldErrors<ProjectSettings>, names: readonly string[]): string | undefined {
  const error = errors.allowedEventNames;
  const own = fieldErrorMessage(error);
  if (own || !Array.isArray(error)) return own;
  const index = error.findIndex((entry) => fieldErrorMessage(entry));
  return index < 0 ? undefined : `entry “${names[index] ?? ""}” ${fieldErrorMessage(error[index]) ?? ""}`;
}

export function ProjectSettingsForm({ projectId, canEdit, settings }: { projectId: string; canEdit: boolean; settings: ProjectSettingsValues }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // No default values: each input renders its own, and the form reads them as it registers them.
  const form = useZodForm(projectSettingsSchema);
  const save = useMutation(
    trpc.projects.updateSettings.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.trackingPlan.get.queryKey({ projectId }) });
        router.refresh();
      },
    }),
  );
  const server = errorsFromServer(save.error);
  const asNumber = { valueAsNumber: true } as const;

  const onSubmit = form.handleSubmit((values) => save.mutate({ projectId, settings: values }));

  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Ingest and data</h2>
        </CardTitle>
        <CardDescription>How events are accepted, validated and kept.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={!canEdit} className="grid gap-5 sm:grid-cols-2">
            <Field
              control={form.control}
              name="timezone"
              id="settings-timezone"
              label="Time zone"
              serverError={server.fields.timezone}
              hint="Reports group days and weeks in this zone."
            >
              {(control) => <TimezoneInput {...control} defaultValue={settings.timezone} />}
            </Field>
            <Field
              control={form.control}
              name="dataRetentionDays"
              registerOptions={asNumber}
              id="settings-retention"
              label="Data retention (days)"
              serverError={server.fields.dataRetentionDays}
              hint="How long events are kept. 1 to 3650."
            >
              {(control) => <Input {...control} type="number" min={1} max={3650} step={1} defaultValue={settings.dataRetentionDays} />}
            </Field>
            <Field
              control={form.control}
              name="maxCustomAttributes"
              registerOptions={asNumber}
              id="settings-max-attributes"
              label="Max custom attributes"
              serverError={server.fields.maxCustomAttributes}
              hint="Upper bound on attributes in the tracking plan. 1 to 1000."
            >
              {(control) => <Input {...control} type="number" min={1} max={1000} step={1} defaultValue={settings.maxCustomAttributes} />}
            </Field>
            <Field
              control={form.control}
              name="rateLimitPerSecond"
              registerOptions={asNumber}
              id="settings-rate-limit"
              label="Rate limit (events per second)"
              serverError={server.fields.rateLimitPerSecond}
              hint="Per project, at the ingest edge. 1 to 100000."
            >
              {(control) => <Input {...control} type="number" min={1} max={100000} step={1} defaultValue={settings.rateLimitPerSecond} />}
            </Field>
            <Field
              control={form.control}
              name="planEnforcement"
              id="settings-enforcement"
              label="Plan enforcement"
              serverError={server.fields.planEnforcement}
              hint="Observe accepts events that break the tracking plan and flags them; enforce refuses them."
            >
              {(control) => (
                <Select {...control} defaultValue={settings.planEnforcement}>
                  <option value="observe">observe</option>
                  <option value="enforce">enforce</option>
                </Select>
              )}
            </Field>
            <FormField
              id="settings-allowed-events"
              label="Allowed event names"
              className="sm:col-span-2"
              error={allowedNamesError(form.formState.errors, form.getValues("allowedEventNames") ?? []) ?? server.fields.allowedEventNames}
              hint="Comma- or line-separated. Leave empty to allow any event name."
            >
              {(control) => (
                <Textarea
                  {...control}
                  {...form.register("allowedEventNames", { setValueAs: parseNames })}
                  rows={3}
                  className="font-mono"
                  placeholder="signup, order.completed"
                  defaultValue={settings.allowedEventNames.join(", ")}
                />
              )}
            </FormField>
          </fieldset>
          <FormError messages={[server.form]} />
          {save.isSuccess && !save.isPending ? (
            <p role="status" className="text-sm text-emerald-700">
              Settings saved.
            </p>
          ) : null}
          {canEdit ? (
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save settings"}
            </Button>
          ) : null}
        </form>
      </CardContent>
    </Card>
  );
}
