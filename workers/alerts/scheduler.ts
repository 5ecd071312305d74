/**
 * The metric alert scheduler, run where the DuckDB query service lives (sink / all): every tick, each
 * enabled alert whose next complete period has ended gets its series computed by the report engine
 * (trendReport, the code the report page uses, so the numbers are the report's), each due period
 * judged (src/core/alerts.ts) and one state row written per period.
 *
 * Delivery: an alert's rows, its new state and the firings of its transitions to firing are
 * written in one PostgreSQL transaction that holds the alert's row lock, and the firings are
 * produced to `event.triggered` before it commits. A crash between the produce and the commit
 * evaluates the period again and produces the same firing id, which the action runner acts on once
 * (its action ids derive from the firing id). The unique (alert, period) index refuses a second row.
 */
import { createHash } from "node:crypto";
import { TOPIC } from "../../src/core/events";
import {
  alertActionSchema,
  alertConfigOf,
  alertTrend,
  evaluatePlan,
  firesActions,
  planAlert,
  type AlertConfig,
  type AlertState,
  type PeriodEvaluation,
} from "../../src/core/alerts";
import { intervalSchema, referencedCohortIds, reportSpecSchema } from "../../src/core/reports";
import type { AlertFiringRecord } from "../../src/contracts/records";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { toResolvedCohort } from "../../src/core/cohorts";
import { cohortContext, NO_COHORTS, type CohortContext } from "../query/cohorts";
import type { Logger } from "../../src/platform/logger";
import type { ProduceRecord } from "../bus/types";
import { withPersonOverrides } from "../query/identity";
import { trendReport, type RunQuery } from "../query/reports";

export const ALERT_TICK_MS = 60_000;

export interface AlertSchedulerOptions {
  db: PrismaClient;
  run: RunQuery;
  produce: (records: ProduceRecord[]) => Promise<unknown>;
  log: Logger;
  /** The clock (tests fix it). */
  now?: () => number;
  tickMs?: number;
}

export interface TickSummary {
  alerts: number;
  periods: number;
  firings: number;
  failed: number;
}

const alertSelect = {
  id: true,
  projectId: true,
  reportId: true,
  seriesIndex: true,
  name: true,
  condition: true,
  threshold: true,
  k: true,
  window: true,
  interval: true,
  actions: true,
  state: true,
  lastEvaluatedPeriod: true,
  project: { select: { timezone: true } },
  report: { select: { kind: true, definition: true } },
} as const;

type DueAlert = {
  id: string;
  projectId: string;
  reportId: string;
  seriesIndex: number;
  name: string;
  condition: string;
  threshold: number | null;
  k: number | null;
  window: number | null;
  interval: string;
  actions: unknown;
  state: string;
  lastEvaluatedPeriod: Date | null;
  project: { timezone: string };
  report: { kind: string; definition: unknown };
};

export const alertFiringId = (alertId: string, periodStart: number) =>
  `alf_${createHash("sha256").update(`${alertId}\u0000${periodStart}`).digest("base64url").slice(0, 24)}`;

/** Computes and judges the due periods of one alert at `now`; null when nothing is due. */
export async function evaluateDueAlert(
  run: RunQuery,
  alert: Pick<DueAlert, "projectId" | "reportId" | "seriesIndex" | "condition" | "threshold" | "k" | "window" | "interval" | "report" | "project"> & {
    lastEvaluatedPeriod: Date | null;
  },
  now: number,
  /** The cohorts the report names (its cohort filters apply to the alert's trend too). */
  cohorts: CohortContext = NO_COHORTS,
): Promise<{ evaluations: PeriodEvaluation[]; seriesLabel: string; config: AlertConfig } | null> {
  const interval = intervalSchema.parse(alert.interval);
  const config = alertConfigOf(alert);
  if (!config) throw new Error(`alert config no longer parses`);
  const timezone = alert.project.timezone;
  const plan = planAlert(
    { interval, condition: config.condition, window: config.window, lastEvaluatedPeriod: alert.lastEvaluatedPeriod?.getTime() ?? null },
    now,
    timezone,
  );
  if (!plan) return null;
  const trend = alertTrend(alert.report, alert.seriesIndex, interval, plan.range);
  if ("problem" in trend) {
    const evaluations = plan.due.map((period) => ({ period, state: "no_data" as const, value: null, median: null, mad: null, detail: trend.problem }));
    return { evaluations, seriesLabel: "", config };
  }
  const result = await withPersonOverrides(run, alert.projectId, () => trendReport(run, alert.projectId, trend.definition, timezone, cohorts));
  return { evaluations: evaluatePlan(plan, result.buckets, result.series[0]?.values ?? [], config), seriesLabel: trend.label, config };
}

/** The cohorts a saved report names, among its project's (one missing fails the alert with a message naming it). */
async function reportCohorts(db: PrismaClient, projectId: string, report: { kind: string; definition: unknown }): Promise<CohortContext> {
  const spec = reportSpecSchema.safeParse(report);
  const ids = spec.success ? referencedCohortIds(spec.data.definition) : [];
  if (ids.length === 0) return NO_COHORTS;
  const rows = await db.cohort.findMany({
    where: { projectId, id: { in: ids } },
    select: { id: true, key: true, name: true, kind: true, definition: true, version: true },
  });
  return cohortContext(rows.map(toResolvedCohort).filter((cohort) => cohort !== null));
}

/** One pass over every enabled alert. An alert that fails is logged and tried again next tick. */
export async function runAlertTick(opts: AlertSchedulerOptions): Promise<TickSummary> {
  const now = (opts.now ?? Date.now)();
  const alerts: DueAlert[] = await opts.db.metricAlert.findMany({ where: { enabled: true }, select: alertSelect, orderBy: { id: "asc" } });
  const summary: TickSummary = { alerts: alerts.length, periods: 0, firings: 0, failed: 0 };
  for (const alert of alerts) {
    try {
      const outcome = await evaluateDueAlert(opts.run, alert, now, await reportCohorts(opts.db, alert.projectId, alert.report));
      if (!outcome) continue;
      const written = await recordEvaluations(opts, alert, outcome.evaluations, outcome.seriesLabel, outcome.config, now);
      summary.periods += written.periods;
      summary.firings += written.firings;
    } catch (error) {
      summary.failed++;
      opts.log.warn({ err: error, alertId: alert.id, projectId: alert.projectId }, "metric alert evaluation failed; retried next tick");
    }
  }
  return summary;
}

async function recordEvaluations(
  opts: AlertSchedulerOptions,
  alert: DueAlert,
  evaluations: PeriodEvaluation[],
  seriesLabel: string,
  config: AlertConfig,
  now: number,
): Promise<{ periods: number; firings: number }> {
  const actions = alertActionSchema.array().catch([]).parse(alert.actions);
  return opts.db.$transaction(async (tx) => {
    // The lock serialises two schedulers (or a tick and an edit); the re-read skips periods another one wrote.
    const [locked] = await tx.$queryRaw<Array<{ state: string; last_evaluated_period: Date | null; enabled: boolean }>>`
      SELECT state, last_evaluated_period, enabled FROM metric_alerts WHERE id = ${alert.id} FOR UPDATE`;
    if (!locked || !locked.enabled) return { periods: 0, firings: 0 };
    const after = locked.last_evaluated_period?.getTime() ?? -Infinity;
    const fresh = evaluations.filter((evaluation) => evaluation.period.start > after);
    if (fresh.length === 0) return { periods: 0, firings: 0 };

    let state = locked.state as AlertState;
    const firings: AlertFiringRecord[] = [];
    const rows = fresh.map((evaluation) => {
      const fires = firesActions(state, evaluation.state);
      state = evaluation.state;
      const firingId = fires ? alertFiringId(alert.id, evaluation.period.start) : null;
      if (firingId) {
        firings.push({
          kind: "alert_firing",
          firing_id: firingId,
          project_id: alert.projectId,
          alert_id: alert.id,
          alert_name: alert.name,
          report_id: alert.reportId,
          series_label: seriesLabel,
          condition: config.condition,
          threshold: config.condition === "anomaly" ? null : config.threshold,
          k: config.condition === "anomaly" ? config.k : null,
          window: config.condition === "anomaly" ? config.window : null,
          interval: intervalSchema.parse(alert.interval),
          period_start: evaluation.period.start,
          period_label: evaluation.period.label,
          value: evaluation.value,
          median: evaluation.median,
          mad: evaluation.mad,
          detail: evaluation.detail.slice(0, 2000),
          fired_at: now,
          actions,
        });
      }
      return {
        alertId: alert.id,
        projectId: alert.projectId,
        periodStart: new Date(evaluation.period.start),
        periodLabel: evaluation.period.label,
        value: evaluation.value,
        median: evaluation.median,
        mad: evaluation.mad,
        state: evaluation.state,
        detail: evaluation.detail.slice(0, 2000),
        firingId,
        evaluatedAt: new Date(now),
      };
    });
    await tx.metricAlertState.createMany({ data: rows, skipDuplicates: true });
    await tx.metricAlert.update({
      where: { id: alert.id },
      data: { state, lastEvaluatedPeriod: new Date(fresh[fresh.length - 1]!.period.start) },
    });
    const withActions = firings.filter((firing) => firing.actions.length > 0);
    if (withActions.length > 0) {
      await opts.produce(withActions.map((firing) => ({ topic: TOPIC.triggered, key: firing.firing_id, value: JSON.stringify(firing) })));
    }
    return { periods: rows.length, firings: firings.length };
  });
}

export interface AlertScheduler {
  /** Runs a tick now (tests, and the timer). Ticks never overlap. */
  tick(): Promise<TickSummary>;
  stop(): Promise<void>;
}

export function startAlertScheduler(opts: AlertSchedulerOptions): AlertScheduler {
  const tickMs = opts.tickMs ?? ALERT_TICK_MS;
  let running: Promise<TickSummary> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): Promise<TickSummary> => {
    running ??= runAlertTick(opts).finally(() => {
      running = null;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick()
        .catch((error: unknown) => opts.log.warn({ err: error }, "metric alert tick failed"))
        .finally(schedule);
    }, tickMs);
    timer.unref();
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
