/** The events browser and live tail, read from the DuckDB query service. */
import { z } from "zod";
import { eventCursorSchema, eventFilterSchema } from "~/core/reports";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService } from "~/server/query-client";

export const eventsRouter = createTRPCRouter({
  /** Newest first; pass the answer's `nextCursor` back as `cursor` for the next page. */
  list: projectProcedure("viewer", {
    filter: eventFilterSchema.default({ events: [], filters: [] }),
    cursor: eventCursorSchema.nullable().default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(({ ctx, input }) =>
    callQueryService((service) => service.events.list.query({ projectId: ctx.project.id, filter: input.filter, cursor: input.cursor, limit: input.limit })),
  ),
  get: projectProcedure("viewer", { eventId: z.string().min(1).max(128) }).query(({ ctx, input }) =>
    callQueryService((service) => service.events.get.query({ projectId: ctx.project.id, eventId: input.eventId })),
  ),
  /** Events received after `after` (oldest first); without it, the latest ones. Poll with the returned cursor. */
  tail: projectProcedure("viewer", {
    after: z
      .strictObject({ receivedAt: z.iso.datetime({ offset: true }), eventId: z.string().min(1).max(128) })
      .nullable()
      .default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(({ ctx, input }) => callQueryService((service) => service.events.tail.query({ projectId: ctx.project.id, after: input.after, limit: input.limit }))),
});
