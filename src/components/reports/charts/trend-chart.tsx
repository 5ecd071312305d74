"use client";

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge } from "~/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { Interval, TrendComparison, TrendResult } from "~/core/reports";
import { firstIncompleteBucket } from "../incomplete-periods";
import { COMPARISON_LABELS, formatBucket, formatChange, formatNumber } from "../report-model";
import { AXIS, colour, GRID_STROKE, TOOLTIP_STYLE, tooltipNumber } from "./style";

const PERIOD_NAMES: Record<Interval, string> = { minute: "this minute", hour: "this hour", day: "today", week: "this week", month: "this month" };

type ChartRow = Record<string, string | number | null>;

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
  // The bucket still running (and any after it) is drawn dashed, so a half-finished day is not read as a drop.
  const incompleteFrom = firstIncompleteBucket(result.buckets, interval, timezone);
  const hasIncomplete = incompleteFrom < result.buckets.length;
  return (
    <div className="space-y-4">
      <TrendTotals result={result} />
      {hasIncomplete ? (
        <p className="flex items-center gap-2 text-xs text-muted-foreground" data-testid="incomplete-period-note">
          <svg width="22" height="6" aria-hidden="true">
            <line x1="0" y1="3" x2="22" y2="3" stroke="currentColor" strokeWidth="2" strokeDasharray="4 3" />
          </svg>
          Incomplete period: {PERIOD_NAMES[interval]} is not over yet
        </p>
      ) : null}
      <TrendLines result={result} interval={interval} incompleteFrom={incompleteFrom} height={height} />
      {showTable ? <TrendTable result={result} interval={interval} incompleteFrom={incompleteFrom} /> : null}
    </div>
  );
}

/** Each series' total, with its change against the comparison period when compared. */
function TrendTotals({ result }: { result: TrendResult }) {
  return (
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
            {series.previous ? <ChangeBadge value={series.previous.changePercent} against={series.previous.against} /> : null}
          </div>
          {series.previous ? (
            <p className="text-xs text-muted-foreground" data-testid="trend-series-comparison">
              {COMPARISON_LABELS[series.previous.against]} (faint dashes): {formatNumber(series.previous.total)}
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** One row per bucket: `s<n>` the complete part of series n, `i<n>` its incomplete part, `p<n>` its comparison period. */
function chartRows(result: TrendResult, interval: Interval, incompleteFrom: number): ChartRow[] {
  return result.buckets.map((bucket, index) => {
    const row: ChartRow = { bucket: formatBucket(bucket, interval) };
    result.series.forEach((series, at) => {
      const value = series.values[index] ?? null;
      // The solid line stops at the last complete bucket; the dashed one starts there, so the two join.
      row[`s${at}`] = index < incompleteFrom ? value : null;
      row[`i${at}`] = index >= incompleteFrom - 1 ? value : null;
      if (series.previous) {
        row[`p${at}`] = series.previous.values[index] ?? null;
        // The compared bucket's own date, for the tooltip: "same period last year" alone does not say which day.
        const previousBucket = series.previous.buckets[index];
        row[`pb${at}`] = previousBucket ? formatBucket(previousBucket, interval) : null;
      }
    });
    return row;
  });
}

/** A value in the tooltip; a comparison line's value also names the bucket it was measured in. */
function trendTooltip(value: unknown, _name: unknown, item: { dataKey?: unknown; payload?: ChartRow }): string {
  const key = typeof item.dataKey === "string" ? item.dataKey : "";
  const bucket = /^p\d+$/.test(key) ? item.payload?.[`pb${key.slice(1)}`] : null;
  return bucket ? `${tooltipNumber(value)} (${bucket})` : tooltipNumber(value);
}

function TrendLines({ result, interval, incompleteFrom, height }: { result: TrendResult; interval: Interval; incompleteFrom: number; height: number }) {
  const data = chartRows(result, interval, incompleteFrom);
  const hasIncomplete = incompleteFrom < result.buckets.length;
  const compare = result.series.some((series) => series.previous !== null);
  return (
    <div style={{ height }} className="w-full">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke={GRID_STROKE} />
          <XAxis dataKey="bucket" tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} allowDecimals={false} tickFormatter={(value: number) => formatNumber(value)} />
          <Tooltip contentStyle={TOOLTIP_STYLE} formatter={trendTooltip} />
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
                    name={`${series.label} (${COMPARISON_LABELS[series.previous.against]})`}
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
  );
}

/** The values behind the chart, folded away. */
function TrendTable({ result, interval, incompleteFrom }: { result: TrendResult; interval: Interval; incompleteFrom: number }) {
  return (
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
  );
}

const CHANGE_TITLES: Record<TrendComparison, string> = {
  previous: "Change against the previous period of the same length",
  year: "Change against the same period one year earlier",
};

export function ChangeBadge({ value, against = "previous" }: { value: number | null; against?: TrendComparison }) {
  if (value === null || !Number.isFinite(value)) return <Badge variant="secondary">new</Badge>;
  return (
    <Badge variant={value > 0 ? "success" : value < 0 ? "destructive" : "secondary"} title={CHANGE_TITLES[against]}>
      {formatChange(value)}
    </Badge>
  );
}
