"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useId, useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { describeFieldError, errorMessage, errorsFromServer, flatFieldErrors } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { useZodForm } from "~/components/use-zod-form";
import { alertConfigSchema, alertInputSchema, type AlertAction, type AlertCondition, type AlertConfig } from "~/core/alerts";
import { useTRPC } from "~/trpc/react";
import { actionFromDraft, draftFromAction, newDraftKey, type ActionDraft } from "../triggers/action-drafts";
import { ActionsEditor } from "../triggers/actions-editor";
import { StateBadge } from "./alert-parts";

/** A saved trend report an alert can watch, with its series' labels. */
export interface AlertableReport {
  id: string;
  name: string;
  series: string[];
}

export interface ExistingAlert {
  id: string;
  name: string;
  reportId: string;
  seriesIndex: number;
  config: AlertConfig | null;
  actions: AlertAction[];
  enabled: boolean;
}

interface AlertFormValues {
  name: string;
  reportId: string;
  seriesIndex: string;
  config: { condition: AlertCondition; threshold: string; k: string; window: string };
  enabled: boolean;
  actions: ActionDraft[];
}

const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
const configOf = (config: AlertFormValues["config"]) => ({
  condition: config.condition,
  threshold: config.condition === "anomaly" ? null : config.threshold.trim() === "" ? null : number(config.threshold),
  k: number(config.k),
  window: number(config.window),
});

// The form edits text; the shared schema judges what it becomes.
const alertForm = z.preprocess(
  (values: AlertFormValues) => ({
    ...values,
    seriesIndex: Number(values.seriesIndex),
    config: configOf(values.config),
    actions: values.actions.map(actionFromDraft),
  }),
  alertInputSchema,
);

/** Creates or changes an alert; "Test now" judges the latest complete period without saving. */
export function AlertForm({
  projectId,
  reports,
  existing,
  defaultReportId,
  onDone,
}: {
  projectId: string;
  reports: AlertableReport[];
  existing?: ExistingAlert;
  defaultReportId?: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const form = useZodForm(alertForm, {
    defaultValues: {
      name: existing?.name ?? "",
      reportId: existing?.reportId ?? defaultReportId ?? reports[0]?.id ?? "",
      seriesIndex: String(existing?.seriesIndex ?? 0),
      config: {
        condition: existing?.config?.condition ?? "anomaly",
        threshold: existing?.config?.threshold === null || existing?.config?.threshold === undefined ? "" : String(existing.config.threshold),
        k: String(existing?.config?.k ?? 3),
        window: String(existing?.config?.window ?? 14),
      },
      enabled: existing?.enabled ?? true,
      actions: existing?.actions.map((action) => draftFromAction(action, newDraftKey())) ?? [],
    },
  });
  const [reportId, seriesIndex, config, actions] = useWatch({ control: form.control, name: ["reportId", "seriesIndex", "config", "actions"] });
  const setActions = useCallback((next: ActionDraft[]) => form.setValue("actions", next), [form]);
  const clientErrors = flatFieldErrors(form.formState.errors);
  const report = reports.find((candidate) => candidate.id === reportId);

  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.list.pathKey() });
    onDone();
  };
  const create = useMutation(trpc.alerts.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.alerts.update.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) => describeFieldError(key === "alert" ? "Alert" : key, message ?? ""));

  const [test, setTest] = useState<{ pending: boolean; error: string | null; result: Awaited<ReturnType<typeof runTest>> | null }>({
    pending: false,
    error: null,
    result: null,
  });
  async function runTest(draft: AlertConfig) {
    return queryClient.fetchQuery({
      ...trpc.alerts.evaluate.queryOptions({ projectId, target: { kind: "draft", reportId, seriesIndex: Number(seriesIndex), config: draft } }),
      staleTime: 0,
    });
  }
  async function onTest() {
    const parsed = alertConfigSchema.safeParse(configOf(config));
    if (!parsed.success) {
      setTest({ pending: false, error: "Fill in the condition first.", result: null });
      return;
    }
    setTest({ pending: true, error: null, result: null });
    try {
      setTest({ pending: false, error: null, result: await runTest(parsed.data) });
    } catch (error) {
      setTest({ pending: false, error: errorMessage(error) ?? "The test failed.", result: null });
    }
  }

  const onSubmit = form.handleSubmit((alert) => {
    if (existing) update.mutate({ projectId, alertId: existing.id, alert });
    else create.mutate({ projectId, alert });
  });

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit alert ${existing.name}` : "New alert"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <Field control={form.control} name="name" id={`${id}-name`} label="Alert name">
        {(control) => <Input {...control} placeholder="Purchases unusual" autoComplete="off" autoFocus={!existing} />}
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field control={form.control} name="reportId" id={`${id}-report`} label="Saved trend report">
          {(control) => (
            <Select {...control}>
              {reports.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field control={form.control} name="seriesIndex" id={`${id}-series`} label="Series">
          {(control) => (
            <Select {...control}>
              {(report?.series ?? ["Series 1"]).map((label, index) => (
                <option key={index} value={String(index)}>
                  {label}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <fieldset className="space-y-3">
        <legend className="text-sm font-medium">Condition</legend>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field control={form.control} name="config.condition" id={`${id}-condition`} label="Fires when the value is">
            {(control) => (
              <Select {...control}>
                <option value="anomaly">unusual (outside k × MAD)</option>
                <option value="above">above a threshold</option>
                <option value="below">below a threshold</option>
              </Select>
            )}
          </Field>
          {config.condition === "anomaly" ? (
            <>
              <Field control={form.control} name="config.k" id={`${id}-k`} label="k (MADs)" hint="How far from the median is unusual; 3 is common.">
                {(control) => <Input {...control} type="number" inputMode="decimal" min={0.1} step="any" />}
              </Field>
              <Field control={form.control} name="config.window" id={`${id}-window`} label="Baseline (periods)" hint="Complete periods before the judged one.">
                {(control) => <Input {...control} type="number" min={3} max={100} step={1} />}
              </Field>
            </>
          ) : (
            <Field
              control={form.control}
              name="config.threshold"
              id={`${id}-threshold`}
              label="Threshold"
              hint={config.condition === "above" ? "Fires when the value is greater; equal is ok." : "Fires when the value is smaller; equal is ok."}
            >
              {(control) => <Input {...control} type="number" inputMode="decimal" step="any" />}
            </Field>
          )}
        </div>
        <p className="text-xs text-muted-foreground">
          Judged on complete periods of the report&apos;s interval, in the project&apos;s time zone. Unusual means |value − median| &gt; k × MAD, both over the
          baseline periods (the judged one left out); a flat baseline has MAD 0, so any change from it fires.
        </p>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="button" variant="outline" size="sm" onClick={() => void onTest()} disabled={test.pending || !reportId}>
            {test.pending ? "Testing…" : "Test now"}
          </Button>
          <div aria-live="polite" className="text-sm">
            {test.error ? <span className="text-destructive">{test.error}</span> : null}
            {test.result ? (
              <span className="flex flex-wrap items-center gap-2">
                <StateBadge state={test.result.state} />
                <span>
                  {test.result.periodLabel.replace("T00:00", "")}: {test.result.detail}
                </span>
              </span>
            ) : null}
          </div>
        </div>
      </fieldset>
      <ActionsEditor
        actions={actions}
        onChange={setActions}
        errors={clientErrors}
        namesProfile
        emptyNote="No actions yet. Without actions the alert only records its state; actions run when it turns to firing."
      />
      <div className="flex items-center gap-2">
        <Checkbox id={`${id}-enabled`} {...form.register("enabled")} />
        <Label htmlFor={`${id}-enabled`}>Enabled</Label>
      </div>
      <FormError messages={[server.form, ...serverFieldMessages]} />
      <div className="flex gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : "Save alert"}
        </Button>
        <Button type="button" variant="ghost" onClick={onDone} disabled={mutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
