"use client";

import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { RetentionResult } from "~/core/reports";
import { cn } from "~/lib/utils";
import { retentionPeriodState } from "../incomplete-periods";
import { formatBucket, formatNumber } from "../report-model";

/** Hatching: a period still running, whose number can only grow. Light stripes over colour, grey ones over white. */
const HATCH = "repeating-linear-gradient(135deg, transparent 0 4px, rgba(255, 255, 255, 0.45) 4px 7px)";
const HATCH_EMPTY = "repeating-linear-gradient(135deg, transparent 0 4px, rgba(113, 113, 122, 0.16) 4px 6px)";

type Cohort = RetentionResult["cohorts"][number];
type PeriodState = ReturnType<typeof retentionPeriodState>;

export function RetentionTable({ result, interval, timezone }: { result: RetentionResult; interval: "day" | "week"; timezone: string }) {
  const now = new Date();
  const incomplete = result.cohorts.some((cohort) =>
    cohort.percents.some((_, period) => retentionPeriodState(cohort.cohort, period, interval, timezone, now) !== "complete"),
  );
  return (
    <div className="space-y-2">
      <Table aria-label="Retention by cohort">
        <TableHeader>
          <TableRow>
            <TableHead>Cohort</TableHead>
            <TableHead className="text-right">Profiles</TableHead>
            {result.periods.map((period) => (
              <TableHead key={period} className="text-center">
                {interval === "day" ? "Day" : "Week"} {period}
              </TableHead>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {result.cohorts.map((cohort) => (
            <TableRow key={cohort.cohort} className="hover:bg-transparent">
              <TableCell className="whitespace-nowrap font-medium">{formatBucket(cohort.cohort, interval)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatNumber(cohort.size)}</TableCell>
              {cohort.percents.map((percent, index) => (
                <RetentionCell
                  key={index}
                  cohort={cohort}
                  index={index}
                  percent={percent}
                  state={retentionPeriodState(cohort.cohort, index, interval, timezone, now)}
                />
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {incomplete ? (
        <p className="flex items-center gap-2 text-xs text-muted-foreground" data-testid="incomplete-period-note">
          <span className="inline-block h-3 w-5 rounded-sm" style={{ backgroundColor: "rgba(124, 58, 237, 0.5)", backgroundImage: HATCH }} aria-hidden="true" />
          Incomplete period: hatched cells are still running; “–” has no rate yet
        </p>
      ) : null}
    </div>
  );
}

/** One cohort's rate in one period, shaded by the rate and hatched while the period runs. */
function RetentionCell({ cohort, index, percent, state }: { cohort: Cohort; index: number; percent: number | null; state: PeriodState }) {
  // A period not begun, or running with nobody back yet, has no rate yet: "–", never a 0 % that reads as churn.
  const pending = percent === null || state === "future" || (state === "running" && !cohort.counts[index]);
  return (
    <TableCell
      className="p-0.5 text-center text-xs tabular-nums"
      data-period-state={state}
      title={
        cohort.size === 0
          ? "No profiles in this cohort"
          : pending
            ? state === "running"
              ? "Incomplete period: not over yet"
              : "Not yet"
            : `${formatNumber(cohort.counts[index])} of ${formatNumber(cohort.size)}${state === "running" ? " so far (incomplete period)" : ""}`
      }
    >
      {pending ? (
        <span className="block rounded px-1.5 py-1.5 text-muted-foreground/60" style={state === "running" ? { backgroundImage: HATCH_EMPTY } : undefined}>
          –
        </span>
      ) : (
        <span
          className={cn("block rounded px-1.5 py-1.5", percent >= 55 ? "text-white" : "text-foreground")}
          style={{
            backgroundColor: `rgba(124, 58, 237, ${(0.06 + (percent / 100) * 0.9).toFixed(3)})`,
            ...(state === "running" ? { backgroundImage: HATCH } : {}),
          }}
        >
          {percent.toFixed(0)}%
        </span>
      )}
    </TableCell>
  );
}
