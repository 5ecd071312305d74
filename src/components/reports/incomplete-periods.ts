/**
 * Which buckets of a report are not over yet: today on a daily trend, this week on a weekly one,
 * the retention periods still running. Bucket labels are local wall times in the project's time
 * zone ("2024-03-10T00:00"), so everything here is wall-clock arithmetic, where a day is always 24 h.
 * Pure, so it is tested directly.
 */
import type { Interval } from "~/core/reports";
import { zoneOffsetMs } from "./report-model";

const MINUTE = 60_000;
const FIXED: Record<Exclude<Interval, "month">, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE, week: 7 * 1440 * MINUTE };

/** A bucket label as wall-clock milliseconds (the local time read as if it were UTC); NaN when it is not a bucket. */
export function wallMs(bucket: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(bucket);
  if (!match) return Number.NaN;
  const [, year, month, day, hour = "0", minute = "0"] = match;
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute));
}

/** `wall` moved on by `count` intervals; months by the calendar. */
export function addIntervals(wall: number, interval: Interval, count = 1): number {
  if (interval !== "month") return wall + FIXED[interval] * count;
  const date = new Date(wall);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + count, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes());
}

/** The wall clock of `timeZone` now. */
export function wallNow(timeZone: string, now: Date = new Date()): number {
  return now.getTime() + zoneOffsetMs(now, timeZone);
}

/** Index of the first bucket that has not ended yet (the current one, or a future one); `buckets.length` when all are over. */
export function firstIncompleteBucket(buckets: readonly string[], interval: Interval, timeZone: string, now: Date = new Date()): number {
  const wallClock = wallNow(timeZone, now);
  const index = buckets.findIndex((bucket) => addIntervals(wallMs(bucket), interval) > wallClock);
  return index < 0 ? buckets.length : index;
}

export type PeriodState = "complete" | "running" | "future";

/** Where period `period` of a retention cohort stands: over, still running, or not begun. */
export function retentionPeriodState(cohort: string, period: number, interval: "day" | "week", timeZone: string, now: Date = new Date()): PeriodState {
  const wallClock = wallNow(timeZone, now);
  const start = addIntervals(wallMs(cohort), interval, period);
  if (start > wallClock) return "future";
  return addIntervals(start, interval) > wallClock ? "running" : "complete";
}
