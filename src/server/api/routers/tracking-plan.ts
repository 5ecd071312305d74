import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { attributeDefinitionSchema, eventTypeSchema } from "~/core/tracking-plan";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";

const idInput = z.string().min(1).max(64);

export const trackingPlanRouter = createTRPCRouter({
  get: projectProcedure("viewer").query(async ({ ctx }) => {
    const [eventTypes, attributes, project] = await Promise.all([
      ctx.db.eventType.findMany({
        where: { projectId: ctx.project.id },
        select: {
          id: true,
          name: true,
          description: true,
          createdAt: true,
          fields: { select: { id: true, name: true, dataType: true, required: true }, orderBy: { name: "asc" } },
        },
        orderBy: { name: "asc" },
      }),
      ctx.db.attributeDefinition.findMany({
        where: { projectId: ctx.project.id },
        select: { id: true, entity: true, name: true, type: true, itemsType: true, indexed: true },
        orderBy: [{ entity: "asc" }, { name: "asc" }],
      }),
      ctx.db.project.findUniqueOrThrow({ where: { id: ctx.project.id }, select: { maxCustomAttributes: true } }),
    ]);
    return { eventTypes, attributes, maxCustomAttributes: project.maxCustomAttributes };
  }),

  createEventType: projectProcedure("admin", { eventType: eventTypeSchema }).mutation(({ ctx, input }) =>
    withConflict(
      () =>
        ctx.db.eventType.create({
          data: { projectId: ctx.project.id, name: input.eventType.name, description: input.eventType.description, fields: { create: input.eventType.fields } },
          select: { id: true, name: true },
        }),
      () => `An event type named "${input.eventType.name}" already exists.`,
    ),
  ),

  /** Replaces the event type's description and fields as a whole. */
  updateEventType: projectProcedure("admin", { eventTypeId: idInput, eventType: eventTypeSchema }).mutation(async ({ ctx, input }) => {
    const existing = await ctx.db.eventType.findFirst({ where: { id: input.eventTypeId, projectId: ctx.project.id }, select: { id: true } });
    if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "Event type not found." });
    return withConflict(
      () =>
        ctx.db.$transaction(async (tx) => {
          await tx.eventField.deleteMany({ where: { eventTypeId: existing.id } });
          return tx.eventType.update({
            where: { id: existing.id },
            data: { name: input.eventType.name, description: input.eventType.description, fields: { create: input.eventType.fields } },
            select: { id: true, name: true },
          });
        }),
      () => `An event type named "${input.eventType.name}" already exists.`,
    );
  }),

  deleteEventType: projectProcedure("admin", { eventTypeId: idInput }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.eventType.deleteMany({ where: { id: input.eventTypeId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Event type not found." });
    return { deleted: true };
  }),

  createAttribute: projectProcedure("admin", { attribute: attributeDefinitionSchema }).mutation(async ({ ctx, input }) => {
    const [used, project] = await Promise.all([
      ctx.db.attributeDefinition.count({ where: { projectId: ctx.project.id } }),
      ctx.db.project.findUniqueOrThrow({ where: { id: ctx.project.id }, select: { maxCustomAttributes: true } }),
    ]);
    if (used >= project.maxCustomAttributes) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `This project allows at most ${project.maxCustomAttributes} custom attributes; raise the limit in settings or remove one.`,
      });
    }
    return withConflict(
      () => ctx.db.attributeDefinition.create({ data: { projectId: ctx.project.id, ...input.attribute }, select: { id: true, entity: true, name: true } }),
      () => `A ${input.attribute.entity} attribute named "${input.attribute.name}" already exists.`,
    );
  }),

  deleteAttribute: projectProcedure("admin", { attributeId: idInput }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.attributeDefinition.deleteMany({ where: { id: input.attributeId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Attribute not found." });
    return { deleted: true };
  }),
});
