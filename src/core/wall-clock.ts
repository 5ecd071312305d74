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
  const { before, first } = readWallClock(wall, timezone);
  return first ?? wall - before;
}

/** The instants `wall - offset` for the offsets before and after any change near `wall`, and the first that shows `wall`. */
function readWallClock(wall: number, timezone: string): { before: number; after: number; first: number | undefined } {
  // DST changes are months apart, so the offsets a day either side are those before and after any change here.
  const before = wallClock(wall - DAY_MS, timezone) - (wall - DAY_MS);
  const after = wallClock(wall + DAY_MS, timezone) - (wall + DAY_MS);
  const matching = [wall - before, wall - after].filter((instant) => wallClock(instant, timezone) === wall);
  return { before, after, first: matching.length > 0 ? Math.min(...matching) : undefined };
}

/**
 * The first instant whose wall time is `wall` or later: where a period that starts at `wall` begins.
 * For a skipped wall time that is the change itself, which `instantOfWallClock` gives only when `wall`
 * is the gap's first minute (Chatham skips 02:45-03:44, so its 03:00 hour starts at 03:45, not 04:00).
 */
export function startOfWallClock(wall: number, timezone: string): number {
  const { before, after, first } = readWallClock(wall, timezone);
  if (first !== undefined) return first;
  // Skipped: the change lies between the two candidates; find the first instant past `wall`.
  let low = Math.min(wall - before, wall - after);
  let high = Math.max(wall - before, wall - after);
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (wallClock(middle, timezone) > wall) high = middle;
    else low = middle + 1;
  }
  return low;
}
