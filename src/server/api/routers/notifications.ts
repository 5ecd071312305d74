import { z } from "zod";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";

/** In-app notifications of a project: addressed to everyone (userId null) or to one user. */
export const notificationsRouter = createTRPCRouter({
  list: projectProcedure("viewer", { limit: z.number().int().min(1).max(100).default(20) }).query(async ({ ctx, input }) => {
    const where = { projectId: ctx.project.id, OR: [{ userId: null }, { userId: ctx.user.id }] };
    const [items, unread] = await Promise.all([
      ctx.db.notification.findMany({
        where,
        select: { id: true, title: true, body: true, readAt: true, createdAt: true },
        orderBy: { createdAt: "desc" },
        take: input.limit,
      }),
      ctx.db.notification.count({ where: { ...where, readAt: null } }),
    ]);
    return { items, unread };
  }),

  markAllRead: projectProcedure("viewer").mutation(async ({ ctx }) => {
    const result = await ctx.db.notification.updateMany({
      where: { projectId: ctx.project.id, OR: [{ userId: null }, { userId: ctx.user.id }], readAt: null },
      data: { readAt: new Date() },
    });
    return { marked: result.count };
  }),
});
