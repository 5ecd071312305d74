"use client";

import { Plus, Trash2 } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import { FieldError } from "~/components/form-field";
import type { FieldErrors } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { Textarea } from "~/components/ui/textarea";
import { TRIGGER_ACTION_TYPES, type TriggerAction } from "~/core/triggers";
import { WebhookEndpointPicker } from "../webhooks/endpoint-picker";
import { ACTION_LABELS, emptyDraft, VALUE_KINDS, type ActionDraft, type ValueKind } from "./action-drafts";

const MAX_ACTIONS = 10;

/** Any of the text inputs of any action type; only the ones of the action's own type are ever passed. */
type DraftPatch = Partial<{
  endpointId: string;
  topic: string;
  title: string;
  body: string;
  tag: string;
  attribute: string;
  valueKind: ValueKind;
  value: string;
  profileId: string;
}>;

interface ActionsEditorProps {
  actions: ActionDraft[];
  onChange: (actions: ActionDraft[]) => void;
  /** Errors keyed like "actions.0.endpointId". */
  errors: FieldErrors;
  /** A metric alert's actions: no event, so profile actions name their profile. */
  namesProfile?: boolean;
  /** Said when there are no actions. */
  emptyNote?: string;
}

/** Edits the list of actions a trigger runs when its rule matches (or a metric alert when it starts firing). */
export function ActionsEditor({
  actions,
  onChange,
  errors,
  namesProfile = false,
  emptyNote = "No actions yet. A trigger without actions only records that it matched.",
}: ActionsEditorProps) {
  const id = useId();
  const [typeToAdd, setTypeToAdd] = useState<TriggerAction["type"]>("webhook");

  function update(key: string, patch: DraftPatch) {
    onChange(actions.map((action) => (action.key === key ? ({ ...action, ...patch } as ActionDraft) : action)));
  }

  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-medium">Actions</legend>
      {actions.length === 0 ? <p className="text-sm text-muted-foreground">{emptyNote}</p> : null}
      <ol className="space-y-3">
        {actions.map((action, index) => {
          const n = index + 1;
          const base = `${id}-${action.key}`;
          const errorAt = (field: string) => errors[`actions.${index}.${field}`];
          const field = (name: string, label: string, control: (fieldId: string) => ReactNode, hint?: string) => (
            <div className="space-y-1.5">
              <Label htmlFor={`${base}-${name}`}>
                <span className="sr-only">Action {n} </span>
                {label}
              </Label>
              {control(`${base}-${name}`)}
              {hint ? <p className="text-xs text-muted-foreground">{hint}</p> : null}
              <FieldError label={label} message={errorAt(name)} />
            </div>
          );
          return (
            <li key={action.key} className="space-y-3 rounded-md border bg-background p-3">
              <div className="flex items-center justify-between">
                <p className="text-sm font-medium">
                  {n}. {ACTION_LABELS[action.type]}
                </p>
                <Button
                  type="button"
                  variant="ghost"
                  size="sm"
                  aria-label={`Remove action ${n}`}
                  onClick={() => onChange(actions.filter((other) => other.key !== action.key))}
                >
                  <Trash2 className="h-3.5 w-3.5" aria-hidden="true" />
                  Remove
                </Button>
              </div>
              {action.type === "webhook"
                ? field(
                    "endpointId",
                    "Endpoint",
                    (fieldId) => <WebhookEndpointPicker id={fieldId} value={action.endpointId} onChange={(endpointId) => update(action.key, { endpointId })} />,
                    "We POST the firing as signed JSON to this endpoint; its deliveries are on the Webhooks page.",
                  )
                : null}
              {action.type === "kafka_publish"
                ? field("topic", "Topic", (fieldId) => (
                    <Input
                      id={fieldId}
                      value={action.topic}
                      className="font-mono"
                      placeholder="prism.alerts"
                      onChange={(event) => update(action.key, { topic: event.target.value })}
                    />
                  ))
                : null}
              {action.type === "notification" ? (
                <div className="grid gap-3">
                  {field("title", "Title", (fieldId) => (
                    <Input
                      id={fieldId}
                      value={action.title}
                      placeholder="Big purchase"
                      onChange={(event) => update(action.key, { title: event.target.value })}
                    />
                  ))}
                  {field("body", "Body", (fieldId) => (
                    <Textarea id={fieldId} value={action.body} rows={2} onChange={(event) => update(action.key, { body: event.target.value })} />
                  ))}
                </div>
              ) : null}
              {namesProfile && (action.type === "tag_profile" || action.type === "update_attribute")
                ? field(
                    "profileId",
                    "Profile id",
                    (fieldId) => (
                      <Input
                        id={fieldId}
                        value={action.profileId ?? ""}
                        className="font-mono"
                        placeholder="ops-team"
                        onChange={(event) => update(action.key, { profileId: event.target.value })}
                      />
                    ),
                    "An alert has no event, so it has no profile of its own: name the profile to change.",
                  )
                : null}
              {action.type === "tag_profile"
                ? field("tag", "Tag", (fieldId) => (
                    <Input id={fieldId} value={action.tag} placeholder="vip" onChange={(event) => update(action.key, { tag: event.target.value })} />
                  ))
                : null}
              {action.type === "update_attribute" ? (
                <div className="grid gap-3 sm:grid-cols-[1fr_8rem_1fr]">
                  {field("attribute", "Attribute", (fieldId) => (
                    <Input
                      id={fieldId}
                      value={action.attribute}
                      className="font-mono"
                      placeholder="plan"
                      onChange={(event) => update(action.key, { attribute: event.target.value })}
                    />
                  ))}
                  {field("valueKind", "Value type", (fieldId) => (
                    <Select
                      id={fieldId}
                      value={action.valueKind}
                      onChange={(event) => {
                        const valueKind = VALUE_KINDS.find((kind) => kind === event.target.value);
                        if (valueKind) update(action.key, { valueKind, value: valueKind === "boolean" ? "true" : valueKind === "null" ? "" : action.value });
                      }}
                    >
                      {VALUE_KINDS.map((kind) => (
                        <option key={kind} value={kind}>
                          {kind}
                        </option>
                      ))}
                    </Select>
                  ))}
                  {action.valueKind === "boolean"
                    ? field("value", "Value", (fieldId) => (
                        <Select id={fieldId} value={action.value} onChange={(event) => update(action.key, { value: event.target.value })}>
                          <option value="true">true</option>
                          <option value="false">false</option>
                        </Select>
                      ))
                    : field("value", "Value", (fieldId) => (
                        <Input
                          id={fieldId}
                          value={action.value}
                          disabled={action.valueKind === "null"}
                          inputMode={action.valueKind === "number" ? "decimal" : undefined}
                          placeholder={action.valueKind === "null" ? "null" : action.valueKind === "number" ? "42" : "pro"}
                          onChange={(event) => update(action.key, { value: event.target.value })}
                        />
                      ))}
                </div>
              ) : null}
            </li>
          );
        })}
      </ol>
      <FieldError label="Actions" message={errors.actions} />
      <div className="flex flex-wrap items-end gap-2">
        <div className="space-y-1.5">
          <Label htmlFor={`${id}-add-type`}>Action type</Label>
          <Select
            id={`${id}-add-type`}
            className="w-52"
            value={typeToAdd}
            onChange={(event) => {
              const type = TRIGGER_ACTION_TYPES.find((name) => name === event.target.value);
              if (type) setTypeToAdd(type);
            }}
          >
            {TRIGGER_ACTION_TYPES.map((type) => (
              <option key={type} value={type}>
                {ACTION_LABELS[type]}
              </option>
            ))}
          </Select>
        </div>
        <Button
          type="button"
          variant="outline"
          disabled={actions.length >= MAX_ACTIONS}
          onClick={() => {
            const draft = emptyDraft(typeToAdd);
            onChange([...actions, namesProfile && (draft.type === "tag_profile" || draft.type === "update_attribute") ? { ...draft, profileId: "" } : draft]);
          }}
        >
          <Plus className="h-4 w-4" aria-hidden="true" />
          Add action
        </Button>
        {actions.length >= MAX_ACTIONS ? <p className="text-sm text-muted-foreground">At most {MAX_ACTIONS} actions.</p> : null}
      </div>
    </fieldset>
  );
}
