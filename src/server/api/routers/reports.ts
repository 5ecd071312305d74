/**
 * Reports over the DuckDB query service: the app checks the user's role on the project, then calls
 * the service with the authorised project id and the project's time zone.
 */
import { queryInputs } from "~/contracts/query-service";
import { createTRPCRouter, projectProcedure, type TRPCContext } from "~/server/api/trpc";
import { callQueryService } from "~/server/query-client";
import { cohortsOfDefinition } from "~/server/cohorts";

/** The project's reporting time zone (Project.timezone). */
export async function projectTimezone(ctx: Pick<TRPCContext, "db">, projectId: string): Promise<string> {
  const project = await ctx.db.project.findUniqueOrThrow({ where: { id: projectId }, select: { timezone: true } });
  return project.timezone;
}

export const reportsRouter = createTRPCRouter({
  query: projectProcedure("viewer", queryInputs.report.query).query(async ({ ctx, input }) => {
    const cohorts = await cohortsOfDefinition(ctx.db, ctx.project.id, input.definition);
    return callQueryService((service) => service.report.query.query({ projectId: ctx.project.id, definition: input.definition, fresh: input.fresh, cohorts }));
  }),
  trend: projectProcedure("viewer", queryInputs.report.trend).query(async ({ ctx, input }) => {
    const [timezone, cohorts] = await Promise.all([projectTimezone(ctx, ctx.project.id), cohortsOfDefinition(ctx.db, ctx.project.id, input.definition)]);
    return callQueryService((service) =>
      service.report.trend.query({ projectId: ctx.project.id, timezone, definition: input.definition, fresh: input.fresh, cohorts }),
    );
  }),
  funnel: projectProcedure("viewer", queryInputs.report.funnel).query(async ({ ctx, input }) => {
    const [timezone, cohorts] = await Promise.all([projectTimezone(ctx, ctx.project.id), cohortsOfDefinition(ctx.db, ctx.project.id, input.definition)]);
    return callQueryService((service) =>
      service.report.funnel.query({ projectId: ctx.project.id, timezone, definition: input.definition, fresh: input.fresh, cohorts }),
    );
  }),
  segment: projectProcedure("viewer", queryInputs.report.segment).query(async ({ ctx, input }) => {
    const cohorts = await cohortsOfDefinition(ctx.db, ctx.project.id, input.definition);
    return callQueryService((service) =>
      service.report.segment.query({ projectId: ctx.project.id, definition: input.definition, fresh: input.fresh, cohorts }),
    );
  }),
  retention: projectProcedure("viewer", queryInputs.report.retention).query(async ({ ctx, input }) => {
    const [timezone, cohorts] = await Promise.all([projectTimezone(ctx, ctx.project.id), cohortsOfDefinition(ctx.db, ctx.project.id, input.definition)]);
    return callQueryService((service) =>
      service.report.retention.query({ projectId: ctx.project.id, timezone, definition: input.definition, fresh: input.fresh, cohorts }),
    );
  }),
  /** The top paths after or before an event (no calendar buckets, so no time zone). */
  paths: projectProcedure("viewer", queryInputs.report.paths).query(async ({ ctx, input }) => {
    const cohorts = await cohortsOfDefinition(ctx.db, ctx.project.id, input.definition);
    return callQueryService((service) => service.report.paths.query({ projectId: ctx.project.id, definition: input.definition, fresh: input.fresh, cohorts }));
  }),
  /** Events today (project time zone), active profiles today and over 7 days, triggers fired today. */
  keyNumbers: projectProcedure("viewer").query(async ({ ctx }) => {
    const timezone = await projectTimezone(ctx, ctx.project.id);
    return callQueryService((service) => service.stats.keyNumbers.query({ projectId: ctx.project.id, timezone }));
  }),
  /** Firings of today's events (project time zone) per trigger id. */
  firingsToday: projectProcedure("viewer").query(async ({ ctx }) => {
    const timezone = await projectTimezone(ctx, ctx.project.id);
    return callQueryService((service) => service.stats.firingsToday.query({ projectId: ctx.project.id, timezone }));
  }),
  /** A trigger's recent firings, newest event first (result, error, event, time, action outcomes). */
  triggerFirings: projectProcedure("viewer", queryInputs.triggers.firings).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.triggers.firings.query({ projectId: ctx.project.id, triggerId: input.triggerId, cursor: input.cursor, limit: input.limit }),
    ),
  ),
});
