import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, userProjectProcedure } from "~/server/api/trpc";

/** What a user of the project sees: notifications addressed to everyone (userId null) or to them. */
const visibleTo = (projectId: string, userId: string) => ({ projectId, OR: [{ userId: null }, { userId }] });

/**
 * In-app notifications of a project (trigger notification actions post here). Read state is each
 * user's own: one member reading a project-wide notification leaves it unread for the others.
 */
export const notificationsRouter = createTRPCRouter({
  list: userProjectProcedure("viewer", { limit: z.number().int().min(1).max(100).default(20) }).query(async ({ ctx, input }) => {
    const where = visibleTo(ctx.project.id, ctx.user.id);
    const [rows, unread] = await Promise.all([
      ctx.db.notification.findMany({
        where,
        select: { id: true, title: true, body: true, createdAt: true, reads: { where: { userId: ctx.user.id }, select: { readAt: true } } },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit,
      }),
      ctx.db.notification.count({ where: { ...where, reads: { none: { userId: ctx.user.id } } } }),
    ]);
    const items = rows.map(({ reads, ...item }) => ({ ...item, readAt: reads[0]?.readAt ?? null }));
    return { items, unread };
  }),

  markAllRead: userProjectProcedure("viewer").mutation(async ({ ctx }) => {
    const marked = await ctx.db.$executeRaw`
      INSERT INTO notification_reads (notification_id, user_id, read_at)
      SELECT id, ${ctx.user.id}, now() FROM notifications
       WHERE project_id = ${ctx.project.id} AND (user_id IS NULL OR user_id = ${ctx.user.id})
      ON CONFLICT DO NOTHING`;
    return { marked };
  }),

  /** Marking an already read notification again keeps its first read time. */
  markRead: userProjectProcedure("viewer", { notificationId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const notification = await ctx.db.notification.findFirst({
      where: { id: input.notificationId, ...visibleTo(ctx.project.id, ctx.user.id) },
      select: { id: true },
    });
    if (!notification) throw new TRPCError({ code: "NOT_FOUND", message: "Notification not found." });
    await ctx.db.notificationRead.createMany({ data: [{ notificationId: notification.id, userId: ctx.user.id }], skipDuplicates: true });
    const read = await ctx.db.notificationRead.findUniqueOrThrow({
      where: { notificationId_userId: { notificationId: notification.id, userId: ctx.user.id } },
      select: { readAt: true },
    });
    return { id: notification.id, readAt: read.readAt };
  }),
});
