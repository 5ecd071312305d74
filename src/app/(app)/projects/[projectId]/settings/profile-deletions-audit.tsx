"use client";

import { useQuery } from "@tanstack/react-query";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { DataTable, QueryState } from "~/components/query-state";
import { formatNumber } from "~/components/reports/report-model";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { TableCell, TableRow } from "~/components/ui/table";
import { useTRPC } from "~/trpc/react";

const STATUS_VARIANT = { done: "success", failed: "destructive", pending: "outline", running: "outline" } as const;

/** Admins: the project's GDPR profile deletions, as the audit keeps them (who, when, how much; never the id). */
export function ProfileDeletionsAudit({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const deletions = useQuery(trpc.profiles.deletions.queryOptions({ projectId }));
  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <h2>Profile deletions</h2>
        </CardTitle>
        <CardDescription>
          Who deleted a profile and when, with the rows removed. The deleted id is not kept: the fingerprint is part of a salted hash, which only someone
          holding the id can match.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState query={deletions} isEmpty={(rows) => rows.length === 0} empty={<EmptyState title="No profile has been deleted" />}>
          {(rows) => (
            <DataTable label="Profile deletions" columns={["Requested", "By", "Fingerprint", "Status", { header: "Rows removed", className: "text-right" }]}>
              {rows.map((row) => (
                <TableRow key={row.deletionId}>
                  <TableCell>
                    <DateTime value={row.createdAt} />
                  </TableCell>
                  <TableCell>{row.requestedBy}</TableCell>
                  <TableCell className="font-mono text-xs">{row.fingerprint}</TableCell>
                  <TableCell>
                    <Badge variant={STATUS_VARIANT[row.status]}>{row.status}</Badge>
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{formatNumber(row.removed)}</TableCell>
                </TableRow>
              ))}
            </DataTable>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
