import { z } from "zod";
import { createTRPCRouter, instanceAdminProcedure } from "~/server/api/trpc";

const OUTBOX_PAGE = 100;

/** What administrators of the whole instance (not of one organisation) can see. */
export const adminRouter = createTRPCRouter({
  /** Mails kept in the product while no SMTP server is set up, newest first, links included. */
  outbox: instanceAdminProcedure.input(z.strictObject({ to: z.string().trim().toLowerCase().max(254).optional() }).optional()).query(async ({ ctx, input }) => {
    const mails = await ctx.db.outboxMail.findMany({
      where: input?.to ? { to: { contains: input.to } } : undefined,
      select: { id: true, to: true, subject: true, text: true, sealed: true, createdAt: true },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: OUTBOX_PAGE,
    });
    return mails.map((mail) => {
      const body = mail.sealed ? (ctx.mailer.openKept?.(mail) ?? null) : null;
      return {
        id: mail.id,
        to: mail.to,
        subject: mail.subject,
        createdAt: mail.createdAt,
        // Without its sealed copy (kept before sealing, or under another NEXTAUTH_SECRET) only the redacted text is left.
        text: body?.text ?? mail.text,
        linksHidden: body === null,
      };
    });
  }),
});
