/**
 * The query service's tRPC router. Every procedure takes `projectId` and filters by it; the
 * service trusts that id because only the app (holding the internal secret, after checking the
 * user's role) can call it. Inputs are validated again here, with the schemas the app's routers
 * use (src/contracts/query-service).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { queryServiceInputs as inputs } from "../../src/contracts/query-service";
import {
  buildDeadLetterList,
  buildEventGet,
  buildEventList,
  buildEventTail,
  buildFiringsToday,
  buildKeyNumbers,
  buildDiscardDeadLetters,
  buildProfileActivity,
  buildProfileChanges,
  buildProfileGet,
  buildProfileSearch,
  buildTriggerFirings,
  pageOf,
  toDeadLetterRow,
  toEventDetail,
  toEventRow,
  toFiringRow,
  toProfileChange,
  toProfileRow,
} from "./browse";
import { funnelReport, queryReport, ReportInputError, retentionReport, segmentReport, trendReport, type RunQuery } from "./reports";
import { pathsReport } from "./paths";
import { withPersonOverrides } from "./identity";
import {
  buildCohortCount,
  buildCohortMemberPage,
  buildDeleteCohortMembers,
  buildReplaceStaticMembers,
  cohortContext,
  cohortMembers,
  UnknownCohortError,
  withCohortBreakdown,
  type CohortContext,
} from "./cohorts";
import type { CohortFilter, WithCohorts } from "../../src/core/reports";
import type { ResolvedCohort } from "../../src/core/cohorts";
import { BACKTEST_MAX_PAGE_ROWS, buildBacktestCount, buildBacktestPage, toBacktestEventRow } from "./backtest";
import type { Computed, ReportCache, ReportKind, ReportRequest } from "./report-cache";
import { QueryTimeoutError, RowCapError, type QueryRunner } from "./runner";
import type { Logger } from "../../src/platform/logger";
import { measured, type ReportMetrics } from "./report-metrics";

export interface QueryContext {
  runner: QueryRunner;
  log: Logger;
  /** The reporting metrics; unmeasured without (tests, benchmarks). */
  metrics?: ReportMetrics;
  /** The report cache; every report is computed without. */
  reports?: ReportCache;
}

const t = initTRPC.context<QueryContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return { ...shape, data: { ...shape.data, zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null } };
  },
});

/** Engine errors become messages a user can act on; anything else is logged and kept vague. */
const procedure = t.procedure.use(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof QueryTimeoutError) throw new TRPCError({ code: "TIMEOUT", message: cause.message });
  if (cause instanceof RowCapError) throw new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: cause.message });
  if (cause instanceof UnknownCohortError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message });
  if (cause instanceof ReportInputError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message });
  if (result.error.code === "INTERNAL_SERVER_ERROR") {
    ctx.log.error({ err: cause ?? result.error, path }, "query failed");
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The query failed inside the query service; it has been logged." });
  }
  return result;
});

/**
 * A report through the cache when the service has one (always, in the worker), measured either way,
 * with its cohort breakdown (dynamic cohorts evaluated as of the computation).
 */
function report<D extends ReportRequest["definition"] & { cohortFilters: CohortFilter[]; cohortBreakdown: string[] }, T extends object>(
  ctx: QueryContext,
  kind: ReportKind,
  input: ReportRequest & { definition: D; cohorts: ResolvedCohort[] },
  compute: (run: RunQuery, definition: D, cohorts: CohortContext) => Promise<T>,
): Promise<WithCohorts<T> & Computed> {
  const run: RunQuery = (q) => ctx.runner.all(q);
  const computed = () => {
    const cohorts = cohortContext(input.cohorts);
    return withPersonOverrides(run, input.projectId, () => withCohortBreakdown(input.definition, cohorts, (definition) => compute(run, definition, cohorts)));
  };
  if (ctx.reports) return ctx.reports.answer(kind, input, computed);
  const computedAt = new Date().toISOString();
  return measured(ctx.metrics, kind, computed).then((value) => ({ ...value, computedAt, cached: false }));
}

const reportRouter = t.router({
  query: procedure
    .input(inputs.report.query)
    .query(({ ctx, input }) => report(ctx, "query", input, (run, definition, cohorts) => queryReport(run, input.projectId, definition, cohorts))),
  trend: procedure
    .input(inputs.report.trend)
    .query(({ ctx, input }) =>
      report(ctx, "trend", input, (run, definition, cohorts) => trendReport(run, input.projectId, definition, input.timezone, cohorts)),
    ),
  funnel: procedure
    .input(inputs.report.funnel)
    .query(({ ctx, input }) =>
      report(ctx, "funnel", input, (run, definition, cohorts) => funnelReport(run, input.projectId, definition, input.timezone, cohorts)),
    ),
  segment: procedure
    .input(inputs.report.segment)
    .query(({ ctx, input }) => report(ctx, "segment", input, (run, definition, cohorts) => segmentReport(run, input.projectId, definition, cohorts))),
  retention: procedure
    .input(inputs.report.retention)
    .query(({ ctx, input }) =>
      report(ctx, "retention", input, (run, definition, cohorts) => retentionReport(run, input.projectId, definition, input.timezone, cohorts)),
    ),
  paths: procedure
    .input(inputs.report.paths)
    .query(({ ctx, input }) => report(ctx, "paths", input, (run, definition, cohorts) => pathsReport(run, input.projectId, definition, cohorts))),
});

const eventsRouter = t.router({
  list: procedure.input(inputs.events.list).query(async ({ ctx, input }) => {
    const rows = await ctx.runner.all(buildEventList(input.projectId, input.filter, input.cursor, input.limit));
    return pageOf(rows.map(toEventRow), input.limit, (row) => ({ ts: row.ts, eventId: row.eventId }));
  }),
  get: procedure.input(inputs.events.get).query(async ({ ctx, input }) => {
    const [row] = await ctx.runner.all(buildEventGet(input.projectId, input.eventId));
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Event not found." });
    return toEventDetail(row);
  }),
  tail: procedure.input(inputs.events.tail).query(async ({ ctx, input }) => {
    const events = (await ctx.runner.all(buildEventTail(input.projectId, input.after, input.limit))).map(toEventRow);
    const last = events[events.length - 1];
    return { events, cursor: last ? { receivedAt: last.receivedAt, eventId: last.eventId } : input.after };
  }),
});

const profilesRouter = t.router({
  search: procedure.input(inputs.profiles.search).query(async ({ ctx, input }) => {
    const prop = input.prop ? { key: input.prop.key.split("."), value: input.prop.value } : undefined;
    const rows = await ctx.runner.all(buildProfileSearch(input.projectId, { prefix: input.prefix, prop }, input.cursor, input.limit));
    return pageOf(rows.map(toProfileRow), input.limit, (row) => row.profileId);
  }),
  get: procedure.input(inputs.profiles.get).query(async ({ ctx, input }) => {
    const [profile] = await ctx.runner.all(buildProfileGet(input.projectId, input.profileId));
    if (!profile) throw new TRPCError({ code: "NOT_FOUND", message: "Profile not found." });
    const [changes, [activity]] = await Promise.all([
      ctx.runner.all(buildProfileChanges(input.projectId, input.profileId, 20)),
      ctx.runner.all(buildProfileActivity(input.projectId, input.profileId)),
    ]);
    const firstMs = activity?.first_ms;
    const lastMs = activity?.last_ms;
    return {
      ...toProfileRow(profile),
      recentChanges: changes.map(toProfileChange),
      eventCount: Number(activity?.events ?? 0),
      firstSeen: firstMs === null || firstMs === undefined ? null : new Date(Number(firstMs)).toISOString(),
      lastSeen: lastMs === null || lastMs === undefined ? null : new Date(Number(lastMs)).toISOString(),
    };
  }),
  timeline: procedure.input(inputs.profiles.timeline).query(async ({ ctx, input }) => {
    const rows = await ctx.runner.all(
      buildEventList(input.projectId, { events: [], filters: [], profileId: input.profileId }, input.cursor, input.limit, { person: true }),
    );
    return pageOf(rows.map(toEventRow), input.limit, (row) => ({ ts: row.ts, eventId: row.eventId }));
  }),
});

const statsRouter = t.router({
  keyNumbers: procedure.input(inputs.stats.keyNumbers).query(async ({ ctx, input }) => {
    const [row] = await ctx.runner.all(buildKeyNumbers(input.projectId, input.timezone));
    return {
      eventsToday: Number(row?.events_today ?? 0),
      activeProfilesToday: Number(row?.active_today ?? 0),
      activeProfiles7d: Number(row?.active_7d ?? 0),
      triggersFiredToday: Number(row?.triggers_today ?? 0),
    };
  }),
  /** Firings of today's events, per trigger id; triggers without any are absent. */
  firingsToday: procedure.input(inputs.stats.firingsToday).query(async ({ ctx, input }) => {
    const rows = await ctx.runner.all(buildFiringsToday(input.projectId, input.timezone));
    return Object.fromEntries(rows.map((row) => [String(row.trigger_id), Number(row.firings)])) as Record<string, number>;
  }),
});

const triggersRouter = t.router({
  firings: procedure.input(inputs.triggers.firings).query(async ({ ctx, input }) => {
    const rows = await ctx.runner.all(buildTriggerFirings(input.projectId, input.triggerId, input.cursor, input.limit));
    return pageOf(rows.map(toFiringRow), input.limit, (row) => ({ eventAt: row.eventAt, firingId: row.firingId }));
  }),
  /** One page of the rule backtest's events, with the range's event count for the progress line; `next` is null after the last page. */
  backtestEvents: procedure.input(inputs.triggers.backtestEvents).query(async ({ ctx, input }) => {
    const [rows, [count]] = await Promise.all([
      // A page holds whole persons, so one busy person may take it past `limit`.
      ctx.runner.all(buildBacktestPage(input.projectId, input.from, input.to, input.after, input.limit), { maxRows: BACKTEST_MAX_PAGE_ROWS }),
      ctx.runner.all(buildBacktestCount(input.projectId, input.from, input.to)),
    ]);
    const last = rows[rows.length - 1];
    const more = last !== undefined && Number(last.groups_after) > 0;
    return { events: rows.map(toBacktestEventRow), total: Number(count?.n ?? 0), next: more ? String(last.grp) : null };
  }),
});

/** Cohorts are evaluated at the time of asking; each call uses one instant for all its queries. */
const cohortsRouter = t.router({
  count: procedure.input(inputs.cohorts.count).query(async ({ ctx, input }) => {
    const run: RunQuery = (q) => ctx.runner.all(q);
    const [row] = await withPersonOverrides(run, input.projectId, () => run(buildCohortCount(input.projectId, input.cohort, new Date().toISOString())));
    return { count: Number(row?.n ?? 0), computedAt: new Date().toISOString() };
  }),
  members: procedure.input(inputs.cohorts.members).query(async ({ ctx, input }) => {
    const run: RunQuery = (q) => ctx.runner.all(q);
    const rows = await withPersonOverrides(run, input.projectId, () =>
      run(buildCohortMemberPage(input.projectId, input.cohort, new Date().toISOString(), input.cursor, input.limit)),
    );
    const items = rows.map((row) => ({
      profileId: String(row.profile_id),
      props: row.props === null ? null : (JSON.parse(String(row.props)) as Record<string, unknown>),
    }));
    return pageOf(items, input.limit, (row) => row.profileId);
  }),
  memberIds: procedure.input(inputs.cohorts.memberIds).query(async ({ ctx, input }) => {
    const run: RunQuery = (q) => ctx.runner.all(q, { maxRows: 10_000_000 });
    const ids = await withPersonOverrides(run, input.projectId, () => cohortMembers(run, input.projectId, input.cohort));
    return { ids, computedAt: new Date().toISOString() };
  }),
  setStaticMembers: procedure.input(inputs.cohorts.setStaticMembers).mutation(async ({ ctx, input }) => {
    const [, added] = await ctx.runner.transaction(buildReplaceStaticMembers(input.projectId, input.cohortId, input.ids));
    return { members: added ?? 0 };
  }),
  deleteMembers: procedure.input(inputs.cohorts.deleteMembers).mutation(async ({ ctx, input }) => {
    return { removed: await ctx.runner.change(buildDeleteCohortMembers(input.projectId, input.cohortId)) };
  }),
});

const deadLettersRouter = t.router({
  list: procedure.input(inputs.deadLetters.list).query(async ({ ctx, input }) => {
    const rows = await ctx.runner.all(buildDeadLetterList(input.projectId, input.reason, input.cursor, input.limit, input.stage));
    return pageOf(rows.map(toDeadLetterRow), input.limit, (row) => ({ receivedAt: row.receivedAt, dlqId: row.dlqId }));
  }),
  discard: procedure.input(inputs.deadLetters.ids).mutation(async ({ ctx, input }) => {
    return { discarded: await ctx.runner.change(buildDiscardDeadLetters(input.projectId, input.ids)) };
  }),
});

export const queryRouter = t.router({
  report: reportRouter,
  events: eventsRouter,
  profiles: profilesRouter,
  stats: statsRouter,
  triggers: triggersRouter,
  deadLetters: deadLettersRouter,
  cohorts: cohortsRouter,
});

export type QueryRouter = typeof queryRouter;
export const createQueryCaller = t.createCallerFactory(queryRouter);
