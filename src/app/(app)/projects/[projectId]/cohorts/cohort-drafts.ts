/**
 * The cohort form's state (text as typed, one flat row per condition) and its conversion to the
 * shared cohort input schema, and back for editing; plus a cohort's conditions in words for the
 * list. Pure: the form only wires these to inputs.
 */
import { z } from "zod";
import { draftFromFilter, filtersFromDrafts, filterFromDraft, OPERATOR_LABELS, operatorTakesValue, type FilterDraft } from "~/components/reports/report-model";
import {
  BEHAVIOUR_COMPARISONS,
  cohortInputSchema,
  type BehaviourComparison,
  type CohortCondition,
  type CohortInput,
  type CohortKind,
  type DynamicCohortDefinition,
} from "~/core/cohorts";
import type { Filter } from "~/core/reports";

export const COMPARISON_LABELS: Record<BehaviourComparison, string> = { at_least: "at least", at_most: "at most", exactly: "exactly" };
export { BEHAVIOUR_COMPARISONS };

/** One condition row. Both kinds' inputs live in the row, so switching its kind keeps what was typed. */
export interface ConditionDraft {
  kind: "prop" | "behaviour";
  /** prop: the profile property, without the `profile.` prefix (e.g. `plan`, `address.city`). */
  property: string;
  op: FilterDraft["op"];
  value: string;
  /** behaviour: the event, how often, and over how many days. */
  event: string;
  comparison: BehaviourComparison;
  count: string;
  days: string;
  /** behaviour: only events matching these count. */
  filters: FilterDraft[];
}

export interface CohortFormValues {
  key: string;
  name: string;
  description: string;
  kind: CohortKind;
  match: "all" | "any";
  conditions: ConditionDraft[];
}

export const MAX_CONDITIONS = 20;

export function emptyCondition(kind: ConditionDraft["kind"] = "behaviour"): ConditionDraft {
  return { kind, property: "", op: "eq", value: "", event: "", comparison: "at_least", count: "1", days: "30", filters: [] };
}

export function emptyCohortForm(): CohortFormValues {
  return { key: "", name: "", description: "", kind: "dynamic", match: "all", conditions: [emptyCondition()] };
}

/** A key suggested from the name while the key is untouched: "VIP buyers" → "vip_buyers". */
export function keyFromName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .replace(/_+$/, "")
    .slice(0, 64)
    .replace(/_+$/, "");
  return slug;
}

const PROFILE_PREFIX = "profile.";

/** A whole number as typed, or the text itself so the schema names the problem ("must be a number"). */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

type Problem = { path: Array<string | number>; message: string };

/** One row as a condition candidate for the schema, or the problems the row itself shows. */
function conditionFromDraft(draft: ConditionDraft, index: number, problems: Problem[]): unknown {
  if (draft.kind === "prop") {
    const property = draft.property.trim().replace(/^profile\./, "");
    if (!property) {
      problems.push({ path: ["conditions", index, "property"], message: "is required" });
      return null;
    }
    const filter = filterFromDraft({ field: `${PROFILE_PREFIX}${property}`, op: draft.op, value: draft.value });
    if ("error" in filter) {
      problems.push({ path: ["conditions", index, operatorTakesValue(draft.op) ? "value" : "property"], message: filter.error });
      return null;
    }
    return { kind: "prop", filter: filter.filter };
  }
  const filters = filtersFromDrafts(draft.filters);
  if ("error" in filters) problems.push({ path: ["conditions", index, "filters"], message: filters.error });
  return {
    kind: "behaviour",
    event: draft.event.trim(),
    filters: "error" in filters ? [] : filters.filters,
    comparison: draft.comparison,
    count: numberOf(draft.count),
    days: numberOf(draft.days),
  };
}

/** Where a schema issue is shown in the form: the row's input it is about. */
function formPath(path: ReadonlyArray<PropertyKey>): Array<string | number> {
  if (path[0] !== "definition") return path.map((part) => (typeof part === "number" ? part : String(part)));
  if (path[1] !== "conditions" || typeof path[2] !== "number") return ["conditions"];
  const index = path[2];
  const part = path[3];
  if (part === "filter") return ["conditions", index, path[4] === "field" ? "property" : "value"];
  if (part === "event" || part === "count" || part === "days" || part === "filters" || part === "comparison") return ["conditions", index, part];
  return ["conditions", index, "event"];
}

/** The form's values as the cohort input the server takes; problems are attached to the inputs they are about. */
export const cohortFormSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(["dynamic", "static"]),
    match: z.enum(["all", "any"]),
    conditions: z.array(z.custom<ConditionDraft>()),
  })
  .transform((values, ctx): z.output<typeof cohortInputSchema> => {
    const problems: Problem[] = [];
    const base = { key: values.key.trim(), name: values.name, description: values.description, kind: values.kind };
    const candidate =
      values.kind === "static"
        ? base
        : { ...base, definition: { match: values.match, conditions: values.conditions.map((draft, index) => conditionFromDraft(draft, index, problems)) } };
    const parsed = cohortInputSchema.safeParse(candidate);
    if (!parsed.success) {
      // A row that already said what is wrong with it is not blamed again by the schema.
      const rowsWithProblems = new Set(problems.map((problem) => problem.path[1]));
      for (const issue of parsed.error.issues) {
        const path = formPath(issue.path);
        if (path[0] === "conditions" && path.length > 1 && rowsWithProblems.has(path[1]!)) continue;
        problems.push({ path, message: issue.message });
      }
    }
    for (const problem of problems) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    if (problems.length > 0 || !parsed.success) return z.NEVER;
    return parsed.data;
  });

/** A saved cohort back as form values, for editing. */
export function formFromCohort(cohort: { key: string; name: string; description: string; kind: string; definition: unknown }): CohortFormValues {
  const kind: CohortKind = cohort.kind === "static" ? "static" : "dynamic";
  const definition = (cohort.definition ?? null) as DynamicCohortDefinition | null;
  return {
    key: cohort.key,
    name: cohort.name,
    description: cohort.description,
    kind,
    match: definition?.match ?? "all",
    conditions: definition?.conditions.map(draftFromCondition) ?? [emptyCondition()],
  };
}

function draftFromCondition(condition: CohortCondition): ConditionDraft {
  if (condition.kind === "prop") {
    const filter = draftFromFilter(condition.filter);
    return { ...emptyCondition("prop"), property: filter.field.replace(/^profile\./, ""), op: filter.op, value: filter.value };
  }
  return {
    ...emptyCondition("behaviour"),
    event: condition.event,
    comparison: condition.comparison,
    count: String(condition.count),
    days: String(condition.days),
    filters: condition.filters.map(draftFromFilter),
  };
}

function describeFilter(filter: Filter): string {
  const op = OPERATOR_LABELS[filter.op];
  if ("values" in filter) return `${filter.field} ${op} ${filter.values.join(", ")}`;
  if ("value" in filter) return `${filter.field} ${op} ${String(filter.value)}`;
  return `${filter.field} ${op}`;
}

/** A condition in words: "did purchase at least 3 times in the last 30 days", "profile.plan equals pro". */
export function describeCondition(condition: CohortCondition): string {
  if (condition.kind === "prop") return describeFilter(condition.filter);
  const times = condition.count === 1 ? "time" : "times";
  const where = condition.filters.length > 0 ? ` where ${condition.filters.map(describeFilter).join(" and ")}` : "";
  const days = condition.days === 1 ? "day" : `${condition.days} days`;
  return `did ${condition.event}${where} ${COMPARISON_LABELS[condition.comparison]} ${condition.count} ${times} in the last ${days}`;
}

/** The whole definition in words, conditions joined by "and" or "or". */
export function describeDefinition(definition: DynamicCohortDefinition): string {
  return definition.conditions.map(describeCondition).join(definition.match === "all" ? " and " : " or ");
}

export type { CohortInput };
