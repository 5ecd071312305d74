/**
 * Metric alerts on a saved trend series: what an alert is, how one period is judged, and which
 * periods are due. Pure; the worker's scheduler (workers/alerts) computes the series with the
 * report engine and stores what this module decides.
 *
 * Conditions, on the value of one complete period of the alert's interval:
 * - `above`: firing when value > threshold (equal is ok);
 * - `below`: firing when value < threshold (equal is ok);
 * - `anomaly`: firing when |value − median| > k × MAD, where the baseline is the `window` complete
 *   periods just before the evaluated one (that one excluded), periods without a value left out;
 *   median is the middle value (the mean of the two middle ones for an even count) and MAD is the
 *   median of |x − median| over the baseline. A flat baseline has MAD 0: the same value again is
 *   ok, any other value fires. Fewer than MIN_BASELINE valued periods: no_data.
 * A period without a value (an average over no events, say) is no_data.
 */
import { z } from "zod";
import { reportSpecSchema, trendDefinitionSchema, type Interval } from "./reports";
import { plainText } from "./text";
import { startOfWallClock, wallClock } from "./wall-clock";
import { kafkaPublishAction, notificationAction, tagProfileAction, updateAttributeAction, webhookAction } from "./triggers";

export const ALERT_CONDITIONS = ["above", "below", "anomaly"] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];
export const ALERT_STATES = ["ok", "firing", "no_data"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Valued baseline periods an anomaly check needs at least. */
export const MIN_BASELINE = 3;
/** Missed periods caught up per alert at most (a worker down for a week evaluates the newest ones). */
export const MAX_CATCH_UP = 50;
/** A period is evaluated this long after it ends, so events still in the sink's batch are counted. */
export const ALERT_SETTLE_MS = 30_000;

/**
 * An alert has no event and so no event profile: its profile actions name the profile they change.
 * Otherwise its actions are trigger actions, run by the same action runner.
 */
const profileId = z.string().trim().min(1, "is required: an alert has no event, so name the profile to change").max(256);
export const alertActionSchema = z.discriminatedUnion("type", [
  webhookAction,
  kafkaPublishAction,
  notificationAction,
  tagProfileAction.extend({ profileId }),
  updateAttributeAction.extend({ profileId }),
]);
export type AlertAction = z.infer<typeof alertActionSchema>;

export const alertConfigSchema = z
  .strictObject({
    condition: z.enum(ALERT_CONDITIONS),
    /** above / below. */
    threshold: z.number().finite().nullable().default(null),
    /** anomaly: how many MADs from the median a value may be. */
    k: z.number().finite().min(0.1, "is at least 0.1").max(100, "is at most 100").default(3),
    /** anomaly: the baseline's length in periods. */
    window: z.number().int().min(MIN_BASELINE, `is at least ${MIN_BASELINE}`).max(100, "is at most 100").default(14),
  })
  .superRefine((config, ctx) => {
    if (config.condition !== "anomaly" && config.threshold === null)
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "is required for above and below" });
  });
export type AlertConfig = z.output<typeof alertConfigSchema>;

export const alertInputSchema = z.strictObject({
  name: plainText(120),
  reportId: z.string().min(1).max(64),
  seriesIndex: z.number().int().min(0).max(9).default(0),
  config: alertConfigSchema,
  actions: z.array(alertActionSchema).max(10).default([]),
  enabled: z.boolean().default(true),
});
export type AlertInput = z.input<typeof alertInputSchema>;

// judging one period ------------------------------------------------------------------------------

/** The middle of the sorted values (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median absolute deviation from the median; null for none. */
export function medianAbsoluteDeviation(values: readonly number[]): number | null {
  const centre = median(values);
  return centre === null ? null : median(values.map((value) => Math.abs(value - centre)));
}

export interface AlertEvaluation {
  state: AlertState;
  value: number | null;
  /** anomaly only. */
  median: number | null;
  mad: number | null;
  /** One line for the history: why this state. */
  detail: string;
}

const show = (value: number) => (Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, ""));

/**
 * Judges the last of `values` (one per complete period, oldest first, null where a period has no
 * value); an anomaly's baseline is the `window` values before it.
 */
export function evaluateAlert(values: ReadonlyArray<number | null>, config: AlertConfig): AlertEvaluation {
  const value = values.length > 0 ? (values[values.length - 1] ?? null) : null;
  const none = { median: null, mad: null };
  if (value === null) return { state: "no_data", value, ...none, detail: "no value for this period" };
  if (config.condition === "above" || config.condition === "below") {
    const threshold = config.threshold ?? 0;
    const firing = config.condition === "above" ? value > threshold : value < threshold;
    return { state: firing ? "firing" : "ok", value, ...none, detail: `${show(value)} ${firing ? "is" : "is not"} ${config.condition} ${show(threshold)}` };
  }
  const baseline = values.slice(Math.max(0, values.length - 1 - config.window), values.length - 1).filter((v): v is number => v !== null);
  if (baseline.length < MIN_BASELINE) {
    return { state: "no_data", value, ...none, detail: `the baseline has ${baseline.length} periods with a value; at least ${MIN_BASELINE} are needed` };
  }
  const centre = median(baseline)!;
  const mad = medianAbsoluteDeviation(baseline)!;
  const firing = Math.abs(value - centre) > config.k * mad;
  return {
    state: firing ? "firing" : "ok",
    value,
    median: centre,
    mad,
    detail: `${show(value)} is ${firing ? "outside" : "within"} ${show(centre)} ± ${show(config.k)} × ${show(mad)}`,
  };
}

/** Actions run when a period turns the alert to firing from any other state, never while it stays firing. */
export const firesActions = (previous: AlertState, next: AlertState) => next === "firing" && previous !== "firing";

// periods in the project's time zone ------------------------------------------------------------------
//
// The same buckets as the report engine's: local wall-clock time truncated to the interval (weeks
// start on Monday), labelled "YYYY-MM-DDTHH:MM". A local hour that occurs twice is one bucket.

function truncateWall(wall: number, interval: Interval): number {
  const date = new Date(wall);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  switch (interval) {
    case "minute":
      return wall - (((wall % 60_000) + 60_000) % 60_000);
    case "hour":
      return wall - (((wall % 3_600_000) + 3_600_000) % 3_600_000);
    case "day":
      return midnight;
    case "week":
      return midnight - ((date.getUTCDay() + 6) % 7) * 86_400_000;
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
}

function nextWall(wall: number, interval: Interval): number {
  if (interval === "month") {
    const date = new Date(wall);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  // Day and week steps keep the wall clock's midnight, so they are calendar steps across DST changes.
  return wall + { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 }[interval];
}

export interface Period {
  /** The period's first instant. */
  start: number;
  /** The next period's first instant. */
  end: number;
  /** The report engine's bucket label. */
  label: string;
}

/** The period containing `instant`. */
export function periodAt(instant: number, interval: Interval, timezone: string): Period {
  const wall = truncateWall(wallClock(instant, timezone), interval);
  const start = startOfWallClock(wall, timezone);
  // Labelled by its wall start, as the report's bucket is, even when DST skipped that wall time (the
  // period then starts at the gap's end: Lord Howe's 02:00 hour runs 02:30–03:00 on its spring day).
  const label = new Date(wall).toISOString().slice(0, 16);
  return { start, end: startOfWallClock(nextWall(wall, interval), timezone), label };
}

/** The period `count` periods after (negative: before) the one containing `instant`. */
export function periodAfter(instant: number, interval: Interval, timezone: string, count: number): Period {
  // Step by neighbours, not by wall-clock arithmetic: a step back into an hour skipped by DST must land before the gap.
  let period = periodAt(instant, interval, timezone);
  for (let step = 0; step < Math.abs(count); step++) period = periodAt(count > 0 ? period.end : period.start - 1, interval, timezone);
  return period;
}

export interface AlertPlan {
  /** The complete periods to evaluate, oldest first. */
  due: Period[];
  /** The trend range to compute: the baseline before the first due period, through the last. */
  range: { from: string; to: string };
  /**
   * The label of every period in the range, baseline and due, oldest first. The report lists
   * wall-clock buckets, so a DST gap adds buckets no instant falls in (Chatham's 02:45–03:44 on its
   * spring day); those are not periods and must not enter a baseline.
   */
  labels: string[];
}

/**
 * Which periods are due at `now`: every complete period (ended ALERT_SETTLE_MS ago) after the last
 * evaluated one, at most MAX_CATCH_UP of the newest; a new alert starts with the latest complete
 * period. Null when nothing is due.
 */
export function planAlert(
  alert: { interval: Interval; condition: AlertCondition; window: number; lastEvaluatedPeriod: number | null },
  now: number,
  timezone: string,
): AlertPlan | null {
  // The period before the one still open (or settling) is the latest complete one.
  const latest = periodAfter(now - ALERT_SETTLE_MS, alert.interval, timezone, -1);
  const due: Period[] = [];
  for (let period = latest; due.length < MAX_CATCH_UP; period = periodAfter(period.start, alert.interval, timezone, -1)) {
    if (alert.lastEvaluatedPeriod !== null && period.start <= alert.lastEvaluatedPeriod) break;
    due.unshift(period);
    if (alert.lastEvaluatedPeriod === null) break;
  }
  if (due.length === 0) return null;
  const baseline = alert.condition === "anomaly" ? alert.window : 0;
  const from = baseline > 0 ? periodAfter(due[0]!.start, alert.interval, timezone, -baseline).start : due[0]!.start;
  const to = due[due.length - 1]!.end;
  const labels: string[] = [];
  for (let period = periodAt(from, alert.interval, timezone); period.start < to; period = periodAt(period.end, alert.interval, timezone))
    labels.push(period.label);
  return { due, range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, labels };
}

export interface PeriodEvaluation extends AlertEvaluation {
  period: Period;
}

/**
 * Judges each due period against the trend's buckets over the plan's range (labels and values as
 * the report engine returns them); a due period missing from the buckets has no value.
 */
export function evaluatePlan(plan: AlertPlan, buckets: readonly string[], values: ReadonlyArray<number | null>, config: AlertConfig): PeriodEvaluation[] {
  const periods = new Set(plan.labels);
  const kept = buckets.flatMap((label, i) => (periods.has(label) ? [{ label, value: values[i] ?? null }] : []));
  const index = new Map(kept.map((bucket, i) => [bucket.label, i]));
  return plan.due.map((period) => {
    const at = index.get(period.label);
    if (at === undefined) return { period, ...evaluateAlert([null], config) };
    return {
      period,
      ...evaluateAlert(
        kept.slice(0, at + 1).map((bucket) => bucket.value),
        config,
      ),
    };
  });
}

// the series ---------------------------------------------------------------------------------------

/** The alert's stored config, as the core reads it; null when the row no longer parses. */
export function alertConfigOf(alert: { condition: string; threshold: number | null; k: number | null; window: number | null }): AlertConfig | null {
  const parsed = alertConfigSchema.safeParse({
    condition: alert.condition,
    threshold: alert.threshold,
    ...(alert.k === null ? {} : { k: alert.k }),
    ...(alert.window === null ? {} : { window: alert.window }),
  });
  return parsed.success ? parsed.data : null;
}

/** The series an alert watches, as a one-series trend over `range` at the alert's interval; or why there is none. */
export function alertTrend(
  report: { kind: string; definition: unknown },
  seriesIndex: number,
  interval: Interval,
  range: { from: string; to: string },
): { definition: z.output<typeof trendDefinitionSchema>; label: string } | { problem: string } {
  const spec = reportSpecSchema.safeParse({ kind: report.kind, definition: report.definition });
  if (!spec.success || spec.data.kind !== "trend") return { problem: "the saved report is no longer a valid trend" };
  const series = spec.data.definition.series[seriesIndex];
  if (!series) return { problem: `the report has no series ${seriesIndex + 1} any more` };
  const definition = trendDefinitionSchema.parse({ ...spec.data.definition, range, interval, series: [series], compare: false });
  return { definition, label: series.label ?? series.event ?? "All events" };
}
