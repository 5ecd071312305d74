import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { projectNameSchema, projectSettingsSchema } from "~/core/projects";
import { prefixedId } from "~/platform/ids";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, orgKeyProcedure, projectProcedure, protectedProcedure } from "~/server/api/trpc";

const projectSelect = {
  id: true,
  name: true,
  timezone: true,
  dataRetentionDays: true,
  maxCustomAttributes: true,
  allowedEventNames: true,
  planEnforcement: true,
  rateLimitPerSecond: true,
  archivedAt: true,
  createdAt: true,
  organization: { select: { id: true, name: true } },
} as const;

const duplicateName = () => "A project with this name already exists in this organisation.";

export const projectsRouter = createTRPCRouter({
  /** Projects in every organisation the user belongs to, newest first. */
  list: protectedProcedure.input(z.strictObject({ includeArchived: z.boolean().default(false) }).optional()).query(({ ctx, input }) =>
    ctx.db.project.findMany({
      where: { organization: { memberships: { some: { userId: ctx.user.id } } }, ...(input?.includeArchived ? {} : { archivedAt: null }) },
      select: projectSelect,
      orderBy: { createdAt: "desc" },
    }),
  ),

  /** Also for an organisation key (the REST API's GET /api/v1/projects). */
  listForOrg: orgKeyProcedure("viewer").query(({ ctx }) =>
    ctx.db.project.findMany({
      where: { organizationId: ctx.orgId },
      select: projectSelect,
      orderBy: [{ archivedAt: { sort: "asc", nulls: "first" } }, { createdAt: "desc" }],
    }),
  ),

  /** Also for an organisation key (POST /api/v1/projects). */
  create: orgKeyProcedure("admin", { name: projectNameSchema, timezone: projectSettingsSchema.shape.timezone.optional() }).mutation(({ ctx, input }) =>
    withConflict(
      () =>
        ctx.db.project.create({
          data: { id: prefixedId("proj"), organizationId: ctx.orgId, name: input.name, timezone: input.timezone ?? "UTC" },
          select: projectSelect,
        }),
      duplicateName,
    ),
  ),

  get: projectProcedure("viewer").query(async ({ ctx }) => {
    const project = await ctx.db.project.findUniqueOrThrow({ where: { id: ctx.project.id }, select: projectSelect });
    return { ...project, role: ctx.role };
  }),

  rename: projectProcedure("admin", { name: projectNameSchema }).mutation(({ ctx, input }) =>
    withConflict(() => ctx.db.project.update({ where: { id: ctx.project.id }, data: { name: input.name }, select: projectSelect }), duplicateName),
  ),

  updateSettings: projectProcedure("admin", { settings: projectSettingsSchema.partial() }).mutation(async ({ ctx, input }) => {
    if (input.settings.maxCustomAttributes !== undefined) {
      const used = await ctx.db.attributeDefinition.count({ where: { projectId: ctx.project.id } });
      if (used > input.settings.maxCustomAttributes) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `The project already defines ${used} custom attributes; remove some before lowering the limit.` });
      }
    }
    return ctx.db.project.update({ where: { id: ctx.project.id }, data: input.settings, select: projectSelect });
  }),

  archive: projectProcedure("admin").mutation(({ ctx }) =>
    ctx.db.project.update({ where: { id: ctx.project.id }, data: { archivedAt: new Date() }, select: projectSelect }),
  ),

  unarchive: projectProcedure("admin").mutation(({ ctx }) =>
    ctx.db.project.update({ where: { id: ctx.project.id }, data: { archivedAt: null }, select: projectSelect }),
  ),

  delete: projectProcedure("admin", { confirmName: z.string().max(200) }).mutation(async ({ ctx, input }) => {
    const project = await ctx.db.project.findUniqueOrThrow({ where: { id: ctx.project.id }, select: { name: true } });
    if (project.name !== input.confirmName) throw new TRPCError({ code: "BAD_REQUEST", message: "Type the project's name exactly to confirm." });
    await ctx.db.project.delete({ where: { id: ctx.project.id } });
    return { deleted: true };
  }),
});
