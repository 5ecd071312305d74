/**
 * Cohorts: saved sets of people, usable as a filter and a breakdown in every report and in rules
 * (`profile.in_cohort('key')`). Pure schemas; membership SQL lives in workers/query/cohorts.ts.
 *
 * - dynamic: people matching conditions on their profile (its latest state) and on what they did
 *   ("did purchase at least 3 times in the last 30 days"), evaluated at the time of asking.
 * - static: a list of profile ids, uploaded or pasted; stored in DuckDB (`cohort_members`).
 *
 * Membership is by person: an id merged into another (identity merge) counts as that person, so a
 * static list naming an anonymous id holds the user it became. A dynamic cohort's people are those
 * with a profile, plus anyone with events its behaviour conditions count.
 */
import { z } from "zod";
import { cohortIdSchema, eventNameSchema, filterSchema, filtersSchema } from "./reports";
import { plainText } from "./text";

export { cohortIdSchema };

/** The name rules use (`profile.in_cohort('vip')`): lower-case, unique per project. */
export const COHORT_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const cohortKeySchema = z
  .string()
  .regex(COHORT_KEY_PATTERN, "A cohort key starts with a lower-case letter, then lower-case letters, digits or _ (at most 64 characters).");

export const COHORT_KINDS = ["dynamic", "static"] as const;
export type CohortKind = (typeof COHORT_KINDS)[number];

/** A condition on the person's profile: a report filter on a `profile.<key>` field. */
export const cohortPropConditionSchema = z.strictObject({
  kind: z.literal("prop"),
  filter: filterSchema.refine((filter) => filter.field.startsWith("profile."), {
    message: "A profile condition filters a profile.<key> field.",
    path: ["field"],
  }),
});

export const BEHAVIOUR_COMPARISONS = ["at_least", "at_most", "exactly"] as const;
export type BehaviourComparison = (typeof BEHAVIOUR_COMPARISONS)[number];
export const MAX_BEHAVIOUR_DAYS = 365;

/** "Did `event` (matching `filters`) at least / at most / exactly `count` times in the last `days` days." */
export const cohortBehaviourConditionSchema = z.strictObject({
  kind: z.literal("behaviour"),
  event: eventNameSchema,
  filters: filtersSchema,
  comparison: z.enum(BEHAVIOUR_COMPARISONS).default("at_least"),
  count: z.number().int().min(0).max(1_000_000).default(1),
  days: z.number().int().min(1).max(MAX_BEHAVIOUR_DAYS).default(30),
});

export const cohortConditionSchema = z.discriminatedUnion("kind", [cohortPropConditionSchema, cohortBehaviourConditionSchema]);
export type CohortCondition = z.output<typeof cohortConditionSchema>;
export type CohortConditionInput = z.input<typeof cohortConditionSchema>;

export const dynamicCohortDefinitionSchema = z.strictObject({
  /** all: every condition holds; any: at least one does. */
  match: z.enum(["all", "any"]).default("all"),
  conditions: z.array(cohortConditionSchema).min(1, "A dynamic cohort needs at least one condition.").max(20),
});
export type DynamicCohortDefinition = z.output<typeof dynamicCohortDefinitionSchema>;
export type DynamicCohortDefinitionInput = z.input<typeof dynamicCohortDefinitionSchema>;

const cohortFields = {
  key: cohortKeySchema,
  name: plainText(100),
  description: plainText(500, { required: false }).default(""),
};

/** What a person saves: a dynamic cohort has a definition, a static one has none (its ids come separately). */
export const cohortInputSchema = z
  .strictObject({ ...cohortFields, kind: z.enum(COHORT_KINDS), definition: dynamicCohortDefinitionSchema.optional() })
  .superRefine((input, ctx) => {
    if (input.kind === "dynamic" && !input.definition) {
      ctx.addIssue({ code: "custom", path: ["definition"], message: "A dynamic cohort needs a definition." });
    }
    if (input.kind === "static" && input.definition) {
      ctx.addIssue({ code: "custom", path: ["definition"], message: "A static cohort has no definition: its members are uploaded." });
    }
  });
export type CohortInput = z.input<typeof cohortInputSchema>;

/** A cohort's members as uploaded: profile ids, as events name them. */
export const cohortMemberIdSchema = z.string().min(1).max(256);
export const MAX_STATIC_MEMBERS = 100_000;

/** A CSV line's first cell, trimmed: up to the first comma, or a quoted cell (commas and "" inside). */
function firstCsvCell(line: string): string {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith('"')) return line.split(",")[0]!.trim();
  const closing = /^"((?:[^"]|"")*)"\s*(,|$)/.exec(trimmed);
  return closing ? closing[1]!.replaceAll('""', '"').trim() : line.split(",")[0]!.trim();
}

/**
 * Splits pasted or uploaded text (one id a line, or CSV with the id first) into ids, deduplicated in
 * first-seen order. A header line `profile_id` / `id` is skipped. Bad lines are reported by number,
 * and repeats counted, so the upload can say what it left out.
 */
export function parseMemberIds(text: string): { ids: string[]; invalid: Array<{ line: number; reason: string }>; duplicates: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  const invalid: Array<{ line: number; reason: string }> = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const id = firstCsvCell(raw);
    if (id === "") return;
    if (index === 0 && /^(profile_?id|id|user_?id)$/i.test(id)) return;
    if (id.length > 256) invalid.push({ line: index + 1, reason: "longer than 256 characters" });
    else if ([...id].some((char) => char.charCodeAt(0) < 32 || char.charCodeAt(0) === 127))
      invalid.push({ line: index + 1, reason: "holds a control character" });
    else if (seen.has(id)) duplicates += 1;
    else seen.add(id);
  });
  return { ids: [...seen], invalid, duplicates };
}

/**
 * A cohort as the app hands it to the query service: resolved from the report's project (tenant
 * checked), with `version` (its last change) so a cached report is not served after the cohort changed.
 */
export const resolvedCohortSchema = z.strictObject({
  id: cohortIdSchema,
  key: cohortKeySchema,
  name: z.string().max(100),
  kind: z.enum(COHORT_KINDS),
  /** Dynamic cohorts only. */
  definition: dynamicCohortDefinitionSchema.nullable(),
  version: z.string().min(1).max(64),
});
export type ResolvedCohort = z.output<typeof resolvedCohortSchema>;
export const resolvedCohortsSchema = z.array(resolvedCohortSchema).max(15).default([]);

/** A stored cohort row as the query service takes it; null when its stored definition no longer parses. */
export function toResolvedCohort(row: { id: string; key: string; name: string; kind: string; definition: unknown; version: number }): ResolvedCohort | null {
  const kind = row.kind === "static" ? "static" : "dynamic";
  const definition = kind === "dynamic" ? dynamicCohortDefinitionSchema.safeParse(row.definition) : null;
  if (definition && !definition.success) return null;
  return { id: row.id, key: row.key, name: row.name, kind, definition: definition ? definition.data : null, version: String(row.version) };
}
