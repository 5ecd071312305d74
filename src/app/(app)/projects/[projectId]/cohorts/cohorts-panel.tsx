"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { formatNumber } from "~/components/reports/report-model";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { dynamicCohortDefinitionSchema } from "~/core/cohorts";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";
import { describeDefinition } from "./cohort-drafts";
import { CohortForm } from "./cohort-form";
import { DeleteCohortButton } from "./delete-cohort";

type CohortRow = RouterOutputs["cohorts"]["list"][number];

/** The project's cohorts with their sizes; creating one opens its page, where static ones get their ids. */
export function CohortsPanel({ projectId, role }: { projectId: string; role: RoleName }) {
  const trpc = useTRPC();
  const router = useRouter();
  const cohorts = useQuery(trpc.cohorts.list.queryOptions({ projectId }));
  const [creating, setCreating] = useState(false);
  const canEdit = atLeast(role, "member");

  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Cohorts</h2>
          </CardTitle>
          <CardDescription>Saved groups of people, to filter and break down reports by and to use in trigger rules.</CardDescription>
        </div>
        {canEdit && !creating ? (
          <Button onClick={() => setCreating(true)}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            New cohort
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-4">
        {!canEdit ? (
          <Alert variant="info">
            <AlertDescription>Viewers can see cohorts; creating and changing them needs the member role.</AlertDescription>
          </Alert>
        ) : null}
        {creating ? (
          <CohortForm
            projectId={projectId}
            onSaved={(cohortId) => router.push(`/projects/${projectId}/cohorts/${encodeURIComponent(cohortId)}`)}
            onCancel={() => setCreating(false)}
          />
        ) : null}
        <QueryState
          query={cohorts}
          isEmpty={(data) => data.length === 0 && !creating}
          empty={
            <EmptyState
              title="No cohorts yet"
              description={
                <>
                  <p>
                    A cohort is a saved group of people: <em>dynamic</em>, by what their profile says and what they did (&ldquo;did purchase at least 3 times in
                    the last 30 days&rdquo;), kept current; or <em>static</em>, a list of profile ids you upload.
                  </p>
                  <p className="mt-2">
                    Filter any report to a cohort, break a report down by cohorts, or use one in a rule: <code>profile.in_cohort(&apos;vip&apos;)</code>.
                  </p>
                </>
              }
              action={
                canEdit ? (
                  <Button onClick={() => setCreating(true)}>
                    <Plus className="h-4 w-4" aria-hidden="true" />
                    Create a cohort
                  </Button>
                ) : null
              }
            />
          }
        >
          {(data) => (
            <ul className="divide-y rounded-lg border" aria-label="Cohorts">
              {data.map((cohort) => (
                <CohortItem key={cohort.id} projectId={projectId} cohort={cohort} canEdit={canEdit} />
              ))}
            </ul>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

/** "1,234 people", or what stands in for a count not taken yet. */
export function memberCountText(count: number | null | undefined): string {
  if (count === null || count === undefined) return "not counted yet";
  return `${formatNumber(count)} ${count === 1 ? "person" : "people"}`;
}

/** A dynamic cohort's conditions in words; empty for a static one or a definition that no longer parses. */
export function definitionText(definition: unknown): string {
  const parsed = dynamicCohortDefinitionSchema.safeParse(definition);
  return parsed.success ? describeDefinition(parsed.data) : "";
}

function CohortItem({ projectId, cohort, canEdit }: { projectId: string; cohort: CohortRow; canEdit: boolean }) {
  const href = `/projects/${projectId}/cohorts/${encodeURIComponent(cohort.id)}`;
  const summary = cohort.kind === "dynamic" ? definitionText(cohort.definition) : "Uploaded profile ids";
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 p-4" data-testid="cohort-row">
      <div className="min-w-0 flex-1 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <Link href={href} className="font-semibold underline-offset-4 hover:underline">
            {cohort.name}
          </Link>
          <Badge variant={cohort.kind === "dynamic" ? "default" : "secondary"}>{cohort.kind}</Badge>
          <code className="break-all text-xs text-muted-foreground">{cohort.key}</code>
        </div>
        {cohort.description ? <p className="break-words text-sm text-muted-foreground">{cohort.description}</p> : null}
        <p className="break-words text-xs text-muted-foreground">{summary}</p>
      </div>
      <div className="flex shrink-0 flex-wrap items-center gap-3">
        <div className="text-right">
          <p className="text-sm font-medium tabular-nums" data-testid="cohort-member-count">
            {memberCountText(cohort.memberCount)}
          </p>
          {cohort.computedAt ? (
            <p className="text-xs text-muted-foreground">
              counted <DateTime value={cohort.computedAt} />
            </p>
          ) : null}
        </div>
        <Link href={href} className="text-sm underline-offset-4 hover:underline" aria-label={`Open ${cohort.name}`}>
          Open
        </Link>
        {canEdit ? <DeleteCohortButton projectId={projectId} cohort={cohort} /> : null}
      </div>
    </li>
  );
}
