"use client";

import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { SegmentResult } from "~/core/reports";
import { cn } from "~/lib/utils";
import { formatNumber, formatPercent } from "../report-model";
import { AXIS, colour, GRID_STROKE, TOOLTIP_STYLE, tooltipNumber } from "./style";

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
            <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke={GRID_STROKE} />
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
