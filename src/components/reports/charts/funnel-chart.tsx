"use client";

import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { FUNNEL_COUNTING_NOTE, type FunnelResult, type Interval } from "~/core/reports";
import { formatBucket, formatDuration, formatNumber, formatPercent } from "../report-model";
import { AXIS, colour, GRID_STROKE, TOOLTIP_STYLE, tooltipNumber } from "./style";

type Breakdown = NonNullable<FunnelResult["breakdown"]>;

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
      <FunnelBars result={result} height={height} compact={compact} />
      <p className="text-xs text-muted-foreground" data-testid="funnel-counting-note">
        {FUNNEL_COUNTING_NOTE}
      </p>
      {compact ? null : (
        <>
          <FunnelStepsTable result={result} />
          {result.breakdown && result.breakdown.length > 0 ? <FunnelBreakdownTable steps={result.steps} breakdown={result.breakdown} /> : null}
          {result.overTime.length > 1 ? <ConversionOverTime overTime={result.overTime} interval={interval} /> : null}
        </>
      )}
    </div>
  );
}

function FunnelBars({ result, height, compact }: { result: FunnelResult; height: number; compact: boolean }) {
  // Dashboard cards can be phone-narrow: the step numbers go, the order of the bars says it.
  const data = result.steps.map((step, index) => ({
    step: compact ? step.label : `${index + 1}. ${step.label}`,
    converted: step.count,
    dropped: index === 0 ? 0 : step.dropOff,
  }));
  return (
    <div style={{ height }} className="w-full">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke={GRID_STROKE} />
          <XAxis dataKey="step" tick={AXIS} tickLine={false} axisLine={false} interval={0} />
          <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} allowDecimals={false} />
          <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} cursor={{ fill: "#f4f4f5" }} />
          <Bar dataKey="converted" name="Reached this step" stackId="funnel" fill={colour(0)} radius={[0, 0, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="dropped" name="Dropped off" stackId="funnel" fill="#e4e4e7" radius={[4, 4, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function FunnelStepsTable({ result }: { result: FunnelResult }) {
  return (
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
  );
}

/** Each value of the breakdown property: its profiles at every step and its overall conversion. */
function FunnelBreakdownTable({ steps, breakdown }: { steps: FunnelResult["steps"]; breakdown: Breakdown }) {
  return (
    <div className="space-y-2">
      <h3 className="text-sm font-medium">Breakdown</h3>
      <Table aria-label="Funnel breakdown">
        <TableHeader>
          <TableRow>
            <TableHead>Value</TableHead>
            {steps.map((step, index) => (
              <TableHead key={index} className="text-right">
                {index + 1}. {step.label}
              </TableHead>
            ))}
            <TableHead className="text-right">Conversion</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {breakdown.map((group) => (
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
  );
}

function ConversionOverTime({ overTime, interval }: { overTime: FunnelResult["overTime"]; interval: Interval }) {
  return (
    <div className="space-y-2">
      <h3 className="text-sm font-medium">Conversion over time</h3>
      <div style={{ height: 180 }} className="w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart
            data={overTime.map((point) => ({ ...point, label: formatBucket(point.bucket, interval) }))}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke={GRID_STROKE} />
            <XAxis dataKey="label" tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
            <YAxis tick={AXIS} tickLine={false} axisLine={false} width={48} domain={[0, 100]} tickFormatter={(value: number) => `${value}%`} />
            <Tooltip contentStyle={TOOLTIP_STYLE} formatter={(value) => (typeof value === "number" ? formatPercent(value) : String(value))} />
            <Line type="monotone" dataKey="conversion" name="Conversion" stroke={colour(0)} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
