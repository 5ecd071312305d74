/**
 * tRPC in three parts: 1. context, 2. initialisation, 3. router and procedure builders.
 * The procedure builders carry authentication and tenant checks, so a handler only says what it does.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Role } from "~/generated/prisma/client";
import { ROLE_LEVEL } from "~/core/roles";
import { db } from "~/server/db";
import { appEnv } from "~/server/env";
import { appMailer, type Mailer } from "~/server/mail";
import { projectAccess } from "~/server/organizations";

// 1. Context ------------------------------------------------------------------

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
}

/** The signed-in user of a request, with the session version their sign-in saw (see protectedProcedure). */
export interface RequestUser extends SessionUser {
  sessionVersion: number;
}

export interface TRPCContext {
  db: ReturnType<typeof db>;
  user: RequestUser | null;
  mailer: Mailer;
  /** Absolute base for links in mails, e.g. http://127.0.0.1:3000 */
  appUrl: string;
}

export function createTRPCContext(opts: { user: RequestUser | null; db?: ReturnType<typeof db>; mailer?: Mailer; appUrl?: string }): TRPCContext {
  const client = opts.db ?? db();
  return {
    db: client,
    user: opts.user,
    mailer: opts.mailer ?? appMailer(),
    appUrl: opts.appUrl ?? appEnv().NEXTAUTH_URL ?? "http://127.0.0.1:3000",
  };
}

// 2. Initialisation -------------------------------------------------------------

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

// 3. Procedures -------------------------------------------------------------------

export const publicProcedure = t.procedure;

/** A signed-in user whose session is still current: a password reset or change since sign-in ends it. */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  const current = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { sessionVersion: true } });
  if (!current) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session belongs to an account that no longer exists; sign in again." });
  if (current.sessionVersion !== ctx.user.sessionVersion) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your password was changed since you signed in; sign in again." });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** Administrators of the whole instance, who read the outbox; stored on the user. */
export const instanceAdminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { instanceAdmin: true } });
  if (!user?.instanceAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "Only an administrator of this Prism instance can see this." });
  return next();
});

const idSchema = z.string().min(1).max(64);

function refuse(role: Role, minRole: Role): never {
  throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role or higher; you are ${role}.` });
}

/*
 * orgProcedure / projectProcedure take the procedure's own input shape and parse it together
 * with the tenant id as one strict object, so unknown keys are refused everywhere.
 */

/**
 * A procedure whose input names an organisation. The caller must be a member with at least
 * `minRole`; a non-member gets NOT_FOUND, as if the organisation did not exist.
 */
export function orgProcedure<S extends z.ZodRawShape = Record<never, never>>(minRole: Role, shape?: S) {
  return protectedProcedure.input(z.strictObject({ orgId: idSchema, ...(shape as S) })).use(async ({ ctx, input, next }) => {
    const { orgId } = input as { orgId: string }; // generic S hides the key from TS; zod guarantees it
    const membership = await ctx.db.membership.findUnique({
      where: { userId_organizationId: { userId: ctx.user.id, organizationId: orgId } },
      select: { role: true },
    });
    if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: "Organisation not found." });
    if (ROLE_LEVEL[membership.role] < ROLE_LEVEL[minRole]) refuse(membership.role, minRole);
    return next({ ctx: { ...ctx, orgId, role: membership.role } });
  });
}

/**
 * A procedure whose input names a project. The caller must belong to the project's organisation
 * with at least `minRole`; otherwise NOT_FOUND (a project one cannot see does not exist) or FORBIDDEN.
 */
export function projectProcedure<S extends z.ZodRawShape = Record<never, never>>(minRole: Role, shape?: S) {
  return protectedProcedure.input(z.strictObject({ projectId: idSchema, ...(shape as S) })).use(async ({ ctx, input, next }) => {
    const { projectId } = input as { projectId: string };
    const access = await projectAccess(ctx.db, projectId, ctx.user.id);
    if (!access) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found." });
    const { project, role } = access;
    if (ROLE_LEVEL[role] < ROLE_LEVEL[minRole]) refuse(role, minRole);
    return next({ ctx: { ...ctx, project: { id: project.id, organizationId: project.organizationId, archived: project.archivedAt !== null }, role } });
  });
}
