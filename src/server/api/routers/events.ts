/** The events browser and live tail, read from the DuckDB query service. */
import { queryInputs } from "~/contracts/query-service";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService } from "~/server/query-client";

export const eventsRouter = createTRPCRouter({
  /** Newest first; pass the answer's `nextCursor` back as `cursor` for the next page. */
  list: projectProcedure("viewer", queryInputs.events.list).query(({ ctx, input }) =>
    callQueryService((service) => service.events.list.query({ projectId: ctx.project.id, filter: input.filter, cursor: input.cursor, limit: input.limit })),
  ),
  get: projectProcedure("viewer", queryInputs.events.get).query(({ ctx, input }) =>
    callQueryService((service) => service.events.get.query({ projectId: ctx.project.id, eventId: input.eventId })),
  ),
  /** Events received after `after` (oldest first); without it, the latest ones. Poll with the returned cursor. */
  tail: projectProcedure("viewer", queryInputs.events.tail).query(({ ctx, input }) =>
    callQueryService((service) => service.events.tail.query({ projectId: ctx.project.id, after: input.after, limit: input.limit })),
  ),
});
