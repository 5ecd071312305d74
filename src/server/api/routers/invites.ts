import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { emailSchema, tokenSchema } from "~/core/account";
import { ROLES } from "~/core/roles";
import type { PrismaClient } from "~/generated/prisma/client";
import { hashSecret, newSecret } from "~/platform/tokens";
import { createTRPCRouter, orgProcedure, protectedProcedure, publicProcedure, type TRPCContext } from "~/server/api/trpc";

const INVITE_TTL_MS = 7 * 24 * 3600_000;

export type InviteState = "pending" | "accepted" | "revoked" | "expired";

function stateOf(invite: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date }): InviteState {
  if (invite.acceptedAt) return "accepted";
  if (invite.revokedAt) return "revoked";
  if (invite.expiresAt < new Date()) return "expired";
  return "pending";
}

const STATE_MESSAGE: Record<Exclude<InviteState, "pending">, string> = {
  accepted: "This invite has already been used.",
  revoked: "This invite was revoked by an admin of the organisation.",
  expired: "This invite has expired; ask an admin for a new one.",
};

/** The pending invite a token names, or a clear error explaining why it cannot be used. */
export async function findUsableInvite(db: PrismaClient, token: string) {
  const invite = await db.invite.findUnique({
    where: { tokenHash: hashSecret(token) },
    select: { id: true, organizationId: true, email: true, role: true, acceptedAt: true, revokedAt: true, expiresAt: true },
  });
  if (!invite) throw new TRPCError({ code: "NOT_FOUND", message: "This invite link is not valid." });
  const state = stateOf(invite);
  if (state !== "pending") throw new TRPCError({ code: "BAD_REQUEST", message: STATE_MESSAGE[state] });
  return invite;
}

/**
 * Mails the invite. Without SMTP the mail is only kept in the outbox, so the link is returned for the
 * inviter to hand over, this once: only its hash is stored, and a later "copy link" makes a fresh one.
 */
async function mailInvite(ctx: TRPCContext, to: string, token: string, organizationName: string, role: string): Promise<string | null> {
  const link = `${ctx.appUrl}/invite/${token}`;
  await ctx.mailer.send({
    to,
    subject: `You are invited to ${organizationName} on Prism`,
    text: `${ctx.user?.name ?? ctx.user?.email ?? "A teammate"} invited you to join ${organizationName} on Prism as ${role}.\n\nAccept the invite (valid 7 days):\n${link}\n`,
    html: `<p>You are invited to join <b>${organizationName.replace(/[<>&]/g, "")}</b> on Prism as ${role}.</p><p><a href="${link}">Accept the invite</a> (valid 7 days).</p>`,
  });
  return ctx.mailer.delivery === "outbox" ? link : null;
}

export const invitesRouter = createTRPCRouter({
  list: orgProcedure("admin").query(async ({ ctx }) => {
    const invites = await ctx.db.invite.findMany({
      where: { organizationId: ctx.orgId, acceptedAt: null, revokedAt: null },
      select: { id: true, email: true, role: true, createdAt: true, expiresAt: true, acceptedAt: true, revokedAt: true },
      orderBy: { createdAt: "desc" },
    });
    return invites.map((invite) => ({
      id: invite.id,
      email: invite.email,
      role: invite.role,
      createdAt: invite.createdAt,
      expiresAt: invite.expiresAt,
      state: stateOf(invite),
    }));
  }),

  create: orgProcedure("admin", { email: emailSchema, role: z.enum(ROLES) }).mutation(async ({ ctx, input }) => {
    if (input.role === "owner" && ctx.role !== "owner") throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can invite another owner." });
    const existing = await ctx.db.membership.findFirst({ where: { organizationId: ctx.orgId, user: { email: input.email } }, select: { id: true } });
    if (existing) throw new TRPCError({ code: "CONFLICT", message: `${input.email} is already a member of this organisation.` });
    const organization = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.orgId }, select: { name: true } });
    const token = newSecret();
    // A new invite replaces any pending one for the same address.
    const invite = await ctx.db.$transaction(async (tx) => {
      await tx.invite.updateMany({
        where: { organizationId: ctx.orgId, email: input.email, acceptedAt: null, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      return tx.invite.create({
        data: {
          organizationId: ctx.orgId,
          email: input.email,
          role: input.role,
          tokenHash: hashSecret(token),
          invitedById: ctx.user.id,
          expiresAt: new Date(Date.now() + INVITE_TTL_MS),
        },
        select: { id: true, email: true, role: true, expiresAt: true },
      });
    });
    const link = await mailInvite(ctx, input.email, token, organization.name, input.role);
    return { ...invite, link };
  }),

  /** A fresh token and expiry; the old link stops working. Without SMTP, returns the new link to copy. */
  resend: orgProcedure("admin", { inviteId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const invite = await ctx.db.invite.findFirst({
      where: { id: input.inviteId, organizationId: ctx.orgId },
      select: { id: true, email: true, role: true, acceptedAt: true, revokedAt: true, expiresAt: true, organization: { select: { name: true } } },
    });
    if (!invite) throw new TRPCError({ code: "NOT_FOUND", message: "Invite not found." });
    if (invite.acceptedAt || invite.revokedAt) throw new TRPCError({ code: "BAD_REQUEST", message: STATE_MESSAGE[invite.acceptedAt ? "accepted" : "revoked"] });
    const token = newSecret();
    await ctx.db.invite.update({ where: { id: invite.id }, data: { tokenHash: hashSecret(token), expiresAt: new Date(Date.now() + INVITE_TTL_MS) } });
    const link = await mailInvite(ctx, invite.email, token, invite.organization.name, invite.role);
    return { resent: true, link };
  }),

  revoke: orgProcedure("admin", { inviteId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.invite.updateMany({
      where: { id: input.inviteId, organizationId: ctx.orgId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No pending invite with that id." });
    return { revoked: true };
  }),

  /** What the accept page shows before anyone signs in. */
  peek: publicProcedure.input(z.strictObject({ token: tokenSchema })).query(async ({ ctx, input }) => {
    const invite = await ctx.db.invite.findUnique({
      where: { tokenHash: hashSecret(input.token) },
      select: { email: true, role: true, acceptedAt: true, revokedAt: true, expiresAt: true, organization: { select: { name: true } } },
    });
    if (!invite) return { state: "invalid" as const, message: "This invite link is not valid." };
    const state = stateOf(invite);
    const accountExists = (await ctx.db.user.count({ where: { email: invite.email } })) > 0;
    return {
      state,
      message: state === "pending" ? null : STATE_MESSAGE[state],
      email: invite.email,
      role: invite.role,
      organizationName: invite.organization.name,
      accountExists,
    };
  }),

  accept: protectedProcedure.input(z.strictObject({ token: tokenSchema })).mutation(async ({ ctx, input }) => {
    const invite = await findUsableInvite(ctx.db, input.token);
    if (invite.email !== ctx.user.email.toLowerCase()) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This invite was sent to ${invite.email}; sign in with that address to accept it.` });
    }
    const already = await ctx.db.membership.findUnique({
      where: { userId_organizationId: { userId: ctx.user.id, organizationId: invite.organizationId } },
      select: { id: true },
    });
    await ctx.db.$transaction(async (tx) => {
      const claimed = await tx.invite.updateMany({ where: { id: invite.id, acceptedAt: null, revokedAt: null }, data: { acceptedAt: new Date() } });
      if (claimed.count !== 1) throw new TRPCError({ code: "BAD_REQUEST", message: STATE_MESSAGE.accepted });
      if (!already) await tx.membership.create({ data: { userId: ctx.user.id, organizationId: invite.organizationId, role: invite.role } });
      // Accepting a link mailed to this address proves the address, as an invited sign-up does.
      await tx.user.updateMany({ where: { id: ctx.user.id, emailVerifiedAt: null }, data: { emailVerifiedAt: new Date() } });
    });
    return { organizationId: invite.organizationId, role: invite.role };
  }),
});
