"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { describeFieldError, errorsFromServer, fieldErrorsFromZod, type FieldErrors } from "~/components/form-errors";
import { FormError, FormField } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Checkbox } from "~/components/ui/checkbox";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Textarea } from "~/components/ui/textarea";
import { triggerInputSchema, type TriggerAction } from "~/domain/triggers";
import { useTRPC } from "~/trpc/react";
import { actionFromDraft, draftFromAction, newDraftKey, type ActionDraft } from "./action-drafts";
import { ActionsEditor } from "./actions-editor";

export interface ExistingTrigger {
  id: string;
  name: string;
  rule: string;
  actions: TriggerAction[];
  enabled: boolean;
  cooldownSeconds: number;
}

/** Creates a trigger or replaces one; the rule is a plain CEL textarea until the CEL editor lands. */
export function TriggerForm({ projectId, existing, onDone }: { projectId: string; existing?: ExistingTrigger; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState(existing?.name ?? "");
  const [rule, setRule] = useState(existing?.rule ?? "");
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [cooldown, setCooldown] = useState(String(existing?.cooldownSeconds ?? 0));
  const [actions, setActions] = useState<ActionDraft[]>(() => existing?.actions.map((action) => draftFromAction(action, newDraftKey())) ?? []);
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});

  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.triggers.list.queryKey({ projectId }) });
    onDone();
  };
  const create = useMutation(trpc.triggers.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.triggers.update.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const server = errorsFromServer(mutation.error);
  const serverFieldMessages = Object.entries(server.fields).map(([key, message]) => describeFieldError(key === "trigger" ? "Trigger" : key, message ?? ""));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = triggerInputSchema.safeParse({
      name,
      rule,
      enabled,
      cooldownSeconds: cooldown.trim() === "" ? 0 : Number(cooldown),
      actions: actions.map(actionFromDraft),
    });
    if (!parsed.success) {
      setClientErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setClientErrors({});
    if (existing) update.mutate({ projectId, triggerId: existing.id, trigger: parsed.data });
    else create.mutate({ projectId, trigger: parsed.data });
  }

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? `Edit trigger ${existing.name}` : "New trigger"}
      className="space-y-4 rounded-lg border bg-muted/30 p-4"
    >
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
        <FormField id={`${id}-name`} label="Trigger name" error={clientErrors.name}>
          {(control) => (
            <Input
              {...control}
              value={name}
              onChange={(event) => setName(event.target.value)}
              placeholder="Big purchase alert"
              autoComplete="off"
              autoFocus={!existing}
            />
          )}
        </FormField>
        <FormField id={`${id}-cooldown`} label="Cooldown (seconds)" error={clientErrors.cooldownSeconds} hint="Quiet time per profile after firing. 0 = none.">
          {(control) => <Input {...control} type="number" min={0} step={1} value={cooldown} onChange={(event) => setCooldown(event.target.value)} />}
        </FormField>
      </div>
      <FormField id={`${id}-rule`} label="Rule" error={clientErrors.rule} hint="A CEL expression that is true when the trigger should fire.">
        {(control) => (
          <Textarea
            {...control}
            value={rule}
            onChange={(event) => setRule(event.target.value)}
            rows={4}
            spellCheck={false}
            className="font-mono text-xs"
            placeholder={'event.event_name == "purchase" && event.props.amount > 100'}
          />
        )}
      </FormField>
      <ActionsEditor actions={actions} onChange={setActions} errors={clientErrors} />
      <div className="flex items-center gap-2">
        <Checkbox id={`${id}-enabled`} checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
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
