/**
 * How old a report's answer is, as the result card and dashboard tiles say it. Pure, so the
 * thresholds are unit-tested; the component only supplies the clock.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "Updated just now" under 5 s (a clock slightly ahead of ours included), then seconds, minutes, hours, days. */
export function updatedAgo(computedAt: Date, now: Date): string {
  const age = now.getTime() - computedAt.getTime();
  if (!Number.isFinite(age) || age < 5 * SECOND) return "Updated just now";
  if (age < MINUTE) return `Updated ${Math.floor(age / SECOND)} s ago`;
  if (age < HOUR) return `Updated ${Math.floor(age / MINUTE)} min ago`;
  if (age < DAY) return `Updated ${Math.floor(age / HOUR)} h ago`;
  return `Updated ${Math.floor(age / DAY)} d ago`;
}

/** How soon the text can next change: every second while it counts seconds, less often after. */
export function nextTickMs(computedAt: Date, now: Date): number {
  const age = now.getTime() - computedAt.getTime();
  if (!Number.isFinite(age) || age < MINUTE) return SECOND;
  if (age < HOUR) return 15 * SECOND;
  return MINUTE;
}
