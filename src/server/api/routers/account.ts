import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { changePasswordInput, emailSchema, passwordSchema, signUpInput, tokenSchema } from "~/core/account";
import { hashPassword, verifyPassword } from "~/server/auth/password";
import { renewalProof } from "~/server/auth/session-version";
import { hashSecret, newSecret } from "~/platform/tokens";
import { runDetached } from "~/server/detached";
import { createTRPCRouter, protectedProcedure, publicProcedure, type TRPCContext } from "~/server/api/trpc";
import { createOrganizationWithOwner, slugify } from "~/server/organizations";
import { findUsableInvite } from "~/server/api/routers/invites";

const VERIFY_TTL_MS = 48 * 3600_000;
const RESET_TTL_MS = 3600_000;

async function sendVerification(ctx: TRPCContext, user: { id: string; email: string }) {
  const token = newSecret();
  await ctx.db.authToken.create({
    data: { userId: user.id, purpose: "verify_email", tokenHash: hashSecret(token), expiresAt: new Date(Date.now() + VERIFY_TTL_MS) },
  });
  const link = `${ctx.appUrl}/verify?token=${token}`;
  await ctx.mailer.send({
    to: user.email,
    subject: "Verify your email for Prism",
    text: `Welcome to Prism.\n\nConfirm your email address by opening this link (valid 48 hours):\n${link}\n`,
    html: `<p>Welcome to Prism.</p><p><a href="${link}">Confirm your email address</a> (valid 48 hours).</p>`,
  });
}

async function sendPasswordReset(ctx: TRPCContext, user: { id: string; email: string }) {
  const token = newSecret();
  await ctx.db.authToken.create({
    data: { userId: user.id, purpose: "reset_password", tokenHash: hashSecret(token), expiresAt: new Date(Date.now() + RESET_TTL_MS) },
  });
  const link = `${ctx.appUrl}/reset?token=${token}`;
  await ctx.mailer.send({
    to: user.email,
    subject: "Reset your Prism password",
    text: `Someone asked to reset the password of your Prism account.\n\nChoose a new password here (valid 1 hour):\n${link}\n\nIf it was not you, ignore this mail.\n`,
    html: `<p>Someone asked to reset the password of your Prism account.</p><p><a href="${link}">Choose a new password</a> (valid 1 hour).</p><p>If it was not you, ignore this mail.</p>`,
  });
}

async function sendSignUpAttemptNotice(ctx: TRPCContext, email: string) {
  const login = `${ctx.appUrl}/login`;
  const forgot = `${ctx.appUrl}/forgot`;
  await ctx.mailer.send({
    to: email,
    subject: "Someone tried to create a Prism account with your email",
    text: `Someone tried to create a new Prism account with this address, which already has one.\n\nIf it was you, sign in: ${login}\nForgot your password? ${forgot}\n\nIf it was not you, ignore this mail; nothing was changed.\n`,
    html: `<p>Someone tried to create a new Prism account with this address, which already has one.</p><p>If it was you, <a href="${login}">sign in</a> or <a href="${forgot}">reset your password</a>.</p><p>If it was not you, ignore this mail; nothing was changed.</p>`,
  });
}

/** Shaped like the cuid ids of real users (c, time, randomness), for answers that must not differ. */
function lookalikeUserId(): string {
  const random = Array.from(randomBytes(16), (byte) => (byte % 36).toString(36)).join("");
  return `c${Date.now().toString(36)}${random}`.slice(0, 25);
}

/** Marks a single-use token used, or explains why it cannot be. */
async function consumeToken(ctx: TRPCContext, token: string, purpose: "verify_email" | "reset_password") {
  const row = await ctx.db.authToken.findUnique({
    where: { tokenHash: hashSecret(token) },
    select: { id: true, userId: true, purpose: true, expiresAt: true, usedAt: true },
  });
  if (!row || row.purpose !== purpose) throw new TRPCError({ code: "NOT_FOUND", message: "This link is not valid." });
  if (row.usedAt) throw new TRPCError({ code: "BAD_REQUEST", message: "This link has already been used." });
  if (row.expiresAt < new Date()) throw new TRPCError({ code: "BAD_REQUEST", message: "This link has expired; ask for a new one." });
  const claimed = await ctx.db.authToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
  if (claimed.count !== 1) throw new TRPCError({ code: "BAD_REQUEST", message: "This link has already been used." });
  return row.userId;
}

export const accountRouter = createTRPCRouter({
  /** Creates the user and, unless joining through an invite, their first organisation. */
  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }) => {
    const invite = input.inviteToken ? await findUsableInvite(ctx.db, input.inviteToken) : null;
    if (invite && invite.email !== input.email) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `This invite was sent to ${invite.email}; sign up with that address.` });
    }
    const existing = await ctx.db.user.findUnique({ where: { email: input.email }, select: { email: true } });
    // The invite's holder already learnt from invites.peek whether the address has an account.
    if (existing && invite) throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists; sign in instead." });
    const passwordHash = await hashPassword(input.password);
    if (existing) {
      // Answered like a new sign-up, after the same hashing, so neither the reply nor its timing tells
      // that the address has an account; its owner hears about the attempt by mail instead.
      if (ctx.mailer.delivery === "smtp") await sendSignUpAttemptNotice(ctx, existing.email);
      return { userId: lookalikeUserId(), verified: false, organizationId: null, instanceAdmin: false };
    }
    const user = await ctx.db.$transaction(async (tx) => {
      // The first person to sign up with an organisation of their own is the instance's admin (the
      // seeded demo login never is: its password is printed for everyone). The lock keeps two
      // simultaneous first sign-ups from both becoming it.
      let instanceAdmin = false;
      if (!invite) {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('prism.instance_admin'))`;
        instanceAdmin = (await tx.user.count({ where: { instanceAdmin: true } })) === 0;
      }
      // The invite link proves the address, so invited sign-ups start verified.
      const created = await tx.user.create({
        data: { email: input.email, name: input.name, passwordHash, emailVerifiedAt: invite ? new Date() : null, instanceAdmin },
        select: { id: true, email: true, instanceAdmin: true },
      });
      if (invite) {
        await tx.membership.create({ data: { userId: created.id, organizationId: invite.organizationId, role: invite.role } });
        await tx.invite.update({ where: { id: invite.id }, data: { acceptedAt: new Date() } });
      } else {
        await createOrganizationWithOwner(tx, { name: `${input.name}'s team`, slug: slugify(input.name), ownerId: created.id });
      }
      return created;
    });
    // Without SMTP no mail can reach the address, so none is sent: the account works as it is, and
    // verification is asked for once the instance has mail (the banner appears then).
    if (!invite && ctx.mailer.delivery === "smtp") await sendVerification(ctx, user);
    return { userId: user.id, verified: Boolean(invite), organizationId: invite?.organizationId ?? null, instanceAdmin: user.instanceAdmin };
  }),

  verifyEmail: publicProcedure.input(z.strictObject({ token: tokenSchema })).mutation(async ({ ctx, input }) => {
    const userId = await consumeToken(ctx, input.token, "verify_email");
    await ctx.db.user.update({ where: { id: userId }, data: { emailVerifiedAt: new Date() } });
    return { verified: true };
  }),

  resendVerification: protectedProcedure.mutation(async ({ ctx }) => {
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id }, select: { id: true, email: true, emailVerifiedAt: true } });
    if (user.emailVerifiedAt) return { sent: false };
    if (ctx.mailer.delivery !== "smtp") {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: "This Prism has no mail server set up, so no verification mail can be sent; your account works as it is.",
      });
    }
    await sendVerification(ctx, user);
    return { sent: true };
  }),

  /**
   * Always answers the same way and in the same time, so it cannot be used to learn who has an
   * account: the token and the mail are made after the answer (runDetached logs their failures).
   */
  requestPasswordReset: publicProcedure.input(z.strictObject({ email: emailSchema })).mutation(async ({ ctx, input }) => {
    const user = await ctx.db.user.findUnique({ where: { email: input.email }, select: { id: true, email: true } });
    if (user) runDetached("password reset mail", () => sendPasswordReset(ctx, user));
    return { sent: true };
  }),

  resetPassword: publicProcedure.input(z.strictObject({ token: tokenSchema, password: passwordSchema })).mutation(async ({ ctx, input }) => {
    const passwordHash = await hashPassword(input.password);
    const userId = await consumeToken(ctx, input.token, "reset_password");
    // A new version ends every session signed in before the reset.
    await ctx.db.user.update({ where: { id: userId }, data: { passwordHash, sessionVersion: { increment: 1 } } });
    return { reset: true };
  }),

  /**
   * Ends every other session. The caller's own session stays signed in by passing the returned
   * `renewal` to next-auth's session update, which moves it to the new version.
   */
  changePassword: protectedProcedure.input(changePasswordInput).mutation(async ({ ctx, input }) => {
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id }, select: { passwordHash: true } });
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "Your current password is not right." });
    }
    const passwordHash = await hashPassword(input.newPassword);
    // Only from the version this session saw, so two changes at once cannot both keep their session.
    const changed = await ctx.db.user.updateMany({
      where: { id: ctx.user.id, sessionVersion: ctx.user.sessionVersion },
      data: { passwordHash, sessionVersion: { increment: 1 } },
    });
    if (changed.count !== 1) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your password was changed since you signed in; sign in again." });
    return { renewal: renewalProof({ passwordHash, sessionVersion: ctx.user.sessionVersion + 1 }) };
  }),

  me: protectedProcedure.query(async ({ ctx }) => {
    const user = await ctx.db.user.findUnique({
      where: { id: ctx.user.id },
      select: {
        id: true,
        email: true,
        name: true,
        emailVerifiedAt: true,
        instanceAdmin: true,
        memberships: { select: { role: true, organization: { select: { id: true, name: true, slug: true } } }, orderBy: { createdAt: "asc" } },
      },
    });
    if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session belongs to an account that no longer exists; sign in again." });
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      verified: user.emailVerifiedAt !== null,
      /** Whether mail reaches addresses; without it, verification is not asked for and links are handed over in the app. */
      mailDelivered: ctx.mailer.delivery === "smtp",
      instanceAdmin: user.instanceAdmin,
      organizations: user.memberships.map((membership) => ({ ...membership.organization, role: membership.role })),
    };
  }),
});
