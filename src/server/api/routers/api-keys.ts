import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { apiKeyKindSchema, apiKeyNameSchema } from "~/core/api-keys";
import { withConflict } from "~/server/api/errors";
import { createTRPCRouter, orgProcedure, projectProcedure } from "~/server/api/trpc";
import { mintApiKey } from "~/platform/api-keys";

const keySelect = { id: true, name: true, prefix: true, kind: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;
const withStatus = <K extends { revokedAt: Date | null }>(key: K) => ({ ...key, status: key.revokedAt ? ("revoked" as const) : ("active" as const) });

export const apiKeysRouter = createTRPCRouter({
  list: projectProcedure("viewer").query(async ({ ctx }) => {
    const keys = await ctx.db.apiKey.findMany({ where: { projectId: ctx.project.id }, select: keySelect, orderBy: { createdAt: "desc" } });
    return keys.map(withStatus);
  }),

  /**
   * Returns the secret exactly once. `kind` defaults to write (ingest), as before kinds existed.
   * A manage key may mint write and read keys of its project, never another manage key: otherwise a
   * leaked manage key could keep a sibling alive past its own revocation, and configuration access
   * would no longer always trace back to a person.
   */
  create: projectProcedure("admin", { name: apiKeyNameSchema, kind: apiKeyKindSchema.default("write") }).mutation(async ({ ctx, input }) => {
    if (ctx.apiKey && input.kind === "manage") {
      throw new TRPCError({ code: "FORBIDDEN", message: "A manage key cannot create manage keys; a project admin creates them in the app." });
    }
    const minted = mintApiKey();
    const key = await withConflict(
      () =>
        ctx.db.apiKey.create({
          data: { id: minted.id, projectId: ctx.project.id, name: input.name, kind: input.kind, prefix: minted.prefix, secretHash: minted.secretHash },
          select: { id: true, name: true, prefix: true, kind: true, createdAt: true },
        }),
      () => "Could not create the key; try again.",
    );
    return { ...key, secret: minted.secret };
  }),

  revoke: projectProcedure("admin", { keyId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.apiKey.updateMany({ where: { id: input.keyId, projectId: ctx.project.id, revokedAt: null }, data: { revokedAt: new Date() } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No active key with that id in this project." });
    return { revoked: true };
  }),

  /** The organisation's own keys: manage keys of every project of the organisation (never of another). */
  listForOrg: orgProcedure("admin").query(async ({ ctx }) => {
    const keys = await ctx.db.apiKey.findMany({ where: { organizationId: ctx.orgId }, select: keySelect, orderBy: { createdAt: "desc" } });
    return keys.map(withStatus);
  }),

  /**
   * An organisation manage key; the secret is returned once. orgProcedure admits signed-in admins
   * and owners only, so no key (not even an organisation key) mints one.
   */
  createForOrg: orgProcedure("admin", { name: apiKeyNameSchema }).mutation(async ({ ctx, input }) => {
    const minted = mintApiKey();
    const key = await withConflict(
      () =>
        ctx.db.apiKey.create({
          data: { id: minted.id, organizationId: ctx.orgId, name: input.name, kind: "manage", prefix: minted.prefix, secretHash: minted.secretHash },
          select: { id: true, name: true, prefix: true, kind: true, createdAt: true },
        }),
      () => "Could not create the key; try again.",
    );
    return { ...key, secret: minted.secret };
  }),

  revokeForOrg: orgProcedure("admin", { keyId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.apiKey.updateMany({ where: { id: input.keyId, organizationId: ctx.orgId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No active key with that id in this organisation." });
    return { revoked: true };
  }),
});
