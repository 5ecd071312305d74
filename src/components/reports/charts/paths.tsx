"use client";

import { ArrowRight } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Layer, Rectangle, Sankey, Tooltip, type SankeyData } from "recharts";
import { PATHS_COUNTING_NOTE, type PathDirection, type PathsResult } from "~/core/reports";
import { formatNumber, formatPercent } from "../report-model";
import { colour, TOOLTIP_STYLE, tooltipNumber } from "./style";

/** Below this width per column the Sankey's labels collide: the list of paths says it better. */
const MIN_COLUMN_WIDTH = 150;
const LABEL_LENGTH = 18;

/**
 * The top paths as a Sankey: one node per step and distance from the chosen event (so "cart" right
 * after it and "cart" two steps later are apart), the chosen event itself one node, links as wide as
 * the people who took them. Paths outside the top N are not drawn; the list says how many.
 */
export function pathsSankey(result: PathsResult, direction: PathDirection): SankeyData {
  const nodes: Array<{ name: string; key: string }> = [];
  const index = new Map<string, number>();
  const links = new Map<string, { source: number; target: number; value: number }>();
  const node = (key: string, name: string) => {
    if (!index.has(key)) {
      index.set(key, nodes.length);
      nodes.push({ name, key });
    }
    return index.get(key)!;
  };
  for (const path of result.paths) {
    const last = path.steps.length - 1;
    const ids = path.steps.map((name, position) => {
      const distance = direction === "after" ? position : last - position;
      return node(distance === 0 ? "event" : `${distance}\u0000${name}`, name);
    });
    for (let position = 1; position < ids.length; position++) {
      const key = `${ids[position - 1]}>${ids[position]}`;
      const link = links.get(key) ?? { source: ids[position - 1]!, target: ids[position]!, value: 0 };
      link.value += path.count;
      links.set(key, link);
    }
  }
  return { nodes, links: [...links.values()] };
}

/** The width of an element, kept current; null until measured (and on the server). */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry!.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

export function PathsChart({
  result,
  event,
  direction,
  height = 300,
  compact = false,
}: {
  result: PathsResult;
  event: string;
  direction: PathDirection;
  height?: number;
  compact?: boolean;
}) {
  const { ref, width } = useWidth();
  const data = pathsSankey(result, direction);
  const columns = Math.max(1, ...result.paths.map((path) => path.steps.length));
  // The Sankey's width once measured and wide enough; null: the list alone.
  const sankeyWidth = data.links.length > 0 && width !== null && width >= columns * MIN_COLUMN_WIDTH ? width : null;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-x-6 gap-y-1">
        <div>
          <p className="text-xs text-muted-foreground">People</p>
          <p className="text-2xl font-semibold tabular-nums" data-testid="paths-persons">
            {formatNumber(result.persons)}
          </p>
        </div>
        <p className="text-sm text-muted-foreground">
          did <span className="font-medium text-foreground">{event}</span> in the range · {direction === "after" ? "what they did next" : "what led up to it"}
        </p>
      </div>
      <div ref={ref} className="w-full space-y-4">
        {sankeyWidth !== null ? (
          <figure aria-label={`Sankey of the top paths ${direction} ${event}`} data-testid="paths-sankey">
            <Sankey
              width={sankeyWidth}
              height={height}
              data={data}
              nodeWidth={10}
              nodePadding={18}
              linkCurvature={0.5}
              iterations={32}
              margin={{ top: 8, right: 8, bottom: 8, left: 8 }}
              node={(props) => <PathNode {...props} chartWidth={sankeyWidth} />}
              link={{ stroke: colour(0), strokeOpacity: 0.22 }}
            >
              <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} />
            </Sankey>
          </figure>
        ) : null}
        {/* The list is the chart on narrow screens, and the detail under it on wide ones. */}
        {sankeyWidth !== null && compact ? null : <PathsList result={result} />}
      </div>
      <p className="text-xs text-muted-foreground" data-testid="paths-counting-note">
        {PATHS_COUNTING_NOTE}
      </p>
    </div>
  );
}

interface NodeProps {
  x: number;
  y: number;
  width: number;
  height: number;
  index: number;
  payload: { name?: unknown; value?: unknown };
  chartWidth: number;
}

/** A node with its label beside it: right of the node, or left of it in the last column. */
function PathNode({ x, y, width, height, index, payload, chartWidth }: NodeProps) {
  const name = String(payload.name ?? "");
  const short = name.length > LABEL_LENGTH ? `${name.slice(0, LABEL_LENGTH - 1)}…` : name;
  const lastColumn = x + width + MIN_COLUMN_WIDTH > chartWidth;
  const value = typeof payload.value === "number" ? payload.value : 0;
  return (
    <Layer key={`node-${index}`}>
      <Rectangle x={x} y={y} width={width} height={Math.max(height, 1)} fill={colour(0)} fillOpacity={0.9} radius={2} />
      <text
        x={lastColumn ? x - 6 : x + width + 6}
        y={y + height / 2}
        textAnchor={lastColumn ? "end" : "start"}
        dominantBaseline="middle"
        fontSize={12}
        fill="#27272a"
      >
        <title>{name}</title>
        {short}
        <tspan fill="#71717a"> {formatNumber(value)}</tspan>
      </text>
    </Layer>
  );
}

function PathsList({ result }: { result: PathsResult }) {
  const share = (count: number) => (result.persons === 0 ? "—" : formatPercent((count / result.persons) * 100));
  return (
    <ol aria-label="Top paths" className="divide-y rounded-lg border text-sm">
      {result.paths.map((path, rank) => (
        <li key={path.steps.join("\u0000")} className="flex items-start gap-3 px-3 py-2" data-testid="path-row">
          <span className="w-5 shrink-0 pt-0.5 text-right text-xs tabular-nums text-muted-foreground">{rank + 1}</span>
          <span className="flex min-w-0 flex-1 flex-wrap items-center gap-1">
            {path.steps.map((step, position) => (
              <span key={position} className="flex min-w-0 items-center gap-1">
                {position > 0 ? <ArrowRight className="h-3 w-3 shrink-0 text-muted-foreground" aria-label="then" /> : null}
                <span className="max-w-[14rem] truncate rounded bg-muted px-1.5 py-0.5 font-mono text-xs" title={step}>
                  {step}
                </span>
              </span>
            ))}
          </span>
          <span className="shrink-0 text-right tabular-nums">
            {formatNumber(path.count)}
            <span className="ml-2 text-xs text-muted-foreground">{share(path.count)}</span>
          </span>
        </li>
      ))}
      {result.other > 0 ? (
        <li className="flex items-start gap-3 px-3 py-2 text-muted-foreground">
          <span className="w-5 shrink-0" />
          <span className="flex-1">Other paths</span>
          <span className="shrink-0 text-right tabular-nums">
            {formatNumber(result.other)}
            <span className="ml-2 text-xs">{share(result.other)}</span>
          </span>
        </li>
      ) : null}
    </ol>
  );
}
