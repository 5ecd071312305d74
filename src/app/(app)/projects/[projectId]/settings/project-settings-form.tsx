"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { errorsFromServer, fieldErrorsFromZod, type FieldErrors } from "~/components/form-errors";
import { FormError, FormField } from "~/components/form-field";
import { TimezoneInput } from "~/components/timezone-input";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import { Textarea } from "~/components/ui/textarea";
import { projectSettingsSchema } from "~/core/projects";
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

function numberOrNaN(value: FormDataEntryValue | null): number {
  const text = String(value ?? "").trim();
  return text === "" ? Number.NaN : Number(text);
}

/** Keys like "allowedEventNames.2" become one message on the field, naming the bad entry. */
function foldListErrors(errors: FieldErrors, names: string[]): FieldErrors {
  const folded: FieldErrors = {};
  for (const [key, message] of Object.entries(errors)) {
    const match = /^allowedEventNames\.(\d+)$/.exec(key);
    if (match) folded.allowedEventNames ??= `entry “${names[Number(match[1])] ?? ""}” ${message ?? ""}`;
    else folded[key] = message;
  }
  return folded;
}

export function ProjectSettingsForm({ projectId, canEdit, settings }: { projectId: string; canEdit: boolean; settings: ProjectSettingsValues }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
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
  const errors: FieldErrors = { ...server.fields, ...clientErrors };
  delete errors.settings;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const names = parseNames(String(form.get("allowedEventNames") ?? ""));
    const parsed = projectSettingsSchema.safeParse({
      timezone: String(form.get("timezone") ?? ""),
      dataRetentionDays: numberOrNaN(form.get("dataRetentionDays")),
      maxCustomAttributes: numberOrNaN(form.get("maxCustomAttributes")),
      allowedEventNames: names,
      planEnforcement: String(form.get("planEnforcement") ?? ""),
      rateLimitPerSecond: numberOrNaN(form.get("rateLimitPerSecond")),
    });
    if (!parsed.success) {
      setClientErrors(foldListErrors(fieldErrorsFromZod(parsed.error), names));
      return;
    }
    setClientErrors({});
    save.mutate({ projectId, settings: parsed.data });
  }

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
            <FormField id="settings-timezone" label="Time zone" error={errors.timezone} hint="Reports group days and weeks in this zone.">
              {(control) => <TimezoneInput {...control} name="timezone" defaultValue={settings.timezone} />}
            </FormField>
            <FormField id="settings-retention" label="Data retention (days)" error={errors.dataRetentionDays} hint="How long events are kept. 1 to 3650.">
              {(control) => <Input {...control} name="dataRetentionDays" type="number" min={1} max={3650} step={1} defaultValue={settings.dataRetentionDays} />}
            </FormField>
            <FormField
              id="settings-max-attributes"
              label="Max custom attributes"
              error={errors.maxCustomAttributes}
              hint="Upper bound on attributes in the tracking plan. 1 to 1000."
            >
              {(control) => (
                <Input {...control} name="maxCustomAttributes" type="number" min={1} max={1000} step={1} defaultValue={settings.maxCustomAttributes} />
              )}
            </FormField>
            <FormField
              id="settings-rate-limit"
              label="Rate limit (events per second)"
              error={errors.rateLimitPerSecond}
              hint="Per project, at the ingest edge. 1 to 100000."
            >
              {(control) => (
                <Input {...control} name="rateLimitPerSecond" type="number" min={1} max={100000} step={1} defaultValue={settings.rateLimitPerSecond} />
              )}
            </FormField>
            <FormField
              id="settings-enforcement"
              label="Plan enforcement"
              error={errors.planEnforcement}
              hint="Observe accepts events that break the tracking plan and flags them; enforce refuses them."
            >
              {(control) => (
                <Select {...control} name="planEnforcement" defaultValue={settings.planEnforcement}>
                  <option value="observe">observe</option>
                  <option value="enforce">enforce</option>
                </Select>
              )}
            </FormField>
            <FormField
              id="settings-allowed-events"
              label="Allowed event names"
              className="sm:col-span-2"
              error={errors.allowedEventNames}
              hint="Comma- or line-separated. Leave empty to allow any event name."
            >
              {(control) => (
                <Textarea
                  {...control}
                  name="allowedEventNames"
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
