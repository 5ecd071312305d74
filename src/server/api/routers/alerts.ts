/**
 * Metric alerts on saved trend reports (src/core/alerts.ts). The worker evaluates them on a
 * schedule (workers/alerts); here they are defined, listed with their history, and tried now:
 * `evaluate` runs the same plan and judgement over the query service's trend, writing nothing.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  alertActionSchema,
  alertConfigOf,
  alertConfigSchema,
  alertInputSchema,
  alertTrend,
  evaluatePlan,
  planAlert,
  type AlertAction,
  type AlertConfig,
} from "~/core/alerts";
import { intervalSchema, reportSpecSchema, type Interval } from "~/core/reports";
import type { PrismaClient } from "~/generated/prisma/client";
import { createTRPCRouter, projectProcedure, type TRPCContext } from "~/server/api/trpc";
import { callQueryService } from "~/server/query-client";
import { cohortsOfDefinition } from "~/server/cohorts";
import { projectTimezone } from "./reports";

const alertId = z.string().min(1).max(64);
const reportId = z.string().min(1).max(64);

const alertSelect = {
  id: true,
  name: true,
  reportId: true,
  seriesIndex: true,
  condition: true,
  threshold: true,
  k: true,
  window: true,
  interval: true,
  actions: true,
  enabled: true,
  state: true,
  lastEvaluatedPeriod: true,
  createdAt: true,
  updatedAt: true,
  report: { select: { name: true } },
} as const;

type AlertRow = {
  id: string;
  name: string;
  reportId: string;
  seriesIndex: number;
  condition: string;
  threshold: number | null;
  k: number | null;
  window: number | null;
  interval: string;
  actions: unknown;
  enabled: boolean;
  state: string;
  lastEvaluatedPeriod: Date | null;
  createdAt: Date;
  updatedAt: Date;
  report: { name: string };
};

/** Stored rows are re-validated on the way out, so a bad row reaches neither the UI nor the worker unparsed. */
function toAlert(row: AlertRow) {
  const { report, condition: _c, threshold: _t, k: _k, window: _w, ...rest } = row;
  return {
    ...rest,
    reportName: report.name,
    config: alertConfigOf(row),
    actions: z.array(alertActionSchema).catch([]).parse(row.actions),
    state: z.enum(["ok", "firing", "no_data"]).catch("ok").parse(row.state),
  };
}

/** The project's saved trend with that series, and its interval; a clear 4xx otherwise. */
async function trendReportOf(db: PrismaClient, projectId: string, id: string, seriesIndex: number) {
  const report = await db.savedReport.findFirst({ where: { id, projectId }, select: { id: true, kind: true, definition: true } });
  if (!report) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
  const spec = reportSpecSchema.safeParse({ kind: report.kind, definition: report.definition });
  if (!spec.success || spec.data.kind !== "trend")
    throw new TRPCError({ code: "BAD_REQUEST", message: "Alerts watch a saved trend report; this report is not one." });
  if (seriesIndex >= spec.data.definition.series.length) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The report has ${spec.data.definition.series.length} series; there is no series ${seriesIndex + 1}.`,
    });
  }
  return { report, interval: spec.data.definition.interval };
}

/** Webhook actions must name one of the project's endpoints. */
async function assertEndpoints(db: PrismaClient, projectId: string, actions: readonly AlertAction[]): Promise<void> {
  const wanted = [...new Set(actions.flatMap((action) => (action.type === "webhook" ? [action.endpointId] : [])))];
  if (wanted.length === 0) return;
  const found = await db.webhookEndpoint.findMany({ where: { projectId, id: { in: wanted } }, select: { id: true } });
  const missing = wanted.filter((id) => !found.some((endpoint) => endpoint.id === id));
  if (missing.length > 0) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The webhook endpoint “${missing[0]}” is not one of this project's endpoints; pick one from the Webhooks page.`,
    });
  }
}

const columnsOf = (config: AlertConfig) => ({
  condition: config.condition,
  threshold: config.condition === "anomaly" ? null : config.threshold,
  k: config.condition === "anomaly" ? config.k : null,
  window: config.condition === "anomaly" ? config.window : null,
});

/** Judges the latest complete period now, over the query service's trend (what the report shows). */
async function evaluateNow(
  ctx: Pick<TRPCContext, "db">,
  projectId: string,
  report: { kind: string; definition: unknown },
  seriesIndex: number,
  interval: Interval,
  config: AlertConfig,
) {
  const timezone = await projectTimezone(ctx, projectId);
  const plan = planAlert({ interval, condition: config.condition, window: config.window, lastEvaluatedPeriod: null }, Date.now(), timezone);
  if (!plan) throw new TRPCError({ code: "BAD_REQUEST", message: "No complete period yet." });
  const trend = alertTrend(report, seriesIndex, interval, plan.range);
  if ("problem" in trend) throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot evaluate: ${trend.problem}.` });
  const cohorts = await cohortsOfDefinition(ctx.db, projectId, trend.definition);
  const result = await callQueryService((service) => service.report.trend.query({ projectId, timezone, definition: trend.definition, fresh: true, cohorts }));
  const values = result.series[0]?.values ?? [];
  const [evaluation] = evaluatePlan(plan, result.buckets, values, config);
  return {
    periodLabel: evaluation!.period.label,
    periodStart: new Date(evaluation!.period.start),
    state: evaluation!.state,
    value: evaluation!.value,
    median: evaluation!.median,
    mad: evaluation!.mad,
    detail: evaluation!.detail,
    seriesLabel: trend.label,
    buckets: result.buckets,
    values,
  };
}

export const alertsRouter = createTRPCRouter({
  /** The project's alerts, or one report's. */
  list: projectProcedure("viewer", { reportId: reportId.optional() }).query(async ({ ctx, input }) => {
    const rows = await ctx.db.metricAlert.findMany({
      where: { projectId: ctx.project.id, ...(input.reportId ? { reportId: input.reportId } : {}) },
      select: alertSelect,
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    return rows.map(toAlert);
  }),

  get: projectProcedure("viewer", { alertId }).query(async ({ ctx, input }) => {
    const row = await ctx.db.metricAlert.findFirst({ where: { id: input.alertId, projectId: ctx.project.id }, select: alertSelect });
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
    return toAlert(row);
  }),

  create: projectProcedure("member", { alert: alertInputSchema }).mutation(async ({ ctx, input }) => {
    const { interval } = await trendReportOf(ctx.db, ctx.project.id, input.alert.reportId, input.alert.seriesIndex);
    await assertEndpoints(ctx.db, ctx.project.id, input.alert.actions);
    const row = await ctx.db.metricAlert.create({
      data: {
        projectId: ctx.project.id,
        reportId: input.alert.reportId,
        seriesIndex: input.alert.seriesIndex,
        name: input.alert.name,
        ...columnsOf(input.alert.config),
        interval,
        actions: input.alert.actions,
        enabled: input.alert.enabled,
      },
      select: alertSelect,
    });
    return toAlert(row);
  }),

  /**
   * Changes an alert. Its history stays; the next evaluation continues after the last evaluated
   * period, at the report's current interval.
   */
  update: projectProcedure("member", { alertId, alert: alertInputSchema }).mutation(async ({ ctx, input }) => {
    const existing = await ctx.db.metricAlert.findFirst({ where: { id: input.alertId, projectId: ctx.project.id }, select: { id: true, interval: true } });
    if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
    const { interval } = await trendReportOf(ctx.db, ctx.project.id, input.alert.reportId, input.alert.seriesIndex);
    await assertEndpoints(ctx.db, ctx.project.id, input.alert.actions);
    const row = await ctx.db.metricAlert.update({
      where: { id: existing.id },
      data: {
        reportId: input.alert.reportId,
        seriesIndex: input.alert.seriesIndex,
        name: input.alert.name,
        ...columnsOf(input.alert.config),
        interval,
        actions: input.alert.actions,
        enabled: input.alert.enabled,
        // Periods of another length are not comparable with the history's: start again at the latest one.
        ...(interval === existing.interval ? {} : { lastEvaluatedPeriod: null, state: "ok" }),
      },
      select: alertSelect,
    });
    return toAlert(row);
  }),

  setEnabled: projectProcedure("member", { alertId, enabled: z.boolean() }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.metricAlert.updateMany({ where: { id: input.alertId, projectId: ctx.project.id }, data: { enabled: input.enabled } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
    return { enabled: input.enabled };
  }),

  delete: projectProcedure("member", { alertId }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.metricAlert.deleteMany({ where: { id: input.alertId, projectId: ctx.project.id } });
    if (result.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
    return { deleted: true };
  }),

  /** An alert's evaluated periods, newest first; `cursor` is the previous page's last period start. */
  history: projectProcedure("viewer", {
    alertId,
    cursor: z.iso.datetime({ offset: true }).nullable().default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(async ({ ctx, input }) => {
    const alert = await ctx.db.metricAlert.findFirst({ where: { id: input.alertId, projectId: ctx.project.id }, select: { id: true } });
    if (!alert) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
    const rows = await ctx.db.metricAlertState.findMany({
      where: { alertId: alert.id, ...(input.cursor ? { periodStart: { lt: new Date(input.cursor) } } : {}) },
      select: { periodStart: true, periodLabel: true, value: true, median: true, mad: true, state: true, detail: true, firingId: true, evaluatedAt: true },
      orderBy: { periodStart: "desc" },
      take: input.limit + 1,
    });
    const items = rows.slice(0, input.limit);
    return { items, nextCursor: rows.length > input.limit ? items[items.length - 1]!.periodStart.toISOString() : null };
  }),

  /** Judges the latest complete period now, without writing: a saved alert's, or a definition being edited. */
  evaluate: projectProcedure("viewer", {
    target: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("saved"), alertId }),
      z.strictObject({ kind: z.literal("draft"), reportId, seriesIndex: z.number().int().min(0).max(9).default(0), config: alertConfigSchema }),
    ]),
  }).query(async ({ ctx, input }) => {
    if (input.target.kind === "saved") {
      const alert = await ctx.db.metricAlert.findFirst({
        where: { id: input.target.alertId, projectId: ctx.project.id },
        select: {
          condition: true,
          threshold: true,
          k: true,
          window: true,
          interval: true,
          seriesIndex: true,
          report: { select: { kind: true, definition: true } },
        },
      });
      if (!alert) throw new TRPCError({ code: "NOT_FOUND", message: "Alert not found." });
      const config = alertConfigOf(alert);
      if (!config) throw new TRPCError({ code: "BAD_REQUEST", message: "The alert's condition no longer parses; edit and save it again." });
      return evaluateNow(ctx, ctx.project.id, alert.report, alert.seriesIndex, intervalSchema.catch("day").parse(alert.interval), config);
    }
    const { report, interval } = await trendReportOf(ctx.db, ctx.project.id, input.target.reportId, input.target.seriesIndex);
    return evaluateNow(ctx, ctx.project.id, report, input.target.seriesIndex, interval, input.target.config);
  }),
});
