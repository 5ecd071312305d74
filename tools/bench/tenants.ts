/**
 * bench:reports' tenant section: the reports of a tenant holding 1 % of the rows, timed before
 * compaction (rows in arrival order, every row group holding every project) and after (rows
 * clustered by project), each next to the same question by hand, and compared with the whole
 * table's (the 99 % project's) times from the same run. Clustering pays when the tenant's
 * report is at least 20× faster than the whole table's.
 */

/** Medians of a case's service and hand-written runs, and whether both gave the same numbers. */
export type TenantTimes = Record<string, { same: boolean; serviceMs: number; handMs: number }>;

/** How much faster a 1 % tenant's report must be than the whole table's. */
const SPEEDUP = 20;

const ms = (value: number | undefined) => (value === undefined ? "" : `${value.toFixed(value < 10 ? 1 : 0)} ms`);

/** Prints the section; false when a tenant's answer disagreed with its hand query or a report missed the speed-up. */
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
    const speedup = whole ? whole.serviceMs / after.serviceMs : NaN;
    const met = after.same && (before?.same ?? true) && speedup >= SPEEDUP;
    ok &&= after.same && (before?.same ?? true);
    console.log(
      `${name.padEnd(28)}${hadBefore ? `${ms(before?.serviceMs).padStart(13)}${ms(before?.handMs).padStart(10)}` : ""}${ms(after.serviceMs).padStart(11)}${ms(after.handMs).padStart(10)}${(after.serviceMs / after.handMs).toFixed(2).padStart(7)}${ms(whole?.serviceMs).padStart(11)}${`${speedup.toFixed(1)}×`.padStart(11)}  ${met ? "ok" : `under ${SPEEDUP}×`}`,
    );
  }
  return ok;
}

/** The process's peak resident memory so far (DuckDB runs inside it), in GB. */
export function peakRss(): string {
  return `${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GB`;
}
