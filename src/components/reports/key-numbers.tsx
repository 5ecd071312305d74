"use client";

import { useQuery } from "@tanstack/react-query";
import { Activity, Users, Zap } from "lucide-react";
import type { ReactNode } from "react";
import { errorMessage } from "~/components/form-errors";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent } from "~/components/ui/card";
import { Skeleton } from "~/components/ui/skeleton";
import { useTRPC } from "~/trpc/react";
import { formatNumber } from "./report-model";

/** Events today, active profiles, triggers fired: the project at a glance, refreshed every 30 s. */
export function KeyNumbers({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const numbers = useQuery(trpc.reports.keyNumbers.queryOptions({ projectId }, { refetchInterval: 30_000 }));
  if (numbers.isError) return <Alert variant="destructive">{errorMessage(numbers.error)}</Alert>;
  const data = numbers.data;
  return (
    <div className="grid gap-4 sm:grid-cols-3" aria-label="Key numbers">
      <Stat icon={<Activity className="h-4 w-4" aria-hidden="true" />} label="Events today" value={data?.eventsToday} testId="key-events-today" />
      <Stat
        icon={<Users className="h-4 w-4" aria-hidden="true" />}
        label="Active profiles today"
        value={data?.activeProfilesToday}
        hint={data ? `${formatNumber(data.activeProfiles7d)} in the last 7 days` : undefined}
        testId="key-active-profiles"
      />
      <Stat icon={<Zap className="h-4 w-4" aria-hidden="true" />} label="Triggers fired today" value={data?.triggersFiredToday} testId="key-triggers-fired" />
    </div>
  );
}

function Stat({ icon, label, value, hint, testId }: { icon: ReactNode; label: string; value: number | undefined; hint?: string | undefined; testId: string }) {
  return (
    <Card>
      <CardContent className="space-y-1 p-5">
        <p className="flex items-center gap-2 text-sm text-muted-foreground">
          {icon}
          {label}
        </p>
        {value === undefined ? (
          <Skeleton className="h-8 w-20" />
        ) : (
          <p className="h-8 text-2xl font-semibold tabular-nums" data-testid={testId}>
            {formatNumber(value)}
          </p>
        )}
        <p className="h-4 text-xs text-muted-foreground">{hint ?? ""}</p>
      </CardContent>
    </Card>
  );
}
