import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { displayNameSchema } from "~/core/account";
import { ROLES, type RoleName } from "~/core/roles";
import type { PrismaClient } from "~/generated/prisma/client";
import { createTRPCRouter, orgProcedure, protectedProcedure } from "~/server/api/trpc";
import { createOrganizationWithOwner } from "~/server/organizations";

const roleSchema = z.enum(ROLES);

export const organizationsRouter = createTRPCRouter({
  list: protectedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.db.membership.findMany({
      where: { userId: ctx.user.id },
      select: { role: true, organization: { select: { id: true, name: true, slug: true, _count: { select: { projects: true, memberships: true } } } } },
      orderBy: { createdAt: "asc" },
    });
    return memberships.map(({ role, organization }) => ({
      id: organization.id,
      name: organization.name,
      slug: organization.slug,
      role,
      projectCount: organization._count.projects,
      memberCount: organization._count.memberships,
    }));
  }),

  create: protectedProcedure.input(z.strictObject({ name: displayNameSchema })).mutation(async ({ ctx, input }) => {
    return ctx.db.$transaction((tx) => createOrganizationWithOwner(tx, { name: input.name, ownerId: ctx.user.id }));
  }),

  get: orgProcedure("viewer").query(async ({ ctx }) => {
    const organization = await ctx.db.organization.findUniqueOrThrow({
      where: { id: ctx.orgId },
      select: { id: true, name: true, slug: true, createdAt: true },
    });
    return { ...organization, role: ctx.role };
  }),

  rename: orgProcedure("owner", { name: displayNameSchema }).mutation(({ ctx, input }) =>
    ctx.db.organization.update({ where: { id: ctx.orgId }, data: { name: input.name }, select: { id: true, name: true } }),
  ),

  delete: orgProcedure("owner", { confirmName: z.string().max(200) }).mutation(async ({ ctx, input }) => {
    const organization = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.orgId }, select: { name: true } });
    if (organization.name !== input.confirmName) throw new TRPCError({ code: "BAD_REQUEST", message: "Type the organisation's name exactly to confirm." });
    await ctx.db.organization.delete({ where: { id: ctx.orgId } });
    return { deleted: true };
  }),

  members: orgProcedure("viewer").query(async ({ ctx }) => {
    const members = await ctx.db.membership.findMany({
      where: { organizationId: ctx.orgId },
      select: { id: true, role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
      orderBy: { createdAt: "asc" },
    });
    return members.map((member) => ({
      membershipId: member.id,
      role: member.role,
      joinedAt: member.createdAt,
      ...member.user,
      isYou: member.user.id === ctx.user.id,
    }));
  }),

  /** Admins change roles below owner; only owners grant or take owner. The last owner stays. */
  changeRole: orgProcedure("admin", { membershipId: z.string().min(1).max(64), role: roleSchema }).mutation(({ ctx, input }) =>
    withMembersLocked(ctx.db, ctx.orgId, ctx.user.id, async (tx, { callerRole, owners }) => {
      const target = await tx.membership.findFirst({ where: { id: input.membershipId, organizationId: ctx.orgId }, select: { id: true, role: true } });
      if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "Member not found." });
      if ((target.role === "owner" || input.role === "owner") && callerRole !== "owner") {
        throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can grant or take the owner role." });
      }
      if (target.role === "owner" && input.role !== "owner") assertAnotherOwner(owners, "demote");
      return tx.membership.update({ where: { id: target.id }, data: { role: input.role }, select: { id: true, role: true } });
    }),
  ),

  removeMember: orgProcedure("admin", { membershipId: z.string().min(1).max(64) }).mutation(({ ctx, input }) =>
    withMembersLocked(ctx.db, ctx.orgId, ctx.user.id, async (tx, { callerRole, owners }) => {
      const target = await tx.membership.findFirst({ where: { id: input.membershipId, organizationId: ctx.orgId }, select: { id: true, role: true } });
      if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "Member not found." });
      if (target.role === "owner") {
        if (callerRole !== "owner") throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can remove an owner." });
        assertAnotherOwner(owners, "remove");
      }
      await tx.membership.delete({ where: { id: target.id } });
      return { removed: true };
    }),
  ),

  leave: orgProcedure("viewer").mutation(({ ctx }) =>
    withMembersLocked(ctx.db, ctx.orgId, ctx.user.id, async (tx, { callerRole, owners }) => {
      if (callerRole === "owner") assertAnotherOwner(owners, "leave");
      await tx.membership.deleteMany({ where: { userId: ctx.user.id, organizationId: ctx.orgId } });
      return { left: true };
    }),
  ),
});

type Transaction = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * Runs a change of membership with the organisation's row locked, so two concurrent changes (two
 * owners demoting each other, or both leaving) cannot each count the other as "another owner" and
 * leave none. The caller's role is read again under the lock: it may have changed since the
 * request was authorised.
 */
async function withMembersLocked<T>(
  db: PrismaClient,
  orgId: string,
  userId: string,
  change: (tx: Transaction, members: { callerRole: RoleName | null; owners: number }) => Promise<T>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM organizations WHERE id = ${orgId} FOR UPDATE`;
    const caller = await tx.membership.findUnique({ where: { userId_organizationId: { userId, organizationId: orgId } }, select: { role: true } });
    const owners = await tx.membership.count({ where: { organizationId: orgId, role: "owner" } });
    return change(tx, { callerRole: caller?.role ?? null, owners });
  });
}

function assertAnotherOwner(owners: number, verb: "demote" | "remove" | "leave"): void {
  if (owners <= 1) {
    const what = verb === "leave" ? "The last owner cannot leave" : verb === "demote" ? "The last owner cannot be demoted" : "The last owner cannot be removed";
    throw new TRPCError({ code: "BAD_REQUEST", message: `${what}; make someone else an owner first.` });
  }
}
