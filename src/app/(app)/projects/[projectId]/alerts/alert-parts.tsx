"use client";

import { useTRPCClient } from "~/trpc/react";
import { DateTime } from "~/components/date-time";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { DataTable, QueryState } from "~/components/query-state";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { EmptyState } from "~/components/empty-state";
import { Badge } from "~/components/ui/badge";
import { TableCell, TableRow } from "~/components/ui/table";
import type { AlertConfig, AlertState } from "~/core/alerts";

const STATE_LABEL = { ok: "ok", firing: "firing", no_data: "no data" } as const satisfies Record<AlertState, string>;

export function StateBadge({ state }: { state: AlertState }) {
  return <Badge variant={state === "firing" ? "destructive" : state === "ok" ? "success" : "secondary"}>{STATE_LABEL[state]}</Badge>;
}

const INTERVAL_NOUN: Record<string, string> = { minute: "minutes", hour: "hours", day: "days", week: "weeks", month: "months" };

/** The condition in a line: "above 50", "outside the median ± 3 × MAD of the previous 14 days". */
export function describeCondition(config: AlertConfig | null, interval: string): string {
  if (!config) return "condition no longer valid: edit the alert";
  if (config.condition === "above") return `fires above ${config.threshold}`;
  if (config.condition === "below") return `fires below ${config.threshold}`;
  return `fires outside the median ± ${config.k} × MAD of the previous ${config.window} ${INTERVAL_NOUN[interval] ?? "periods"}`;
}

const number = (value: number | null) =>
  value === null ? "—" : Number.isInteger(value) ? value.toLocaleString("en-US") : value.toPrecision(6).replace(/\.?0+$/, "");

/** An alert's evaluated periods, newest first, 20 at a time. */
export function AlertHistory({ projectId, alertId, alertName }: { projectId: string; alertId: string; alertName: string }) {
  const client = useTRPCClient();
  const history = useCursorPages(["alerts.history", projectId, alertId], (cursor: string | null) =>
    client.alerts.history.query({ projectId, alertId, cursor, limit: 20 }),
  );
  return (
    <QueryState
      query={history}
      isEmpty={(data) => data.pages.every((page) => page.items.length === 0)}
      empty={
        <EmptyState
          title="Not evaluated yet"
          description="The worker judges each period once it is complete (checked every minute); the first row appears after the current period ends."
        />
      }
    >
      {(data) => (
        <div className="space-y-2">
          <div className="overflow-x-auto">
            <DataTable label={`History of ${alertName}`} columns={["Period", "Value", "Median ± MAD", "State", "Why", "Judged"]}>
              {data.pages
                .flatMap((page) => page.items)
                .map((row) => (
                  <TableRow key={row.periodStart.toISOString()}>
                    <TableCell className="whitespace-nowrap font-mono text-xs">{row.periodLabel.replace("T00:00", "")}</TableCell>
                    <TableCell className="tabular-nums">{number(row.value)}</TableCell>
                    <TableCell className="whitespace-nowrap tabular-nums">{row.median === null ? "—" : `${number(row.median)} ± ${number(row.mad)}`}</TableCell>
                    <TableCell>
                      <span className="flex items-center gap-1">
                        <StateBadge state={row.state as AlertState} />
                        {row.firingId ? <span className="text-xs text-muted-foreground">actions run</span> : null}
                      </span>
                    </TableCell>
                    <TableCell className="min-w-48 text-xs text-muted-foreground">{row.detail}</TableCell>
                    <TableCell className="whitespace-nowrap text-xs">
                      <DateTime value={row.evaluatedAt} />
                    </TableCell>
                  </TableRow>
                ))}
            </DataTable>
          </div>
          {history.hasNextPage ? (
            <Button type="button" variant="outline" size="sm" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
              {history.isFetchingNextPage ? "Loading…" : "Load older periods"}
            </Button>
          ) : null}
        </div>
      )}
    </QueryState>
  );
}
