"use client";

import { Bar, BarChart, CartesianGrid, Cell, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge } from "~/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { FunnelResult, Interval, QueryResult, RetentionResult, SegmentResult, TrendResult } from "~/core/reports";
import { cn } from "~/lib/utils";
import { firstIncompleteBucket, retentionPeriodState } from "./incomplete-periods";
import { formatBucket, formatChange, formatDuration, formatNumber, formatPercent } from "./report-model";

/** Series colours: distinct hues, readable on white, the first is the theme's violet. */
export const SERIES_COLOURS = ["#7c3aed", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#ec4899", "#6366f1", "#84cc16", "#14b8a6", "#a855f7"];
const colour = (index: number) => SERIES_COLOURS[index % SERIES_COLOURS.length]!;

const AXIS = { fontSize: 12, fill: "#71717a" };
const TOOLTIP_STYLE = { borderRadius: 8, border: "1px solid #e4e4e7", fontSize: 12 };
const tooltipNumber = (value: unknown) => (typeof value === "number" ? formatNumber(value) : String(value ?? "—"));

// Trend ------------------------------------------------------------------------------------------

const PERIOD_NAMES: Record<Interval, string> = { minute: "this minute", hour: "this hour", day: "today", week: "this week", month: "this month" };

export function TrendChart({
  result,
  interval,
  timezone,
  height = 300,
  showTable = true,
}: {
  result: TrendResult;
  interval: Interval;
  /** The project's time zone, in which the current bucket is found. */
  timezone: string;
  height?: number;
  showTable?: boolean;
}) {
  const compare = result.series.some((series) => series.previous !== null);
  // The bucket still running (and any after it) is drawn dashed, so a half-finished day is not read as a drop.
  const incompleteFrom = firstIncompleteBucket(result.buckets, interval, timezone);
  const hasIncomplete = incompleteFrom < result.buckets.length;
  const data = result.buckets.map((bucket, index) => {
    const row: Record<string, string | number | null> = { bucket: formatBucket(bucket, interval) };
    result.series.forEach((series, at) => {
      const value = series.values[index] ?? null;
      // The solid line stops at the last complete bucket; the dashed one starts there, so the two join.
      row[`s${at}`] = index < incompleteFrom ? value : null;
      row[`i${at}`] = index >= incompleteFrom - 1 ? value : null;
      if (series.previous) row[`p${at}`] = series.previous.values[index] ?? null;
    });
    return row;
  });
  return (
    <div className="space-y-4">
      <ul className="flex flex-wrap gap-x-6 gap-y-2" aria-label="Series totals">
        {result.series.map((series, index) => (
          <li key={index} className="space-y-0.5" data-testid={`trend-series-${index}`}>
            <div className="flex items-center gap-2 text-xs text-muted-foreground">
              <span className="h-2 w-2 rounded-full" style={{ backgroundColor: colour(index) }} aria-hidden="true" />
              <span data-testid="trend-series-label">{series.label}</span>
            </div>
            <div className="flex items-baseline gap-2">
              <span className="text-2xl font-semibold tabular-nums" data-testid="trend-series-total">
                {formatNumber(series.total)}
              </span>
              {series.previous ? <ChangeBadge value={series.previous.changePercent} /> : null}
            </div>
            {series.previous ? <p className="text-xs text-muted-foreground">previous period (faint dashes): {formatNumber(series.previous.total)}</p> : null}
          </li>
        ))}
      </ul>
      {hasIncomplete ? (
        <p className="flex items-center gap-2 text-xs text-muted-foreground" data-testid="incomplete-period-note">
          <svg width="22" height="6" aria-hidden="true">
            <line x1="0" y1="3" x2="22" y2="3" stroke="currentColor" strokeWidth="2" strokeDasharray="4 3" />
          </svg>
          Incomplete period: {PERIOD_NAMES[interval]} is not over yet
        </p>
      ) : null}
      <div style={{ height }} className="w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
            <XAxis dataKey="bucket" tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
            <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} allowDecimals={false} tickFormatter={(value: number) => formatNumber(value)} />
            <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} />
            {result.series.map((series, index) => (
              <Line
                key={`s${index}`}
                type="monotone"
                dataKey={`s${index}`}
                name={series.label}
                stroke={colour(index)}
                strokeWidth={2}
                dot={data.length <= 31}
                isAnimationActive={false}
                connectNulls
              />
            ))}
            {hasIncomplete
              ? result.series.map((series, index) => (
                  <Line
                    key={`i${index}`}
                    type="monotone"
                    dataKey={`i${index}`}
                    name={`${series.label} (incomplete)`}
                    stroke={colour(index)}
                    strokeWidth={2}
                    strokeDasharray="4 3"
                    dot={data.length <= 31 ? { r: 3, fill: "#fff" } : false}
                    isAnimationActive={false}
                    legendType="none"
                    tooltipType="none"
                  />
                ))
              : null}
            {compare
              ? result.series.map((series, index) =>
                  series.previous ? (
                    <Line
                      key={`p${index}`}
                      type="monotone"
                      dataKey={`p${index}`}
                      name={`${series.label} (previous period)`}
                      stroke={colour(index)}
                      strokeOpacity={0.55}
                      strokeDasharray="5 4"
                      strokeWidth={1.5}
                      dot={false}
                      isAnimationActive={false}
                      connectNulls
                    />
                  ) : null,
                )
              : null}
          </LineChart>
        </ResponsiveContainer>
      </div>
      {showTable ? (
        <details className="rounded-md border bg-muted/20 px-3 py-2 text-sm">
          <summary className="cursor-pointer text-muted-foreground">Values by {interval}</summary>
          <Table aria-label="Trend values">
            <TableHeader>
              <TableRow>
                <TableHead>Bucket</TableHead>
                {result.series.map((series, index) => (
                  <TableHead key={index} className="text-right">
                    {series.label}
                  </TableHead>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {result.buckets.map((bucket, row) => (
                <TableRow key={bucket}>
                  <TableCell className="font-mono text-xs">
                    {bucket}
                    {row >= incompleteFrom ? <span className="ml-2 font-sans text-muted-foreground">(incomplete)</span> : null}
                  </TableCell>
                  {result.series.map((series, index) => (
                    <TableCell key={index} className="text-right tabular-nums">
                      {formatNumber(series.values[row])}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </details>
      ) : null}
    </div>
  );
}

export function ChangeBadge({ value }: { value: number | null }) {
  if (value === null || !Number.isFinite(value)) return <Badge variant="secondary">new</Badge>;
  return (
    <Badge variant={value > 0 ? "success" : value < 0 ? "destructive" : "secondary"} title="Change against the previous period of the same length">
      {formatChange(value)}
    </Badge>
  );
}

// Funnel -----------------------------------------------------------------------------------------

export function FunnelChart({
  result,
  interval,
  height = 280,
  compact = false,
}: {
  result: FunnelResult;
  interval: Interval;
  height?: number;
  compact?: boolean;
}) {
  // Dashboard cards can be phone-narrow: the step numbers go, the order of the bars says it.
  const data = result.steps.map((step, index) => ({
    step: compact ? step.label : `${index + 1}. ${step.label}`,
    converted: step.count,
    dropped: index === 0 ? 0 : step.dropOff,
  }));
  const last = result.steps[result.steps.length - 1];
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-x-6 gap-y-1">
        <div>
          <p className="text-xs text-muted-foreground">Overall conversion</p>
          <p className="text-2xl font-semibold tabular-nums" data-testid="funnel-conversion">
            {formatPercent(last?.conversionFromStart)}
          </p>
        </div>
        <p className="text-sm text-muted-foreground">
          {formatNumber(result.steps[0]?.count ?? 0)} started · {formatNumber(last?.count ?? 0)} completed
        </p>
      </div>
      <div style={{ height }} className="w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
            <XAxis dataKey="step" tick={AXIS} tickLine={false} axisLine={false} interval={0} />
            <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} allowDecimals={false} />
            <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} cursor={{ fill: "#f4f4f5" }} />
            <Bar dataKey="converted" name="Reached this step" stackId="funnel" fill={colour(0)} radius={[0, 0, 0, 0]} isAnimationActive={false} />
            <Bar dataKey="dropped" name="Dropped off" stackId="funnel" fill="#e4e4e7" radius={[4, 4, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      {compact ? null : (
        <>
          <Table aria-label="Funnel steps">
            <TableHeader>
              <TableRow>
                <TableHead>Step</TableHead>
                <TableHead className="text-right">Profiles</TableHead>
                <TableHead className="text-right">Conversion</TableHead>
                <TableHead className="text-right">From previous</TableHead>
                <TableHead className="text-right">Drop-off</TableHead>
                <TableHead className="text-right">Median time</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {result.steps.map((step, index) => (
                <TableRow key={index} data-testid="funnel-step">
                  <TableCell className="font-medium">
                    {index + 1}. {step.label}
                  </TableCell>
                  <TableCell className="text-right tabular-nums" data-testid="funnel-step-count">
                    {formatNumber(step.count)}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{formatPercent(step.conversionFromStart)}</TableCell>
                  <TableCell className="text-right tabular-nums">{index === 0 ? "—" : formatPercent(step.conversionFromPrevious)}</TableCell>
                  <TableCell className="text-right tabular-nums">{index === 0 ? "—" : formatNumber(step.dropOff)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatDuration(step.medianSecondsFromPrevious)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {result.breakdown && result.breakdown.length > 0 ? (
            <div className="space-y-2">
              <h3 className="text-sm font-medium">Breakdown</h3>
              <Table aria-label="Funnel breakdown">
                <TableHeader>
                  <TableRow>
                    <TableHead>Value</TableHead>
                    {result.steps.map((step, index) => (
                      <TableHead key={index} className="text-right">
                        {index + 1}. {step.label}
                      </TableHead>
                    ))}
                    <TableHead className="text-right">Conversion</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {result.breakdown.map((group) => (
                    <TableRow key={group.value ?? "\u0000"}>
                      <TableCell className="font-medium">{group.value ?? <span className="text-muted-foreground">(none)</span>}</TableCell>
                      {group.steps.map((step, index) => (
                        <TableCell key={index} className="text-right tabular-nums">
                          {formatNumber(step.count)}
                        </TableCell>
                      ))}
                      <TableCell className="text-right tabular-nums">{formatPercent(group.steps[group.steps.length - 1]?.conversionFromStart)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          ) : null}
          {result.overTime.length > 1 ? (
            <div className="space-y-2">
              <h3 className="text-sm font-medium">Conversion over time</h3>
              <div style={{ height: 180 }} className="w-full">
                <ResponsiveContainer width="100%" height="100%">
                  <LineChart
                    data={result.overTime.map((point) => ({ ...point, label: formatBucket(point.bucket, interval) }))}
                    margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
                  >
                    <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
                    <XAxis dataKey="label" tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
                    <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} domain={[0, 100]} tickFormatter={(value: number) => `${value}%`} />
                    <Tooltip contentStyle={TOOLTIP_STYLE} formatter={(value) => (typeof value === "number" ? formatPercent(value) : String(value))} />
                    <Line type="monotone" dataKey="conversion" name="Conversion" stroke={colour(0)} strokeWidth={2} dot={false} isAnimationActive={false} />
                  </LineChart>
                </ResponsiveContainer>
              </div>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}

// Segment ----------------------------------------------------------------------------------------

export function SegmentChart({
  result,
  breakdown,
  height = 300,
  compact = false,
}: {
  result: SegmentResult;
  breakdown: string;
  height?: number;
  compact?: boolean;
}) {
  const rows = [...result.rows.map((row) => ({ label: row.value ?? "(none)", value: row.result ?? 0, other: false }))];
  if (result.other !== null) rows.push({ label: "(other)", value: result.other, other: true });
  return (
    <div className="space-y-4">
      <div style={{ height }} className="w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 24, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e4e4e7" />
            <XAxis type="number" tick={AXIS} tickLine={false} axisLine={false} allowDecimals={false} />
            <YAxis type="category" dataKey="label" tick={AXIS} tickLine={false} axisLine={false} width={120} />
            <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} cursor={{ fill: "#f4f4f5" }} />
            <Bar dataKey="value" name="Value" radius={[0, 4, 4, 0]} isAnimationActive={false}>
              {rows.map((row, index) => (
                <Cell key={index} fill={row.other ? "#d4d4d8" : colour(0)} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      {compact ? null : (
        <Table aria-label="Segment values">
          <TableHeader>
            <TableRow>
              <TableHead>{breakdown}</TableHead>
              <TableHead className="text-right">Value</TableHead>
              <TableHead className="text-right">Share</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((row) => (
              <TableRow key={`${row.other}-${row.label}`}>
                <TableCell className={cn("font-medium", row.other && "text-muted-foreground")}>{row.label}</TableCell>
                <TableCell className="text-right tabular-nums">{formatNumber(row.value)}</TableCell>
                <TableCell className="text-right tabular-nums text-muted-foreground">
                  {result.total ? formatPercent((row.value / result.total) * 100) : "—"}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}

// Retention --------------------------------------------------------------------------------------

/** Hatching: a period still running, whose number can only grow. Light stripes over colour, grey ones over white. */
const HATCH = "repeating-linear-gradient(135deg, transparent 0 4px, rgba(255, 255, 255, 0.45) 4px 7px)";
const HATCH_EMPTY = "repeating-linear-gradient(135deg, transparent 0 4px, rgba(113, 113, 122, 0.16) 4px 6px)";

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
              {cohort.percents.map((percent, index) => {
                const state = retentionPeriodState(cohort.cohort, index, interval, timezone, now);
                // A period not begun, or running with nobody back yet, has no rate yet: "–", never a 0 % that reads as churn.
                const pending = percent === null || state === "future" || (state === "running" && !cohort.counts[index]);
                return (
                  <TableCell
                    key={index}
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
                      <span
                        className="block rounded px-1.5 py-1.5 text-muted-foreground/60"
                        style={state === "running" ? { backgroundImage: HATCH_EMPTY } : undefined}
                      >
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
              })}
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

// Query ------------------------------------------------------------------------------------------

export function QueryTable({ result }: { result: QueryResult }) {
  return (
    <div className="space-y-2">
      <Table aria-label="Query result">
        <TableHeader>
          <TableRow>
            {result.columns.map((column, index) => (
              <TableHead key={index} className={index === result.columns.length - 1 ? "text-right" : undefined}>
                {column}
              </TableHead>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {result.rows.map((row, index) => (
            <TableRow key={index}>
              {row.groups.map((group, at) => (
                <TableCell key={at} className="font-medium">
                  {group ?? <span className="text-muted-foreground">(none)</span>}
                </TableCell>
              ))}
              <TableCell className="text-right tabular-nums">{formatNumber(row.value)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {result.truncated ? <p className="text-xs text-muted-foreground">More groups exist than the limit; raise the limit to see them.</p> : null}
    </div>
  );
}
