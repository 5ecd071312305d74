/** The profiles browser, read from the DuckDB query service (latest state and history). */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { queryInputs } from "~/contracts/query-service";
import { deletionProfileIdSchema } from "~/contracts/profile-deletion";
import { createTRPCRouter, projectProcedure, userProjectProcedure } from "~/server/api/trpc";
import { findProfileDeletions, listProfileDeletions, readProfileDeletion, startProfileDeletion } from "~/server/profile-deletions";
import { personIdsOf, requestMerge } from "~/server/identity";
import { callQueryService } from "~/server/query-client";

export const profilesRouter = createTRPCRouter({
  /** By profile id prefix and/or one property equal to a value (`prop.key` may be nested: "address.city"). */
  search: projectProcedure("viewer", queryInputs.profiles.search).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.profiles.search.query({ projectId: ctx.project.id, prefix: input.prefix, prop: input.prop, cursor: input.cursor, limit: input.limit }),
    ),
  ),
  get: projectProcedure("viewer", queryInputs.profiles.get).query(({ ctx, input }) =>
    callQueryService((service) => service.profiles.get.query({ projectId: ctx.project.id, profileId: input.profileId })),
  ),
  timeline: projectProcedure("viewer", queryInputs.profiles.timeline).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.profiles.timeline.query({ projectId: ctx.project.id, profileId: input.profileId, cursor: input.cursor, limit: input.limit }),
    ),
  ),
  /** GDPR deletion of a profile and everything it left behind, as a job the worker runs; admins, signed in (the audit names them). */
  delete: userProjectProcedure("admin", { profileId: deletionProfileIdSchema }).mutation(async ({ ctx, input }) =>
    // The whole person: every id merged with this one (identity merge) goes too.
    startProfileDeletion(ctx.db, { projectId: ctx.project.id, profileIds: await personIdsOf(ctx.db, ctx.project.id, input.profileId), requestedBy: ctx.user }),
  ),
  /**
   * Merges two known ids into one person (`from`'s into `into`'s; into's props win): the only way two
   * identified users are merged, since an identify never does it. Admins, signed in.
   */
  merge: userProjectProcedure("admin", {
    from: z.string().trim().min(1).max(256),
    into: z.string().trim().min(1).max(256),
  }).mutation(({ ctx, input }) => {
    if (input.from === input.into) throw new TRPCError({ code: "BAD_REQUEST", message: "Choose two different profiles to merge." });
    return requestMerge({ projectId: ctx.project.id, from: input.from, into: input.into });
  }),
  /** A deletion's progress, step by step. */
  deletion: projectProcedure("admin", { deletionId: z.string().min(1).max(64) }).query(({ ctx, input }) =>
    readProfileDeletion(ctx.db, ctx.project.id, input.deletionId),
  ),
  /** The project's deletions, newest first: who, when, and how much was removed, without the ids. */
  deletions: projectProcedure("admin").query(({ ctx }) => listProfileDeletions(ctx.db, ctx.project.id)),
  /** The deletions of one id, found by recomputing each record's digest. */
  findDeletions: projectProcedure("admin", { profileId: deletionProfileIdSchema }).query(({ ctx, input }) =>
    findProfileDeletions(ctx.db, ctx.project.id, input.profileId),
  ),
});
