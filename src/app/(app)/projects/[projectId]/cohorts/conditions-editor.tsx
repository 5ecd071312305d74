"use client";

import { Plus, X } from "lucide-react";
import { FiltersEditor, SuggestInput } from "~/components/reports/pickers";
import { FILTER_OPERATORS, OPERATOR_LABELS, operatorTakesValue, type FilterOperator } from "~/components/reports/report-model";
import { Button } from "~/components/ui/button";
import { Input } from "~/components/ui/input";
import { Select } from "~/components/ui/select";
import type { FieldErrors } from "~/components/form-errors";
import { BEHAVIOUR_COMPARISONS, COMPARISON_LABELS, emptyCondition, MAX_CONDITIONS, type ConditionDraft } from "./cohort-drafts";

interface ConditionsEditorProps {
  match: "all" | "any";
  onMatchChange: (match: "all" | "any") => void;
  conditions: ConditionDraft[];
  onChange: (conditions: ConditionDraft[]) => void;
  /** Flat form errors ("conditions.0.event"). */
  errors: FieldErrors;
  eventNames: readonly string[];
  profileKeys: readonly string[];
  /** Event fields for a behaviour condition's own filters. */
  eventFields: readonly string[];
}

/** "People who match all / any of": rows of "did EVENT at least N times in the last D days" or "profile.KEY op value". */
export function ConditionsEditor({ match, onMatchChange, conditions, onChange, errors, eventNames, profileKeys, eventFields }: ConditionsEditorProps) {
  const change = (index: number, part: Partial<ConditionDraft>) => onChange(conditions.map((row, at) => (at === index ? { ...row, ...part } : row)));
  const listError = errors.conditions;
  return (
    <fieldset className="space-y-3">
      <legend className="sr-only">Conditions</legend>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span>People who match</span>
        <Select aria-label="Match" className="w-24" value={match} onChange={(event) => onMatchChange(event.target.value === "any" ? "any" : "all")}>
          <option value="all">all</option>
          <option value="any">any</option>
        </Select>
        <span>of these conditions</span>
      </div>
      <ol className="space-y-3">
        {conditions.map((row, index) => {
          const name = `Condition ${index + 1}`;
          const rowErrors = Object.entries(errors)
            .filter(([key]) => key.startsWith(`conditions.${index}.`))
            .map(([key, message]) => ({ key, message: message ?? "" }));
          return (
            <li key={index} className="space-y-2 rounded-md border bg-background p-3" aria-label={name}>
              {index > 0 ? <p className="text-xs font-medium uppercase text-muted-foreground">{match === "all" ? "and" : "or"}</p> : null}
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <Select
                  aria-label={`${name} kind`}
                  className="w-44"
                  value={row.kind}
                  onChange={(event) => change(index, { kind: event.target.value === "prop" ? "prop" : "behaviour" })}
                >
                  <option value="behaviour">Did an event</option>
                  <option value="prop">Profile property</option>
                </Select>
                {row.kind === "behaviour" ? (
                  <BehaviourInputs name={name} row={row} onChange={(part) => change(index, part)} eventNames={eventNames} invalid={rowErrors} />
                ) : (
                  <PropInputs name={name} row={row} onChange={(part) => change(index, part)} profileKeys={profileKeys} invalid={rowErrors} />
                )}
                <Button
                  type="button"
                  variant="ghost"
                  size="icon"
                  className="ml-auto h-8 w-8"
                  aria-label={`Remove condition ${index + 1}`}
                  onClick={() => onChange(conditions.filter((_, at) => at !== index))}
                >
                  <X className="h-4 w-4" aria-hidden="true" />
                </Button>
              </div>
              {row.kind === "behaviour" ? (
                row.filters.length > 0 ? (
                  <div className="ml-2 border-l pl-3">
                    <FiltersEditor value={row.filters} onChange={(filters) => change(index, { filters })} fields={eventFields} label={`${name} event filter`} />
                  </div>
                ) : (
                  <button
                    type="button"
                    className="text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline"
                    aria-label={`Add an event filter to condition ${index + 1}`}
                    onClick={() => change(index, { filters: [{ field: "", op: "eq", value: "" }] })}
                  >
                    + only events where…
                  </button>
                )
              ) : null}
              {rowErrors.length > 0 ? (
                <ul className="space-y-0.5 text-sm text-destructive" id={`${name}-errors`}>
                  {rowErrors.map(({ key, message }) => (
                    <li key={key}>
                      {fieldLabel(key)} {message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          );
        })}
      </ol>
      {listError ? <p className="text-sm text-destructive">{listError}</p> : null}
      <div className="flex flex-wrap gap-2">
        <Button
          type="button"
          variant="outline"
          size="sm"
          disabled={conditions.length >= MAX_CONDITIONS}
          onClick={() => onChange([...conditions, emptyCondition("behaviour")])}
        >
          <Plus className="h-3.5 w-3.5" aria-hidden="true" />
          Event condition
        </Button>
        <Button
          type="button"
          variant="outline"
          size="sm"
          disabled={conditions.length >= MAX_CONDITIONS}
          onClick={() => onChange([...conditions, emptyCondition("prop")])}
        >
          <Plus className="h-3.5 w-3.5" aria-hidden="true" />
          Profile condition
        </Button>
      </div>
    </fieldset>
  );
}

/** "Event", "Count", … for an error of conditions.N.<part>; a message that names its field already reads on its own. */
function fieldLabel(key: string): string {
  const part = key.split(".")[2] ?? "";
  const labels: Record<string, string> = { event: "Event", count: "Count", days: "Days", property: "Property", value: "Value", filters: "", comparison: "" };
  return labels[part] ?? "";
}

type RowErrors = Array<{ key: string }>;
const has = (errors: RowErrors, part: string) => errors.some((error) => error.key.endsWith(`.${part}`)) || undefined;

function BehaviourInputs({
  name,
  row,
  onChange,
  eventNames,
  invalid,
}: {
  name: string;
  row: ConditionDraft;
  onChange: (part: Partial<ConditionDraft>) => void;
  eventNames: readonly string[];
  invalid: RowErrors;
}) {
  return (
    <>
      <SuggestInput
        aria-label={`${name} event`}
        aria-invalid={has(invalid, "event")}
        className="w-44"
        placeholder="purchase"
        options={eventNames}
        value={row.event}
        onValueChange={(event) => onChange({ event })}
      />
      <Select
        aria-label={`${name} how often`}
        className="w-28"
        value={row.comparison}
        onChange={(event) => onChange({ comparison: BEHAVIOUR_COMPARISONS.find((value) => value === event.target.value) ?? "at_least" })}
      >
        {BEHAVIOUR_COMPARISONS.map((comparison) => (
          <option key={comparison} value={comparison}>
            {COMPARISON_LABELS[comparison]}
          </option>
        ))}
      </Select>
      <Input
        aria-label={`${name} times`}
        aria-invalid={has(invalid, "count")}
        className="w-20"
        inputMode="numeric"
        value={row.count}
        onChange={(event) => onChange({ count: event.target.value })}
      />
      <span>times in the last</span>
      <Input
        aria-label={`${name} days`}
        aria-invalid={has(invalid, "days")}
        className="w-20"
        inputMode="numeric"
        value={row.days}
        onChange={(event) => onChange({ days: event.target.value })}
      />
      <span>days</span>
    </>
  );
}

function PropInputs({
  name,
  row,
  onChange,
  profileKeys,
  invalid,
}: {
  name: string;
  row: ConditionDraft;
  onChange: (part: Partial<ConditionDraft>) => void;
  profileKeys: readonly string[];
  invalid: RowErrors;
}) {
  return (
    <>
      <span className="font-mono text-xs text-muted-foreground">profile.</span>
      <SuggestInput
        aria-label={`${name} property`}
        aria-invalid={has(invalid, "property")}
        className="w-36"
        placeholder="plan"
        options={profileKeys}
        value={row.property}
        onValueChange={(property) => onChange({ property })}
      />
      <Select
        aria-label={`${name} operator`}
        className="w-40"
        value={row.op}
        onChange={(event) => onChange({ op: FILTER_OPERATORS.find((op) => op === event.target.value) ?? ("eq" satisfies FilterOperator) })}
      >
        {FILTER_OPERATORS.map((op) => (
          <option key={op} value={op}>
            {OPERATOR_LABELS[op]}
          </option>
        ))}
      </Select>
      {operatorTakesValue(row.op) ? (
        <Input
          aria-label={`${name} value`}
          aria-invalid={has(invalid, "value")}
          className="w-40"
          maxLength={2000}
          placeholder={row.op === "in" || row.op === "not_in" ? "a, b, c" : "value"}
          value={row.value}
          onChange={(event) => onChange({ value: event.target.value })}
        />
      ) : null}
    </>
  );
}
