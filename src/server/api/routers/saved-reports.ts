/** Saved reports (PostgreSQL): a name, a kind and a definition validated by the same schemas the query service uses. */
import { plainText } from "~/core/text";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { reportSpecSchema, type ReportSpec } from "~/core/reports";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { cohortsOfDefinition } from "~/server/cohorts";

const select = { id: true, name: true, kind: true, definition: true, onDashboard: true, position: true, createdAt: true, updatedAt: true } as const;
const nameSchema = plainText(200);
const reportId = z.string().min(1).max(64);

/** Stored definitions are re-validated on the way out; one that no longer parses comes back with `spec: null`. */
function withSpec<T extends { kind: string; definition: unknown }>(row: T): Omit<T, "definition"> & { spec: ReportSpec | null } {
  const parsed = reportSpecSchema.safeParse({ kind: row.kind, definition: row.definition });
  const { definition: _definition, ...rest } = row;
  return { ...rest, spec: parsed.success ? parsed.data : null };
}

export const savedReportsRouter = createTRPCRouter({
  list: projectProcedure("viewer", { onDashboard: z.boolean().optional() }).query(async ({ ctx, input }) => {
    const rows = await ctx.db.savedReport.findMany({
      where: { projectId: ctx.project.id, ...(input.onDashboard === undefined ? {} : { onDashboard: input.onDashboard }) },
      select,
      orderBy: [{ position: "asc" }, { createdAt: "asc" }],
    });
    return rows.map(withSpec);
  }),

  create: projectProcedure("member", { name: nameSchema, spec: reportSpecSchema, onDashboard: z.boolean().default(false) }).mutation(async ({ ctx, input }) => {
    // The cohorts it names must be this project's (a BAD_REQUEST names one that is not).
    await cohortsOfDefinition(ctx.db, ctx.project.id, input.spec.definition);
    const last = await ctx.db.savedReport.aggregate({ where: { projectId: ctx.project.id }, _max: { position: true } });
    const row = await ctx.db.savedReport.create({
      data: {
        projectId: ctx.project.id,
        name: input.name,
        kind: input.spec.kind,
        definition: input.spec.definition,
        onDashboard: input.onDashboard,
        position: (last._max.position ?? -1) + 1,
      },
      select,
    });
    return withSpec(row);
  }),

  update: projectProcedure("member", { reportId, name: nameSchema.optional(), spec: reportSpecSchema.optional() }).mutation(async ({ ctx, input }) => {
    if (input.spec) await cohortsOfDefinition(ctx.db, ctx.project.id, input.spec.definition);
    const result = await ctx.db.savedReport.updateMany({
      where: { id: input.reportId, projectId: ctx.project.id },
      data: { ...(input.name ? { name: input.name } : {}), ...(input.spec ? { kind: input.spec.kind, definition: input.spec.definition } : {}) },
    });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
    return withSpec(await ctx.db.savedReport.findUniqueOrThrow({ where: { id: input.reportId }, select }));
  }),

  delete: projectProcedure("member", { reportId }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.savedReport.deleteMany({ where: { id: input.reportId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
    return { deleted: true };
  }),

  setOnDashboard: projectProcedure("member", { reportId, onDashboard: z.boolean() }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.savedReport.updateMany({ where: { id: input.reportId, projectId: ctx.project.id }, data: { onDashboard: input.onDashboard } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
    return { onDashboard: input.onDashboard };
  }),

  /** Sets the order of the project's reports: `reportIds` lists every one of them, first to last. */
  reorder: projectProcedure("member", { reportIds: z.array(reportId).min(1).max(500) }).mutation(async ({ ctx, input }) => {
    const existing = await ctx.db.savedReport.findMany({ where: { projectId: ctx.project.id }, select: { id: true } });
    const known = new Set(existing.map((row) => row.id));
    const unique = new Set(input.reportIds);
    if (input.reportIds.some((id) => !known.has(id))) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
    if (unique.size !== input.reportIds.length || unique.size !== known.size) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "List every saved report of this project exactly once." });
    }
    await ctx.db.$transaction(input.reportIds.map((id, position) => ctx.db.savedReport.update({ where: { id }, data: { position } })));
    return { reportIds: input.reportIds };
  }),
});
