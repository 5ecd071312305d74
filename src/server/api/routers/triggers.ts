import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { NO_MEMBERSHIP, sampleProfileId, testRuleOnSample } from "~/core/processing";
import { checkRule, compileRule, MAX_RULE_LENGTH, type AttributeDef, type RuleCheck } from "~/core/rules";
import { ATTRIBUTE_ENTITIES, ATTRIBUTE_TYPES, eventTypeSchema } from "~/core/tracking-plan";
import { RESERVED_KEYS } from "~/core/storable";
import { triggerActionSchema, triggerInputSchema, type TriggerAction } from "~/core/triggers";
import type { PrismaClient } from "~/generated/prisma/client";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { backtestInput, backtestPage } from "./trigger-backtest";
import { cohortKeysOf, membershipOf } from "./trigger-cohorts";

const triggerSelect = {
  id: true,
  name: true,
  rule: true,
  actions: true,
  enabled: true,
  cooldownSeconds: true,
  version: true,
  createdAt: true,
  updatedAt: true,
} as const;
const duplicate = () => "A trigger with this name already exists in this project.";
const triggerId = z.string().min(1).max(64);

/** Stored actions are re-validated on the way out, so a bad row cannot reach the UI or the worker unparsed. */
function withParsedActions<T extends { actions: unknown }>(trigger: T) {
  return { ...trigger, actions: z.array(triggerActionSchema).catch([]).parse(trigger.actions) };
}

const storedAttribute = z.object({ entity: z.enum(ATTRIBUTE_ENTITIES), name: z.string(), type: z.enum(ATTRIBUTE_TYPES) });

/** The project's attribute definitions, as the rule checker wants them (the same ones the worker compiles against). */
async function attributesOf(db: PrismaClient, projectId: string): Promise<AttributeDef[]> {
  const rows = await db.attributeDefinition.findMany({ where: { projectId }, select: { entity: true, name: true, type: true }, orderBy: { name: "asc" } });
  return rows.flatMap((row) => {
    const parsed = storedAttribute.safeParse(row);
    return parsed.success ? [parsed.data] : [];
  });
}

/** What a project's rules are checked against: its attributes and its cohort keys. */
interface RuleVocabulary {
  attributes: AttributeDef[];
  cohorts: string[];
}

async function vocabularyOf(db: PrismaClient, projectId: string): Promise<RuleVocabulary> {
  const [attributes, cohorts] = await Promise.all([attributesOf(db, projectId), cohortKeysOf(db, projectId)]);
  return { attributes, cohorts };
}

/** Refuses a rule that does not check, naming every problem (the editor shows them inline through `check`). */
function assertRuleChecks(rule: string, { attributes, cohorts }: RuleVocabulary): void {
  const check = checkRule(rule, attributes, cohorts);
  if (!check.ok) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `The rule does not check: ${check.errors.map((problem) => problem.message).join("; ")}.` });
  }
}

/** Refuses webhook actions whose endpoint is not one of the project's (another project's, deleted, or made up). */
async function assertWebhookEndpointsExist(db: PrismaClient, projectId: string, actions: readonly TriggerAction[]): Promise<void> {
  const wanted = [...new Set(actions.flatMap((action) => (action.type === "webhook" ? [action.endpointId] : [])))];
  if (wanted.length === 0) return;
  const found = await db.webhookEndpoint.findMany({ where: { projectId, id: { in: wanted } }, select: { id: true } });
  const missing = wanted.filter((id) => !found.some((endpoint) => endpoint.id === id));
  if (missing.length > 0) {
    const named = missing.map((id) => `“${id}”`).join(", ");
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The webhook endpoint ${named} is not one of this project's endpoints; pick one from the Webhooks page.`,
    });
  }
}

/** True when a prototype key appears anywhere in a JSON value (zod's record drops `__proto__` silently). */
function hasReservedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasReservedKey);
  if (typeof value !== "object" || value === null) return false;
  return Object.keys(value).some((key) => RESERVED_KEYS.has(key) || hasReservedKey((value as Record<string, unknown>)[key]));
}

/** Props a person typed for a test: JSON objects without prototype keys, of modest size. */
const sampleProps = z
  .unknown()
  .refine((value) => !hasReservedKey(value), "must not use the keys __proto__, constructor or prototype")
  .pipe(z.record(z.string().max(128), z.json()).refine((props) => JSON.stringify(props).length <= 32_768, "are larger than 32 KB"))
  .default({});

// The same names the tracking plan accepts, so a sample event cannot carry markup.
const eventName = eventTypeSchema.shape.name;

/** A rule being typed may be long or empty: checkRule reports that inline rather than zod refusing it. */
const ruleText = z.string().max(MAX_RULE_LENGTH, `is longer than ${MAX_RULE_LENGTH} characters`);

export interface RuleTestResult {
  result: boolean;
  /** Why the rule could not be evaluated: it does not check, or it failed at runtime. */
  error?: string;
  actionsThatWouldRun: TriggerAction[];
}

export const triggersRouter = createTRPCRouter({
  list: projectProcedure("viewer").query(async ({ ctx }) => {
    const [triggers, { attributes, cohorts }] = await Promise.all([
      ctx.db.trigger.findMany({ where: { projectId: ctx.project.id }, select: triggerSelect, orderBy: { createdAt: "desc" } }),
      vocabularyOf(ctx.db, ctx.project.id),
    ]);
    // A rule can stop checking after it was saved (an attribute or cohort it reads was deleted); the worker then skips it.
    return triggers.map((trigger) => {
      const check = checkRule(trigger.rule, attributes, cohorts);
      return { ...withParsedActions(trigger), ruleProblems: check.ok ? [] : check.errors };
    });
  }),

  create: projectProcedure("member", { trigger: triggerInputSchema }).mutation(async ({ ctx, input }) => {
    assertRuleChecks(input.trigger.rule, await vocabularyOf(ctx.db, ctx.project.id));
    await assertWebhookEndpointsExist(ctx.db, ctx.project.id, input.trigger.actions);
    return withParsedActions(
      await withConflict(() => ctx.db.trigger.create({ data: { projectId: ctx.project.id, ...input.trigger }, select: triggerSelect }), duplicate),
    );
  }),

  update: projectProcedure("member", { triggerId, trigger: triggerInputSchema }).mutation(async ({ ctx, input }) => {
    const existing = await ctx.db.trigger.findFirst({ where: { id: input.triggerId, projectId: ctx.project.id }, select: { id: true } });
    if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    assertRuleChecks(input.trigger.rule, await vocabularyOf(ctx.db, ctx.project.id));
    await assertWebhookEndpointsExist(ctx.db, ctx.project.id, input.trigger.actions);
    return withParsedActions(
      await withConflict(
        () => ctx.db.trigger.update({ where: { id: existing.id }, data: { ...input.trigger, version: { increment: 1 } }, select: triggerSelect }),
        duplicate,
      ),
    );
  }),

  setEnabled: projectProcedure("member", { triggerId, enabled: z.boolean() }).mutation(async ({ ctx, input }) => {
    if (input.enabled) {
      const existing = await ctx.db.trigger.findFirst({ where: { id: input.triggerId, projectId: ctx.project.id }, select: { rule: true } });
      if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
      assertRuleChecks(existing.rule, await vocabularyOf(ctx.db, ctx.project.id));
    }
    const result = await ctx.db.trigger.updateMany({
      where: { id: input.triggerId, projectId: ctx.project.id },
      data: { enabled: input.enabled, version: { increment: 1 } },
    });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    return { enabled: input.enabled };
  }),

  delete: projectProcedure("member", { triggerId }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.trigger.deleteMany({ where: { id: input.triggerId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    return { deleted: true };
  }),

  /** Errors and warnings with source offsets, for the editor's inline marks as the rule is typed. */
  check: projectProcedure("viewer", { rule: ruleText }).query(async ({ ctx, input }): Promise<RuleCheck> => {
    const { attributes, cohorts } = await vocabularyOf(ctx.db, ctx.project.id);
    return checkRule(input.rule, attributes, cohorts);
  }),

  /**
   * Evaluates a rule on a sample event and profile as the processor would (core/processing): the
   * earlier events in `history` and then the sample go through evaluateEvent, so windows hold what
   * production's would. An anonymous sample (`profile_id: null`) has no windows and no profile props.
   * `profile.in_cohort` looks the sample's profile id up in the cohort's current members.
   */
  test: projectProcedure("viewer", {
    rule: ruleText,
    event: z.strictObject({
      name: eventName,
      props: sampleProps,
      profile_id: z.string().min(1).max(256).nullable().optional(),
    }),
    profile: z.strictObject({ props: sampleProps }).default({ props: {} }),
    history: z
      .array(
        z.strictObject({
          name: eventName,
          props: sampleProps,
          secondsAgo: z
            .number()
            .min(0)
            .max(7 * 24 * 3600),
        }),
      )
      .max(500)
      .default([]),
    actions: z.array(triggerActionSchema).max(10).default([]),
  }).mutation(async ({ ctx, input }): Promise<RuleTestResult> => {
    const { attributes, cohorts } = await vocabularyOf(ctx.db, ctx.project.id);
    let rule;
    try {
      rule = compileRule(input.rule, attributes, cohorts);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { result: false, error: `The rule does not check: ${message}.`, actionsThatWouldRun: [] };
    }
    const trigger = { id: "rule-under-test", name: "Rule under test", version: 0, cooldownMs: 0, actions: input.actions, rule };
    const membership = sampleProfileId(input) === null ? NO_MEMBERSHIP : await membershipOf(ctx.db, ctx.project.id, rule.cohortKeys);
    const outcome = testRuleOnSample(trigger, input, Date.now(), membership);
    if (outcome?.result === "error") return { result: false, error: `The rule failed at runtime: ${outcome.error}.`, actionsThatWouldRun: [] };
    return outcome ? { result: true, actionsThatWouldRun: input.actions } : { result: false, actionsThatWouldRun: [] };
  }),

  /** One page of a backtest: how often the rule would have fired on the stored events of the last `days` days (trigger-backtest.ts). */
  backtest: projectProcedure("member", backtestInput).mutation(async ({ ctx, input }) =>
    backtestPage(ctx.project.id, await vocabularyOf(ctx.db, ctx.project.id), input, (keys) => membershipOf(ctx.db, ctx.project.id, keys)),
  ),
});
