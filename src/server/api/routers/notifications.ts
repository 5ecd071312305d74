import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";

/** What a user of the project sees: notifications addressed to everyone (userId null) or to them. */
const visibleTo = (projectId: string, userId: string) => ({ projectId, OR: [{ userId: null }, { userId }] });

/** In-app notifications of a project (trigger notification actions post here). */
export const notificationsRouter = createTRPCRouter({
  list: projectProcedure("viewer", { limit: z.number().int().min(1).max(100).default(20) }).query(async ({ ctx, input }) => {
    const where = visibleTo(ctx.project.id, ctx.user.id);
    const [items, unread] = await Promise.all([
      ctx.db.notification.findMany({
        where,
        select: { id: true, title: true, body: true, readAt: true, createdAt: true },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit,
      }),
      ctx.db.notification.count({ where: { ...where, readAt: null } }),
    ]);
    return { items, unread };
  }),

  markAllRead: projectProcedure("viewer").mutation(async ({ ctx }) => {
    const result = await ctx.db.notification.updateMany({
      where: { ...visibleTo(ctx.project.id, ctx.user.id), readAt: null },
      data: { readAt: new Date() },
    });
    return { marked: result.count };
  }),

  /** Marking an already read notification again keeps its first read time. */
  markRead: projectProcedure("viewer", { notificationId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const notification = await ctx.db.notification.findFirst({
      where: { id: input.notificationId, ...visibleTo(ctx.project.id, ctx.user.id) },
      select: { id: true, readAt: true },
    });
    if (!notification) throw new TRPCError({ code: "NOT_FOUND", message: "Notification not found." });
    if (notification.readAt) return { id: notification.id, readAt: notification.readAt };
    const readAt = new Date();
    await ctx.db.notification.updateMany({ where: { id: notification.id, readAt: null }, data: { readAt } });
    return { id: notification.id, readAt };
  }),
});
