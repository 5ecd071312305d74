"use client";

import type { ReactNode } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Alert } from "~/components/ui/alert";
import { SkeletonRows } from "~/components/ui/skeleton";
import { Table, TableBody, TableHead, TableHeader, TableRow } from "~/components/ui/table";

/** What QueryState reads of a query result (useQuery's and useInfiniteQuery's alike). */
export interface QueryLike<TData> {
  isPending: boolean;
  isError: boolean;
  isFetching: boolean;
  error: unknown;
  data: TData | undefined;
  refetch: () => Promise<unknown>;
}

interface QueryStateProps<TData> {
  query: QueryLike<TData>;
  /** How many skeleton bars stand in for the content while it loads. */
  rows?: number;
  /** Replaces the skeleton bars, for content shaped unlike a list (cards, charts). */
  loading?: ReactNode;
  /** When it says the data is empty, `empty` is shown instead of the children. */
  isEmpty?: (data: TData) => boolean;
  empty?: ReactNode;
  children: (data: TData) => ReactNode;
}

/**
 * The scaffold every panel repeats around a query: skeleton while loading, the error with a way
 * to try again, the empty state, or the data. An error wins over stale data, as before.
 */
export function QueryState<TData>({ query, rows = 3, loading, isEmpty, empty, children }: QueryStateProps<TData>) {
  if (query.isError) return <QueryError error={query.error} retrying={query.isFetching} onRetry={() => void query.refetch()} />;
  // Once a query is neither pending nor failed it has data; the check is for the type.
  if (query.isPending || query.data === undefined) return loading ?? <SkeletonRows rows={rows} />;
  if (isEmpty?.(query.data) && empty !== undefined) return empty;
  return children(query.data);
}

/** A failed load: the server's message and a button to load again. */
export function QueryError({ error, retrying, onRetry }: { error: unknown; retrying: boolean; onRetry: () => void }) {
  return (
    <Alert variant="destructive" className="flex flex-wrap items-center justify-between gap-2">
      <span>{errorMessage(error)}</span>
      <Button type="button" size="sm" variant="outline" onClick={onRetry} disabled={retrying}>
        {retrying ? "Retrying…" : "Try again"}
      </Button>
    </Alert>
  );
}

export interface DataTableColumn {
  header: ReactNode;
  className?: string;
}

/** A labelled table with one header row; the rows come as children (each panel renders its own). */
export function DataTable({ label, columns, children }: { label: string; columns: ReadonlyArray<string | DataTableColumn>; children: ReactNode }) {
  return (
    <Table aria-label={label}>
      <TableHeader>
        <TableRow>
          {columns.map((column, index) => {
            const { header, className } = typeof column === "string" ? { header: column, className: undefined } : column;
            return (
              <TableHead key={index} className={className}>
                {header}
              </TableHead>
            );
          })}
        </TableRow>
      </TableHeader>
      <TableBody>{children}</TableBody>
    </Table>
  );
}

/** The last column of a table whose rows end in buttons: named for screen readers only. */
export const ACTIONS_COLUMN: DataTableColumn = { header: <span className="sr-only">Actions</span>, className: "text-right" };
