/**
 * bench:reports' tenant section: the reports of a tenant holding 1 % of the rows, timed before
 * compaction (rows in arrival order, every row group holding every project) and after (rows
 * clustered by project), each next to the same question by hand, and compared with the whole
 * table's (the 99 % project's) times from the same run. Clustering pays when the tenant's
 * report is at least 20× faster than the whole table's.
 */

/** A side's median, or what stopped it: its query timed out or failed (the side is not run again). */
export type Median = { ms: number } | { failed: "timeout" | "error"; detail: string };

/** Medians of a case's service and hand-written runs, and whether both answered with the same numbers (false when either failed). */
export type CaseTimes = { same: boolean; service: Median; hand: Median };
export type TenantTimes = Record<string, CaseTimes>;

/** How much faster a 1 % tenant's report must be than the whole table's. */
const SPEEDUP = 20;

const ms = (value: number | undefined) => (value === undefined ? "" : `${value.toFixed(value < 10 ? 1 : 0)} ms`);

/** A table cell: the median, or "timeout" / "error" (the detail goes in the verdict). */
export const cell = (median: Median | undefined, format: (value: number) => string = ms): string =>
  median === undefined ? "" : "ms" in median ? format(median.ms) : median.failed;

/** The median in ms, or undefined when that side failed. */
export const msOf = (median: Median | undefined): number | undefined => (median && "ms" in median ? median.ms : undefined);

/** Each side that failed, for a verdict: "service timeout after 120 s", "by hand error: …", or "both …" when they failed alike. */
export function failures(times: CaseTimes | undefined): string[] {
  if (!times) return [];
  const { service, hand } = times;
  if ("failed" in service && "failed" in hand && service.detail === hand.detail) return [`both ${service.detail}`];
  return (
    [
      ["service", service],
      ["by hand", hand],
    ] as const
  ).flatMap(([side, median]) => ("failed" in median ? [`${side} ${median.detail}`] : []));
}

/** Prints the section; false when a tenant's answer disagreed with its hand query, or a side failed or timed out. */
export function tenantSection(opts: { tenant: string; whole: TenantTimes; before: TenantTimes; after: TenantTimes }): boolean {
  const hadBefore = Object.keys(opts.before).length > 0;
  console.log(`\n1 % tenant (${opts.tenant}) vs the whole table${hadBefore ? "" : " (reused file: compacted already, no arrival-order times)"}`);
  console.log(
    `${"report".padEnd(28)}${hadBefore ? `${"unclustered".padStart(13)}${"by hand".padStart(10)}` : ""}${"clustered".padStart(11)}${"by hand".padStart(10)}${"ratio".padStart(7)}${"whole".padStart(11)}${"whole/1 %".padStart(11)}  verdict`,
  );
  let ok = true;
  for (const [name, after] of Object.entries(opts.after)) {
    const before = opts.before[name];
    const whole = opts.whole[name];
    const afterMs = msOf(after.service);
    const wholeMs = msOf(whole?.service);
    const speedup = afterMs !== undefined && wholeMs !== undefined ? wholeMs / afterMs : NaN;
    const handMs = msOf(after.hand);
    const ratio = afterMs !== undefined && handMs !== undefined ? (afterMs / handMs).toFixed(2) : "–";
    // The tenant's own failures count against the exit code; the whole table's was counted in its own table.
    // Said once when the case failed alike before and after compaction.
    const unclustered = failures(before);
    const clustered = failures(after);
    const failed =
      unclustered.join() === clustered.join()
        ? clustered
        : [...unclustered.map((text) => `unclustered ${text}`), ...clustered.map((text) => `clustered ${text}`)];
    const met = after.same && (before?.same ?? true) && speedup >= SPEEDUP;
    ok &&= after.same && (before?.same ?? true);
    const verdict = failed.length ? `MISSED: ${failed.join("; ")}` : met ? "ok" : Number.isNaN(speedup) ? `whole ${cell(whole?.service)}` : `under ${SPEEDUP}×`;
    console.log(
      `${name.padEnd(28)}${hadBefore ? `${cell(before?.service).padStart(13)}${cell(before?.hand).padStart(10)}` : ""}${cell(after.service).padStart(11)}${cell(after.hand).padStart(10)}${ratio.padStart(7)}${cell(whole?.service).padStart(11)}${(Number.isNaN(speedup) ? "–" : `${speedup.toFixed(1)}×`).padStart(11)}  ${verdict}`,
    );
  }
  return ok;
}

/** The process's peak resident memory so far (DuckDB runs inside it), in GB. */
export function peakRss(): string {
  return `${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GB`;
}
