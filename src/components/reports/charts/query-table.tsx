"use client";

import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { QueryResult } from "~/core/reports";
import { formatNumber } from "../report-model";

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
