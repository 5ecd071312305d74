/**
 * tRPC in three parts: 1. context, 2. initialisation, 3. router and procedure builders.
 * The procedure builders carry authentication and tenant checks, so a handler only says what it does.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { ApiKeyKind } from "~/core/api-keys";
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

/**
 * An API key calling through the public REST API (src/server/rest), in place of a user. It reaches
 * only projectProcedures of its own project, with the role its kind grants (KEY_ROLES); the UI's
 * /api/trpc never sets it. An organisation key (`projectId` null, always manage) reaches the
 * projectProcedures of every project of its organisation, and orgKeyProcedures of that organisation.
 */
export interface KeyPrincipal {
  keyId: string;
  kind: ApiKeyKind;
  projectId: string | null;
  organizationId: string;
}

/** The role a key acts with on its project: write keys only ingest, so they reach no procedure. */
export const KEY_ROLES: Record<ApiKeyKind, Role | null> = { write: null, read: "viewer", manage: "admin" };

export interface TRPCContext {
  db: ReturnType<typeof db>;
  user: RequestUser | null;
  apiKey: KeyPrincipal | null;
  mailer: Mailer;
  /** Absolute base for links in mails, e.g. http://127.0.0.1:3000 */
  appUrl: string;
}

export function createTRPCContext(opts: {
  user: RequestUser | null;
  apiKey?: KeyPrincipal | null;
  db?: ReturnType<typeof db>;
  mailer?: Mailer;
  appUrl?: string;
}): TRPCContext {
  const client = opts.db ?? db();
  return {
    db: client,
    user: opts.apiKey ? null : opts.user,
    apiKey: opts.apiKey ?? null,
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

/** The signed-in user, if their session is still current: a password reset or change since sign-in ends it. */
async function currentUser(ctx: TRPCContext): Promise<RequestUser> {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  const current = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { sessionVersion: true } });
  if (!current) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session belongs to an account that no longer exists; sign in again." });
  if (current.sessionVersion !== ctx.user.sessionVersion) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your password was changed since you signed in; sign in again." });
  }
  return ctx.user;
}

/** A signed-in user whose session is still current. API keys never pass: they reach projectProcedures only. */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const user = await currentUser(ctx);
  return next({ ctx: { ...ctx, user } });
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

/** A signed-in user with a current session (as protectedProcedure), or an API key; for projectProcedure. */
const userOrKeyProcedure = t.procedure.use(async ({ ctx, next }) => {
  const user: RequestUser | null = ctx.apiKey ? null : await currentUser(ctx);
  return next({ ctx: { ...ctx, user } });
});

/** An API key's access to a project: only its own, with its kind's role; as for users, another project does not exist. */
async function keyProjectAccess(ctx: TRPCContext, key: KeyPrincipal, projectId: string, minRole: Role) {
  const role = KEY_ROLES[key.kind];
  if (!role) throw new TRPCError({ code: "FORBIDDEN", message: `A ${key.kind} key only sends events and profiles; use a read or manage key.` });
  const select = { id: true, organizationId: true, archivedAt: true } as const;
  const project =
    key.projectId === null
      ? await ctx.db.project.findFirst({ where: { id: projectId, organizationId: key.organizationId }, select })
      : projectId === key.projectId
        ? await ctx.db.project.findUnique({ where: { id: projectId }, select })
        : null;
  if (!project) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found." });
  if (ROLE_LEVEL[role] < ROLE_LEVEL[minRole]) {
    throw new TRPCError({ code: "FORBIDDEN", message: `A ${key.kind} key cannot do this; it needs the ${minRole} role or higher.` });
  }
  return { project, role };
}

/**
 * An orgProcedure that an organisation key of that organisation may call too (creating and listing
 * its projects); `ctx.user` is then null. Project keys and other organisations' keys get NOT_FOUND.
 */
export function orgKeyProcedure<S extends z.ZodRawShape = Record<never, never>>(minRole: Role, shape?: S) {
  return userOrKeyProcedure.input(z.strictObject({ orgId: idSchema, ...(shape as S) })).use(async ({ ctx, input, next }) => {
    const { orgId } = input as { orgId: string };
    let role: Role | null;
    if (ctx.apiKey) {
      const key = ctx.apiKey;
      role = key.projectId === null && key.organizationId === orgId ? KEY_ROLES[key.kind] : null;
      if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "Organisation not found." });
    } else {
      const membership = ctx.user
        ? await ctx.db.membership.findUnique({ where: { userId_organizationId: { userId: ctx.user.id, organizationId: orgId } }, select: { role: true } })
        : null;
      if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: "Organisation not found." });
      role = membership.role;
    }
    if (ROLE_LEVEL[role] < ROLE_LEVEL[minRole]) refuse(role, minRole);
    return next({ ctx: { ...ctx, orgId, role } });
  });
}

/**
 * A procedure whose input names a project. The caller must belong to the project's organisation
 * with at least `minRole`; otherwise NOT_FOUND (a project one cannot see does not exist) or FORBIDDEN.
 * An API key (the REST API) may call it too, on its own project only: `ctx.user` is then null.
 */
export function projectProcedure<S extends z.ZodRawShape = Record<never, never>>(minRole: Role, shape?: S) {
  return userOrKeyProcedure.input(z.strictObject({ projectId: idSchema, ...(shape as S) })).use(async ({ ctx, input, next }) => {
    const { projectId } = input as { projectId: string };
    let access: { project: { id: string; organizationId: string; archivedAt: Date | null }; role: Role };
    if (ctx.apiKey) {
      access = await keyProjectAccess(ctx, ctx.apiKey, projectId, minRole);
    } else {
      const found = ctx.user ? await projectAccess(ctx.db, projectId, ctx.user.id) : null;
      if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found." });
      if (ROLE_LEVEL[found.role] < ROLE_LEVEL[minRole]) refuse(found.role, minRole);
      access = found;
    }
    const { project, role } = access;
    return next({ ctx: { ...ctx, project: { id: project.id, organizationId: project.organizationId, archived: project.archivedAt !== null }, role } });
  });
}

/** A projectProcedure about the signed-in person (their notifications, an action signed with their name): API keys are refused. */
export function userProjectProcedure<S extends z.ZodRawShape = Record<never, never>>(minRole: Role, shape?: S) {
  return projectProcedure(minRole, shape).use(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: "FORBIDDEN", message: "Only a signed-in person can do this; API keys cannot." });
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}
