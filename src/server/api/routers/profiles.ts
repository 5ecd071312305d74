/** The profiles browser, read from the DuckDB query service (latest state and history). */
import { queryInputs } from "~/contracts/query-service";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
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
});
