/**
 * The range a trend is compared with: the period just before (環比, same length, ending where the
 * range starts) or the same period one year earlier (同比). A year earlier is calendar arithmetic in
 * the report's time zone: each end keeps its local wall time and moves to the same day one year
 * before; 29 February becomes 28 February. A wall time that does not exist that day (skipped by a
 * daylight-saving change) is read with the offset in force before the change, so it moves forward
 * by the gap; a wall time that occurs twice is the first of the two instants.
 */
import type { TrendComparison } from "../../src/core/reports";
import { instantOfWallClock, wallClock } from "../../src/core/wall-clock";

type Range = { from: string; to: string };

export function previousRange(range: Range): Range {
  const from = Date.parse(range.from);
  const length = Date.parse(range.to) - from;
  return { from: new Date(from - length).toISOString(), to: new Date(from).toISOString() };
}

/** The same wall time one calendar year earlier; 29 February becomes 28 February. */
export function yearEarlier(instant: number, timezone: string): number {
  const wall = new Date(wallClock(instant, timezone));
  const year = wall.getUTCFullYear() - 1;
  const month = wall.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const shifted = Date.UTC(
    year,
    month,
    Math.min(wall.getUTCDate(), lastDay),
    wall.getUTCHours(),
    wall.getUTCMinutes(),
    wall.getUTCSeconds(),
    wall.getUTCMilliseconds(),
  );
  return instantOfWallClock(shifted, timezone);
}

export function comparisonRange(range: Range, compareTo: TrendComparison, timezone: string): Range {
  if (compareTo === "previous") return previousRange(range);
  return {
    from: new Date(yearEarlier(Date.parse(range.from), timezone)).toISOString(),
    to: new Date(yearEarlier(Date.parse(range.to), timezone)).toISOString(),
  };
}
