"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useId, useMemo, useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { describeFieldError, errorsFromServer, flatFieldErrors } from "~/components/form-errors";
import { Field, FormError, FormField } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { useZodForm } from "~/components/use-zod-form";
import type { RuleCheck } from "~/core/rules/rules";
import { formatWindowNeed } from "~/core/rules/vocabulary";
import { ATTRIBUTE_ENTITIES, ATTRIBUTE_TYPES } from "~/core/tracking-plan";
import { triggerActionSchema, triggerInputSchema, type TriggerAction } from "~/core/triggers";
import { useTRPC } from "~/trpc/react";
import { actionFromDraft, draftFromAction, newDraftKey, type ActionDraft } from "./action-drafts";
import { ActionsEditor } from "./actions-editor";
import type { RuleVocabulary } from "./cel-language";
import { RuleEditor } from "./rule-editor";
import { RuleBacktestPanel } from "./rule-backtest-panel";
import { RuleTestPanel } from "./rule-test-panel";

export interface ExistingTrigger {
  id: string;
  name: string;
  rule: string;
  actions: TriggerAction[];
  enabled: boolean;
  cooldownSeconds: number;
}

interface TriggerFormValues {
  name: string;
  rule: string;
  enabled: boolean;
  /** As typed; empty means no cooldown. */
  cooldownSeconds: string;
  actions: ActionDraft[];
}

// The form edits drafts and text; the shared schema judges what they become.
const triggerForm = z.preprocess(
  (values: TriggerFormValues) => ({
    ...values,
    cooldownSeconds: values.cooldownSeconds.trim() === "" ? 0 : Number(values.cooldownSeconds),
    actions: values.actions.map(actionFromDraft),
  }),
  triggerInputSchema,
);

/** The cooldown as typed, for the backtest: what is not a whole number of seconds counts as none until the form says so. */
function backtestCooldown(text: string): number {
  const seconds = Number(text.trim());
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= 30 * 24 * 3600 ? seconds : 0;
}

/** Creates a trigger or replaces one; the rule is edited in a CEL editor checked by the server as you type. */
export function TriggerForm({ projectId, existing, onDone }: { projectId: string; existing?: ExistingTrigger; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const form = useZodForm(triggerForm, {
    defaultValues: {
      name: existing?.name ?? "",
      rule: existing?.rule ?? "",
      enabled: existing?.enabled ?? true,
      cooldownSeconds: String(existing?.cooldownSeconds ?? 0),
      actions: existing?.actions.map((action) => draftFromAction(action, newDraftKey())) ?? [],
    },
  });
  // The rule and the actions are edited by custom editors, so they are watched and set rather than registered.
  const [rule, actions, cooldownText] = useWatch({ control: form.control, name: ["rule", "actions", "cooldownSeconds"] });
  const setRule = useCallback((text: string) => form.setValue("rule", text), [form]);
  const setActions = useCallback((next: ActionDraft[]) => form.setValue("actions", next), [form]);
  const clientErrors = flatFieldErrors(form.formState.errors);
  const [ruleCheck, setRuleCheck] = useState<{ rule: string; result: RuleCheck | null } | null>(null);

  const plan = useQuery(trpc.trackingPlan.get.queryOptions({ projectId }));
  const cohorts = useQuery(trpc.cohorts.list.queryOptions({ projectId }));
  const vocabulary = useMemo<RuleVocabulary>(
    () => ({
      attributes: (plan.data?.attributes ?? []).flatMap((attribute) =>
        (ATTRIBUTE_ENTITIES as readonly string[]).includes(attribute.entity) && (ATTRIBUTE_TYPES as readonly string[]).includes(attribute.type)
          ? [
              {
                entity: attribute.entity as (typeof ATTRIBUTE_ENTITIES)[number],
                name: attribute.name,
                type: attribute.type as (typeof ATTRIBUTE_TYPES)[number],
              },
            ]
          : [],
      ),
      eventNames: (plan.data?.eventTypes ?? []).map((eventType) => eventType.name),
      cohorts: (cohorts.data ?? []).map((cohort) => ({ key: cohort.key, name: cohort.name })),
    }),
    [plan.data, cohorts.data],
  );
  const checkRuleOnServer = useCallback(
    (text: string) => queryClient.fetchQuery({ ...trpc.triggers.check.queryOptions({ projectId, rule: text }), staleTime: 5_000 }),
    [queryClient, trpc, projectId],
  );
  const onChecked = useCallback((text: string, result: RuleCheck | null) => setRuleCheck({ rule: text, result }), []);
  const currentCheck = ruleCheck?.rule === rule ? ruleCheck.result : null;
  const testActions = useMemo(
    () =>
      actions.flatMap((draft) => {
        const parsed = triggerActionSchema.safeParse(actionFromDraft(draft));
        return parsed.success ? [parsed.data] : [];
      }),
    [actions],
  );

  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.triggers.list.queryKey({ projectId }) });
    onDone();
  };
  const create = useMutation(trpc.triggers.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.triggers.update.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) => describeFieldError(key === "trigger" ? "Trigger" : key, message ?? ""));

  const onSubmit = form.handleSubmit((trigger) => {
    if (existing) update.mutate({ projectId, triggerId: existing.id, trigger });
    else create.mutate({ projectId, trigger });
  });

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit trigger ${existing.name}` : "New trigger"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
        <Field control={form.control} name="name" id={`${id}-name`} label="Trigger name">
          {(control) => <Input {...control} placeholder="Big purchase alert" autoComplete="off" autoFocus={!existing} />}
        </Field>
        <Field
          control={form.control}
          name="cooldownSeconds"
          id={`${id}-cooldown`}
          label="Cooldown (seconds)"
          hint="Quiet time per profile after firing. 0 = none."
        >
          {(control) => <Input {...control} type="number" min={0} step={1} />}
        </Field>
      </div>
      <FormField
        id={`${id}-rule`}
        label="Rule"
        error={clientErrors.rule}
        hint={
          <>
            A CEL expression over <code>event</code>, <code>profile</code> and <code>window</code>; true fires the trigger. Press Ctrl+Space for suggestions. A
            value the event or profile lacks makes the rule not fire. <code>profile.in_cohort(&apos;vip&apos;)</code> tests membership of a cohort, as of the
            worker&apos;s last refresh (every 30 s, and within seconds of a cohort edit).
          </>
        }
      >
        {(control) => (
          <RuleEditor
            value={rule}
            onChange={setRule}
            vocabulary={vocabulary}
            check={checkRuleOnServer}
            onChecked={onChecked}
            label="Rule"
            describedBy={[control["aria-describedby"], `${id}-rule-check`].filter(Boolean).join(" ")}
            invalid={control["aria-invalid"] || (currentCheck ? !currentCheck.ok : false)}
            placeholder="event.name == 'purchase' && event.props.amount > 100"
          />
        )}
      </FormField>
      <RuleCheckSummary id={`${id}-rule-check`} rule={rule} check={currentCheck} />
      <RuleTestPanel projectId={projectId} rule={rule} actions={testActions} defaultEventName={vocabulary.eventNames[0] ?? "purchase"} />
      <RuleBacktestPanel projectId={projectId} rule={rule} cooldownSeconds={backtestCooldown(cooldownText)} />
      <ActionsEditor actions={actions} onChange={setActions} errors={clientErrors} />
      <div className="flex items-center gap-2">
        <Checkbox id={`${id}-enabled`} {...form.register("enabled")} />
        <Label htmlFor={`${id}-enabled`}>Enabled</Label>
      </div>
      <FormError messages={[server.form, ...serverFieldMessages]} />
      <div className="flex gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : "Save trigger"}
        </Button>
        <Button type="button" variant="ghost" onClick={onDone} disabled={mutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The checker's verdict in words, for everyone (the inline marks are visual). */
function RuleCheckSummary({ id, rule, check }: { id: string; rule: string; check: RuleCheck | null }) {
  if (rule.trim() === "" || !check) return <p id={id} className="sr-only" aria-live="polite" />;
  const problems = check.ok ? check.warnings : check.errors;
  return (
    <div id={id} aria-live="polite" className="-mt-2 space-y-1 text-xs">
      {check.ok ? (
        <p className="text-emerald-700 dark:text-emerald-400">
          Rule checks.
          {check.windowNeeds.length > 0 ? (
            <span className="text-muted-foreground"> Windows kept: {check.windowNeeds.map(formatWindowNeed).join(", ")}.</span>
          ) : null}
          {check.cohortKeys.length > 0 ? (
            <span className="text-muted-foreground">
              {" "}
              Cohorts read: {check.cohortKeys.map((key) => `'${key}'`).join(", ")} (members as of the worker&apos;s last refresh, at most 30 s old).
            </span>
          ) : null}
        </p>
      ) : null}
      {problems.length > 0 ? (
        <ul className={check.ok ? "text-amber-700 dark:text-amber-400" : "text-destructive"}>
          {problems.map((problem, index) => (
            <li key={index}>
              {check.ok ? "Warning: " : "Error: "}
              {problem.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
