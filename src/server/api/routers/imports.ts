/** Import and backfill jobs (src/server/imports.ts): started here, uploaded to the import route, read back as progress. */
import { z } from "zod";
import { createTRPCRouter, projectProcedure, userProjectProcedure } from "~/server/api/trpc";
import { listImports, readImport, startImport, startImportInput } from "~/server/imports";

export const importsRouter = createTRPCRouter({
  /** A job waiting for its file: admins, signed in (the job names who imported). */
  start: userProjectProcedure("admin", startImportInput).mutation(({ ctx, input }) =>
    startImport(ctx.db, {
      projectId: ctx.project.id,
      format: input.format,
      fireActions: input.fireActions,
      fileName: input.fileName,
      totalBytes: input.totalBytes,
      requestedBy: ctx.user,
    }),
  ),
  /** A job's progress: lines read, accepted, refused, and the first refusals by line. */
  get: projectProcedure("admin", { importId: z.string().min(1).max(64) }).query(({ ctx, input }) => readImport(ctx.db, ctx.project.id, input.importId)),
  /** The project's imports, newest first. */
  list: projectProcedure("admin").query(({ ctx }) => listImports(ctx.db, ctx.project.id)),
});
