/** The profiles browser, read from the DuckDB query service (latest state and history). */
import { z } from "zod";
import { eventCursorSchema } from "~/core/reports";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService } from "~/server/query-client";

export const profilesRouter = createTRPCRouter({
  /** By profile id prefix and/or one property equal to a value (`prop.key` may be nested: "address.city"). */
  search: projectProcedure("viewer", {
    prefix: z.string().max(256).optional(),
    prop: z.strictObject({ key: z.string().max(300), value: z.string().max(2000) }).optional(),
    cursor: z.string().max(256).nullable().default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.profiles.search.query({ projectId: ctx.project.id, prefix: input.prefix, prop: input.prop, cursor: input.cursor, limit: input.limit }),
    ),
  ),
  get: projectProcedure("viewer", { profileId: z.string().min(1).max(256) }).query(({ ctx, input }) =>
    callQueryService((service) => service.profiles.get.query({ projectId: ctx.project.id, profileId: input.profileId })),
  ),
  timeline: projectProcedure("viewer", {
    profileId: z.string().min(1).max(256),
    cursor: eventCursorSchema.nullable().default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.profiles.timeline.query({ projectId: ctx.project.id, profileId: input.profileId, cursor: input.cursor, limit: input.limit }),
    ),
  ),
});
