/**
 * Cohorts (src/core/cohorts.ts): definitions in PostgreSQL, members computed (dynamic) or stored
 * (static, in DuckDB) by the query service. Viewers read; members create, change and upload.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { cohortIdSchema, cohortInputSchema, cohortMemberIdSchema, MAX_STATIC_MEMBERS, parseMemberIds } from "~/core/cohorts";
import { queryInputs } from "~/contracts/query-service";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, projectProcedure, type TRPCContext } from "~/server/api/trpc";
import { cohortSelect, resolvedCohort } from "~/server/cohorts";
import { callQueryService } from "~/server/query-client";

/** Pasted or uploaded text: 100k ids of a typical length, with room for a CSV's other columns. */
const MAX_UPLOAD_CHARS = 8_000_000;

async function findCohort(ctx: Pick<TRPCContext, "db">, projectId: string, cohortId: string) {
  const row = await ctx.db.cohort.findFirst({ where: { id: cohortId, projectId }, select: cohortSelect });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Cohort not found." });
  return row;
}

const keyTaken = (key: string) => () => `A cohort with the key "${key}" already exists in this project; keys name cohorts in rules, so each is used once.`;

/** Rules naming the cohort's key (`profile.in_cohort('vip')`): deleting it would break them. */
async function rulesUsing(ctx: Pick<TRPCContext, "db">, projectId: string, key: string): Promise<string[]> {
  const triggers = await ctx.db.trigger.findMany({ where: { projectId, rule: { contains: "in_cohort" } }, select: { name: true, rule: true } });
  const uses = new RegExp(`in_cohort\\(\\s*['"]${key}['"]\\s*\\)`);
  return triggers.filter((trigger) => uses.test(trigger.rule)).map((trigger) => trigger.name);
}

export const cohortsRouter = createTRPCRouter({
  /** The project's cohorts with their last counted size (`count` refreshes it). */
  list: projectProcedure("viewer").query(({ ctx }) =>
    ctx.db.cohort.findMany({ where: { projectId: ctx.project.id }, select: cohortSelect, orderBy: { name: "asc" } }),
  ),

  get: projectProcedure("viewer", { cohortId: cohortIdSchema }).query(({ ctx, input }) => findCohort(ctx, ctx.project.id, input.cohortId)),

  create: projectProcedure("member", { cohort: cohortInputSchema }).mutation(({ ctx, input }) =>
    withConflict(
      () =>
        ctx.db.cohort.create({
          data: {
            projectId: ctx.project.id,
            key: input.cohort.key,
            name: input.cohort.name,
            description: input.cohort.description,
            kind: input.cohort.kind,
            definition: input.cohort.definition,
            memberCount: input.cohort.kind === "static" ? 0 : null,
          },
          select: cohortSelect,
        }),
      keyTaken(input.cohort.key),
    ),
  ),

  /** A new definition (or kind) is a new version: cached reports naming the cohort are computed again. */
  update: projectProcedure("member", { cohortId: cohortIdSchema, cohort: cohortInputSchema }).mutation(async ({ ctx, input }) => {
    const current = await findCohort(ctx, ctx.project.id, input.cohortId);
    if (current.key !== input.cohort.key) {
      const rules = await rulesUsing(ctx, ctx.project.id, current.key);
      if (rules.length > 0) {
        throw new TRPCError({ code: "CONFLICT", message: `Rules use the key "${current.key}" (${rules.join(", ")}); change them before renaming the key.` });
      }
    }
    if (current.kind === "static" && input.cohort.kind === "dynamic") {
      await callQueryService((service) => service.cohorts.deleteMembers.mutate({ projectId: ctx.project.id, cohortId: current.id }));
    }
    const changed = current.kind !== input.cohort.kind || JSON.stringify(current.definition ?? null) !== JSON.stringify(input.cohort.definition ?? null);
    return withConflict(
      () =>
        ctx.db.cohort.update({
          where: { id: current.id },
          data: {
            key: input.cohort.key,
            name: input.cohort.name,
            description: input.cohort.description,
            kind: input.cohort.kind,
            definition: input.cohort.definition ?? undefined,
            ...(changed ? { version: { increment: 1 }, memberCount: input.cohort.kind === "static" ? 0 : null, computedAt: null } : {}),
          },
          select: cohortSelect,
        }),
      keyTaken(input.cohort.key),
    );
  }),

  delete: projectProcedure("member", { cohortId: cohortIdSchema }).mutation(async ({ ctx, input }) => {
    const cohort = await findCohort(ctx, ctx.project.id, input.cohortId);
    const rules = await rulesUsing(ctx, ctx.project.id, cohort.key);
    if (rules.length > 0) throw new TRPCError({ code: "CONFLICT", message: `Rules use this cohort (${rules.join(", ")}); change them first.` });
    if (cohort.kind === "static") {
      await callQueryService((service) => service.cohorts.deleteMembers.mutate({ projectId: ctx.project.id, cohortId: cohort.id }));
    }
    await ctx.db.cohort.deleteMany({ where: { id: cohort.id, projectId: ctx.project.id } });
    return { deleted: true };
  }),

  /**
   * Replaces a static cohort's members with the ids given (a list, or pasted / uploaded text: one id
   * a line or CSV with the id first). Duplicates count once; bad lines are refused, naming them.
   */
  setStaticMembers: projectProcedure("member", {
    cohortId: cohortIdSchema,
    ids: z.array(cohortMemberIdSchema).max(MAX_STATIC_MEMBERS).optional(),
    text: z
      .string()
      .max(MAX_UPLOAD_CHARS, `The upload is over ${MAX_UPLOAD_CHARS.toLocaleString("en-US")} characters.`)
      .optional(),
  }).mutation(async ({ ctx, input }) => {
    const cohort = await findCohort(ctx, ctx.project.id, input.cohortId);
    if (cohort.kind !== "static")
      throw new TRPCError({ code: "BAD_REQUEST", message: "Only a static cohort has uploaded members; a dynamic one computes them." });
    if ((input.ids === undefined) === (input.text === undefined)) throw new TRPCError({ code: "BAD_REQUEST", message: "Send either ids or text." });
    const unique = [...new Set(input.ids)];
    const parsed = input.text !== undefined ? parseMemberIds(input.text) : { ids: unique, invalid: [], duplicates: (input.ids?.length ?? 0) - unique.length };
    if (parsed.invalid.length > 0) {
      const shown = parsed.invalid.slice(0, 5).map((bad) => `line ${bad.line}: ${bad.reason}`);
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `${parsed.invalid.length} line(s) are not profile ids (${shown.join("; ")}${parsed.invalid.length > 5 ? "; …" : ""}).`,
      });
    }
    if (parsed.ids.length > MAX_STATIC_MEMBERS) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `That is ${parsed.ids.length.toLocaleString("en-US")} ids; a static cohort holds at most ${MAX_STATIC_MEMBERS.toLocaleString("en-US")}.`,
      });
    }
    const { members } = await callQueryService((service) =>
      service.cohorts.setStaticMembers.mutate({ projectId: ctx.project.id, cohortId: cohort.id, ids: parsed.ids }),
    );
    const updated = await ctx.db.cohort.update({
      where: { id: cohort.id },
      data: { version: { increment: 1 }, memberCount: members, computedAt: new Date() },
      select: cohortSelect,
    });
    // members: ids stored; duplicates: repeats left out of the upload.
    return { cohort: updated, members, duplicates: parsed.duplicates };
  }),

  /** A page of the cohort's persons now, with their profile props (merged ids count as their person). */
  members: projectProcedure("viewer", { cohortId: cohortIdSchema, ...queryInputs.cohorts.members }).query(async ({ ctx, input }) => {
    const cohort = resolvedCohort(await findCohort(ctx, ctx.project.id, input.cohortId));
    return callQueryService((service) => service.cohorts.members.query({ projectId: ctx.project.id, cohort, cursor: input.cursor, limit: input.limit }));
  }),

  /** How many persons the cohort holds now; kept on the cohort for the list. */
  count: projectProcedure("viewer", { cohortId: cohortIdSchema }).query(async ({ ctx, input }) => {
    const row = await findCohort(ctx, ctx.project.id, input.cohortId);
    const { count } = await callQueryService((service) => service.cohorts.count.query({ projectId: ctx.project.id, cohort: resolvedCohort(row) }));
    const computedAt = new Date();
    // Not a new version: the definition is the same, only its count is refreshed.
    await ctx.db.cohort.updateMany({ where: { id: row.id, projectId: ctx.project.id }, data: { memberCount: count, computedAt } });
    return { count, computedAt };
  }),
});
