import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { triggerActionSchema, triggerInputSchema } from "~/domain/triggers";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";

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

/** Stored actions are re-validated on the way out, so a bad row cannot reach the UI or the worker unparsed. */
function withParsedActions<T extends { actions: unknown }>(trigger: T) {
  return { ...trigger, actions: z.array(triggerActionSchema).catch([]).parse(trigger.actions) };
}

export const triggersRouter = createTRPCRouter({
  list: projectProcedure("viewer").query(async ({ ctx }) => {
    const triggers = await ctx.db.trigger.findMany({ where: { projectId: ctx.project.id }, select: triggerSelect, orderBy: { createdAt: "desc" } });
    return triggers.map(withParsedActions);
  }),

  create: projectProcedure("member", { trigger: triggerInputSchema }).mutation(async ({ ctx, input }) =>
    withParsedActions(
      await withConflict(() => ctx.db.trigger.create({ data: { projectId: ctx.project.id, ...input.trigger }, select: triggerSelect }), duplicate),
    ),
  ),

  update: projectProcedure("member", { triggerId: z.string().min(1).max(64), trigger: triggerInputSchema }).mutation(async ({ ctx, input }) => {
    const existing = await ctx.db.trigger.findFirst({ where: { id: input.triggerId, projectId: ctx.project.id }, select: { id: true } });
    if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    return withParsedActions(
      await withConflict(
        () => ctx.db.trigger.update({ where: { id: existing.id }, data: { ...input.trigger, version: { increment: 1 } }, select: triggerSelect }),
        duplicate,
      ),
    );
  }),

  setEnabled: projectProcedure("member", { triggerId: z.string().min(1).max(64), enabled: z.boolean() }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.trigger.updateMany({
      where: { id: input.triggerId, projectId: ctx.project.id },
      data: { enabled: input.enabled, version: { increment: 1 } },
    });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    return { enabled: input.enabled };
  }),

  delete: projectProcedure("member", { triggerId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.trigger.deleteMany({ where: { id: input.triggerId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Trigger not found." });
    return { deleted: true };
  }),
});
