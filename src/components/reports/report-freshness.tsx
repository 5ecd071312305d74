"use client";

import { skipToken, useMutation, useQuery, useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import { useEffect, useState } from "react";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { useIsClient } from "~/components/use-is-client";
import type { ReportSpec } from "~/core/reports";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import { nextTickMs, updatedAgo } from "./freshness";

type Trpc = ReturnType<typeof useTRPC>;

/** What every report answer says about itself, besides the result. */
interface AnswerMeta {
  computedAt: string;
  cached: boolean;
}

/** The cache key under which ReportView keeps the spec's answer (its input has no `fresh`). */
function reportQueryKey(trpc: Trpc, projectId: string, spec: ReportSpec): QueryKey {
  switch (spec.kind) {
    case "trend":
      return trpc.reports.trend.queryKey({ projectId, definition: spec.definition });
    case "funnel":
      return trpc.reports.funnel.queryKey({ projectId, definition: spec.definition });
    case "segment":
      return trpc.reports.segment.queryKey({ projectId, definition: spec.definition });
    case "retention":
      return trpc.reports.retention.queryKey({ projectId, definition: spec.definition });
    case "query":
      return trpc.reports.query.queryKey({ projectId, definition: spec.definition });
    case "paths":
      return trpc.reports.paths.queryKey({ projectId, definition: spec.definition });
  }
}

/**
 * Runs the report past the query service's cache (`fresh: true`) and puts the answer where
 * ReportView reads it, so the chart and the "Updated" line change together. The fresh query itself
 * is not kept (gcTime 0): it is only a way to fetch.
 */
async function fetchFresh(queryClient: QueryClient, trpc: Trpc, projectId: string, spec: ReportSpec): Promise<void> {
  const once = { staleTime: 0, gcTime: 0, retry: false } as const;
  switch (spec.kind) {
    case "trend": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.trend.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.trend.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
    case "funnel": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.funnel.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.funnel.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
    case "segment": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.segment.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.segment.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
    case "retention": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.retention.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.retention.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
    case "query": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.query.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.query.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
    case "paths": {
      const input = { projectId, definition: spec.definition };
      queryClient.setQueryData(
        trpc.reports.paths.queryKey(input),
        await queryClient.fetchQuery({ ...trpc.reports.paths.queryOptions({ ...input, fresh: true }), ...once }),
      );
      return;
    }
  }
}

/** The current time, re-read as often as `updatedAgo` can change; null until hydrated (the server's clock is not the reader's). */
function useNow(computedAt: Date | null): Date | null {
  const isClient = useIsClient();
  const [now, setNow] = useState<Date | null>(null);
  // The instant, not the Date object, decides when to restart.
  const at = computedAt ? computedAt.getTime() : null;
  useEffect(() => {
    if (!isClient || at === null) return;
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const current = new Date();
      setNow(current);
      timer = setTimeout(tick, nextTickMs(new Date(at), current));
    };
    tick();
    return () => clearTimeout(timer);
  }, [isClient, at]);
  return isClient ? now : null;
}

/**
 * "Updated 12 s ago" for the report's answer as ReportView shows it, and a Refresh button that runs
 * it again past the server's cache. Reads the same query as ReportView (without fetching it itself).
 */
export function ReportFreshness({ projectId, spec, className }: { projectId: string; spec: ReportSpec; className?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const answer = useQuery<AnswerMeta>({ queryKey: reportQueryKey(trpc, projectId, spec), queryFn: skipToken });
  const refresh = useMutation({ mutationFn: () => fetchFresh(queryClient, trpc, projectId, spec) });
  const computedAt = answer.data ? new Date(answer.data.computedAt) : null;
  const now = useNow(computedAt);
  const busy = refresh.isPending || answer.isFetching;
  const failure = refresh.error ? (errorMessage(refresh.error) ?? "The report could not be refreshed.") : null;

  return (
    <div className={cn("flex items-center gap-1 text-xs text-muted-foreground", className)}>
      {failure ? (
        <span role="alert" className="text-destructive" title={failure}>
          Refresh failed
        </span>
      ) : computedAt && now ? (
        <time
          dateTime={computedAt.toISOString()}
          data-testid="report-updated"
          title={`Computed at ${computedAt.toLocaleString()}${answer.data?.cached ? ", served from the report cache" : ""}`}
        >
          {updatedAgo(computedAt, now)}
        </time>
      ) : busy ? (
        <span>Updating…</span>
      ) : null}
      <Button
        type="button"
        variant="ghost"
        size="icon"
        className="h-8 w-8"
        aria-label="Refresh"
        title="Run again, past the cache"
        disabled={busy}
        onClick={() => refresh.mutate()}
      >
        <RefreshCw className={cn("h-4 w-4", busy && "animate-spin")} aria-hidden="true" />
      </Button>
    </div>
  );
}
