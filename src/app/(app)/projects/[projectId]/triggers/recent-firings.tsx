"use client";

import { useInfiniteQuery, type InfiniteData, type UseInfiniteQueryResult } from "@tanstack/react-query";
import { ChevronDown, ChevronRight, RotateCw } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { DateTime } from "~/components/date-time";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Badge, type BadgeProps } from "~/components/ui/badge";
import { SkeletonRows } from "~/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import { useTRPCClient } from "~/trpc/react";
import { ACTION_LABELS } from "./action-drafts";

type FiringsPage = RouterOutputs["reports"]["triggerFirings"];
type Firing = FiringsPage["items"][number];
type FiringCursor = NonNullable<FiringsPage["nextCursor"]>;

const PAGE_SIZE = 10;
/** Refetched while the page is open, so a firing shows up within seconds of its event. */
const POLL_MS = 10_000;

const STATUS_VARIANT: Record<string, BadgeProps["variant"]> = {
  succeeded: "success",
  failed: "destructive",
  queued: "warning",
  skipped: "secondary",
};

const actionLabel = (type: string) => (ACTION_LABELS as Record<string, string>)[type] ?? type;

/** A firing processed this long after its event happened shows its processing time too (backfills, offline clients). */
const LATE_MS = 60_000;

const firingsLabel = (count: number | null) => (count === null ? "Firings" : `${count.toLocaleString("en-US")} ${count === 1 ? "firing" : "firings"} today`);

/**
 * The trigger's firing log from DuckDB, newest event first: the event that matched and what each
 * action did. Collapsed to a count of today's firings until asked for, so a page of triggers stays short.
 */
export function RecentFirings({
  projectId,
  triggerId,
  triggerName,
  firingsToday,
}: {
  projectId: string;
  triggerId: string;
  triggerName: string;
  firingsToday: number | null;
}) {
  const client = useTRPCClient();
  const [open, setOpen] = useState(false);
  const firings = useInfiniteQuery<FiringsPage, Error, InfiniteData<FiringsPage, FiringCursor | null>, readonly unknown[], FiringCursor | null>({
    queryKey: ["reports.triggerFirings", projectId, triggerId],
    queryFn: ({ pageParam }) => client.reports.triggerFirings.query({ projectId, triggerId, cursor: pageParam, limit: PAGE_SIZE }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: POLL_MS,
    retry: 1,
    enabled: open,
  });
  const items = useMemo(() => firings.data?.pages.flatMap((page) => page.items) ?? [], [firings.data]);
  const headingId = `trigger-firings-${triggerId}`;
  const logId = `trigger-firings-log-${triggerId}`;
  const Chevron = open ? ChevronDown : ChevronRight;

  return (
    <section aria-labelledby={headingId} className="space-y-2 border-t pt-3">
      <div className="flex items-center justify-between gap-2">
        <h4 id={headingId} className="text-sm font-medium">
          <button
            type="button"
            className="inline-flex items-center gap-1 rounded-sm hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
            aria-expanded={open}
            aria-controls={logId}
            onClick={() => setOpen((value) => !value)}
          >
            <Chevron className="h-4 w-4" aria-hidden="true" />
            <span data-testid="firings-today">{firingsLabel(firingsToday)}</span>
            <span className="font-normal text-muted-foreground">· {open ? "hide" : "show"}</span>
          </button>
        </h4>
        {open && firings.isFetching && !firings.isPending ? <span className="text-xs text-muted-foreground">Updating…</span> : null}
      </div>
      <div id={logId} hidden={!open} className="space-y-2">
        {open ? <FiringLog projectId={projectId} triggerName={triggerName} firings={firings} items={items} /> : null}
      </div>
    </section>
  );
}

function FiringLog({
  projectId,
  triggerName,
  firings,
  items,
}: {
  projectId: string;
  triggerName: string;
  firings: UseInfiniteQueryResult<InfiniteData<FiringsPage, FiringCursor | null>>;
  items: Firing[];
}) {
  return (
    <>
      {firings.isPending ? (
        <SkeletonRows rows={2} />
      ) : firings.isError && items.length === 0 ? (
        <div
          role="alert"
          className="flex flex-wrap items-center gap-3 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive"
        >
          <span>Could not load the firing log: {errorMessage(firings.error) ?? "unknown error"}</span>
          <Button type="button" size="sm" variant="outline" onClick={() => void firings.refetch()}>
            <RotateCw className="h-3.5 w-3.5" aria-hidden="true" />
            Try again
          </Button>
        </div>
      ) : items.length === 0 ? (
        <p className="text-xs text-muted-foreground">No firings yet. When an event matches the rule, it is logged here with what each action did.</p>
      ) : (
        <>
          <Table aria-label={`Recent firings of ${triggerName}`}>
            <TableHeader>
              <TableRow>
                <TableHead>Time</TableHead>
                <TableHead>Event</TableHead>
                <TableHead>Profile</TableHead>
                <TableHead>Result</TableHead>
                <TableHead>Actions</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((firing) => (
                <FiringRow key={firing.firingId} projectId={projectId} firing={firing} />
              ))}
            </TableBody>
          </Table>
          {firings.isError ? <p className="text-xs text-destructive">Could not refresh the firing log: {errorMessage(firings.error)}</p> : null}
          {firings.hasNextPage ? (
            <div className="flex justify-end">
              <Button type="button" variant="outline" size="sm" disabled={firings.isFetchingNextPage} onClick={() => void firings.fetchNextPage()}>
                {firings.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            </div>
          ) : null}
        </>
      )}
    </>
  );
}

function FiringRow({ projectId, firing }: { projectId: string; firing: Firing }) {
  return (
    <TableRow data-testid="firing-row" className="align-top">
      <TableCell className="whitespace-nowrap align-top text-xs">
        <DateTime value={firing.eventAt} />
        {Math.abs(Date.parse(firing.firedAt) - Date.parse(firing.eventAt)) > LATE_MS ? (
          <span className="block text-muted-foreground">
            processed <DateTime value={firing.firedAt} />
          </span>
        ) : null}
        <span className="block text-muted-foreground">rule v{firing.triggerVersion}</span>
      </TableCell>
      <TableCell className="align-top font-mono text-xs">{firing.eventName}</TableCell>
      <TableCell className="max-w-40 truncate align-top text-xs">
        {firing.profileId ? (
          <Link
            href={`/projects/${projectId}/profiles/${encodeURIComponent(firing.profileId)}`}
            className="text-primary underline-offset-4 hover:underline"
            title={firing.profileId}
          >
            {firing.profileId}
          </Link>
        ) : (
          <span className="text-muted-foreground">anonymous</span>
        )}
      </TableCell>
      <TableCell className="max-w-64 align-top text-xs">
        {firing.result === "fired" ? (
          <Badge variant="success">fired</Badge>
        ) : (
          <div className="space-y-1">
            <Badge variant="destructive">error</Badge>
            {firing.error ? <p className="break-words text-destructive">{firing.error}</p> : null}
          </div>
        )}
      </TableCell>
      <TableCell className="align-top text-xs">
        {firing.actions.length === 0 ? (
          <span className="text-muted-foreground">No action results</span>
        ) : (
          <ul className="space-y-1">
            {firing.actions.map((action) => (
              <li key={action.index} className="flex flex-wrap items-center gap-1.5">
                <span className="font-medium">{actionLabel(action.type)}</span>
                <Badge variant={STATUS_VARIANT[action.status] ?? "outline"}>{action.status}</Badge>
                {action.detail ? <span className="break-all text-muted-foreground">{action.detail}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </TableCell>
    </TableRow>
  );
}
