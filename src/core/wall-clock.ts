/**
 * Wall-clock time in an IANA time zone, as the report buckets, trend comparisons and alert periods
 * all read it: a wall time is the ms of a UTC date with the same calendar fields.
 */
const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of an instant in `timezone`, as the ms of a UTC date with the same fields. */
export function wallClock(instant: number, timezone: string): number {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(timezone, format);
  }
  const field: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant))) if (part.type !== "literal") field[part.type] = Number(part.value);
  const wall = Date.UTC(field.year!, field.month! - 1, field.day!, field.hour!, field.minute!, field.second!);
  return wall + (((instant % 1000) + 1000) % 1000);
}

/**
 * The first instant showing wall time `wall` in `timezone`; a wall time skipped by a DST change maps
 * to the instant after the gap.
 */
export function instantOfWallClock(wall: number, timezone: string): number {
  // DST changes are months apart, so the offsets a day either side are those before and after any change here.
  const before = wallClock(wall - DAY_MS, timezone) - (wall - DAY_MS);
  const after = wallClock(wall + DAY_MS, timezone) - (wall + DAY_MS);
  const matching = [wall - before, wall - after].filter((instant) => wallClock(instant, timezone) === wall);
  return matching.length > 0 ? Math.min(...matching) : wall - before;
}
