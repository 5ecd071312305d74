"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, RefreshCw } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { CohortForm } from "../cohort-form";
import { definitionText, memberCountText } from "../cohorts-panel";
import { DeleteCohortButton } from "../delete-cohort";
import { StaticMembers } from "../static-members";

/** One cohort: what it is, how many people it holds now, its members, and (for members) its editing. */
export function CohortDetail({ projectId, cohortId, role }: { projectId: string; cohortId: string; role: RoleName }) {
  const trpc = useTRPC();
  const router = useRouter();
  const cohort = useQuery(trpc.cohorts.get.queryOptions({ projectId, cohortId }));
  const [editing, setEditing] = useState(false);
  const canEdit = atLeast(role, "member");
  const listHref = `/projects/${projectId}/cohorts`;

  return (
    <div className="space-y-6">
      <Link href={listHref} className="inline-flex items-center gap-1 text-sm text-muted-foreground underline-offset-4 hover:text-foreground hover:underline">
        <ArrowLeft className="h-3.5 w-3.5" aria-hidden="true" />
        All cohorts
      </Link>
      <QueryState query={cohort} rows={4}>
        {(data) => (
          <>
            <Card>
              <CardHeader className="flex-row flex-wrap items-start justify-between gap-4 space-y-0">
                <div className="min-w-0 space-y-1.5">
                  <div className="flex flex-wrap items-center gap-2">
                    <CardTitle>
                      <h2 className="break-words">{data.name}</h2>
                    </CardTitle>
                    <Badge variant={data.kind === "dynamic" ? "default" : "secondary"}>{data.kind}</Badge>
                  </div>
                  <CardDescription>
                    <code className="break-all">profile.in_cohort(&apos;{data.key}&apos;)</code>
                  </CardDescription>
                  {data.description ? <p className="break-words text-sm text-muted-foreground">{data.description}</p> : null}
                </div>
                {canEdit && !editing ? (
                  <div className="flex flex-wrap gap-2">
                    <Button size="sm" variant="outline" onClick={() => setEditing(true)}>
                      Edit
                    </Button>
                    <DeleteCohortButton projectId={projectId} cohort={data} onDeleted={() => router.push(listHref)} />
                  </div>
                ) : null}
              </CardHeader>
              <CardContent className="space-y-4">
                {editing ? (
                  <CohortForm projectId={projectId} existing={data} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
                ) : data.kind === "dynamic" ? (
                  <p className="break-words text-sm">{definitionText(data.definition)}</p>
                ) : null}
                <MemberCount projectId={projectId} cohortId={cohortId} stored={{ count: data.memberCount, computedAt: data.computedAt }} />
              </CardContent>
            </Card>
            {data.kind === "static" && canEdit ? (
              <Card>
                <CardHeader>
                  <CardTitle>
                    <h3>Set members</h3>
                  </CardTitle>
                  <CardDescription>Paste profile ids or upload a text or CSV file. Ids merged into another person count as that person.</CardDescription>
                </CardHeader>
                <CardContent>
                  <StaticMembers projectId={projectId} cohortId={cohortId} cohortName={data.name} />
                </CardContent>
              </Card>
            ) : null}
            <MembersPreview projectId={projectId} cohortId={cohortId} kind={data.kind} />
          </>
        )}
      </QueryState>
    </div>
  );
}

/** The count taken now (when the page opens, and again on asking), the stored one until it arrives. */
function MemberCount({ projectId, cohortId, stored }: { projectId: string; cohortId: string; stored: { count: number | null; computedAt: Date | null } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const counted = useQuery(trpc.cohorts.count.queryOptions({ projectId, cohortId }, { staleTime: 0, retry: false }));
  // The list shows the stored count, which this count has just refreshed.
  useEffect(() => {
    if (counted.data) void queryClient.invalidateQueries({ queryKey: trpc.cohorts.list.queryKey({ projectId }) });
  }, [counted.data, queryClient, trpc, projectId]);
  const count = counted.data?.count ?? stored.count;
  const computedAt = counted.data?.computedAt ?? stored.computedAt;
  const failure = errorMessage(counted.error);
  return (
    <div className="flex flex-wrap items-center gap-3">
      <p className="text-2xl font-semibold tabular-nums" data-testid="cohort-member-count">
        {memberCountText(count)}
      </p>
      {computedAt ? (
        <span className="text-xs text-muted-foreground">
          counted <DateTime value={computedAt} />
        </span>
      ) : null}
      <Button size="sm" variant="ghost" disabled={counted.isFetching} onClick={() => void counted.refetch()}>
        <RefreshCw className={counted.isFetching ? "h-3.5 w-3.5 animate-spin" : "h-3.5 w-3.5"} aria-hidden="true" />
        {counted.isFetching ? "Counting…" : "Count now"}
      </Button>
      {failure ? (
        <p role="alert" className="text-sm text-destructive">
          {failure}
        </p>
      ) : null}
    </div>
  );
}

/** The cohort's people, a page at a time, each linking to their profile. */
function MembersPreview({ projectId, cohortId, kind }: { projectId: string; cohortId: string; kind: string }) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const list = useCursorPages([...trpc.cohorts.members.pathKey(), projectId, cohortId], (cursor: string | null) =>
    client.cohorts.members.query({ projectId, cohortId, cursor, limit: 50 }),
  );
  const members = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  return (
    <Card>
      <CardHeader className="pb-4">
        <CardTitle>
          <h3>Members</h3>
        </CardTitle>
        <CardDescription>{kind === "dynamic" ? "Who matches the conditions now." : "The people the uploaded ids name."}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-3">
        <QueryState
          query={list}
          rows={5}
          isEmpty={() => members.length === 0}
          empty={
            <EmptyState
              title="Nobody in this cohort"
              description={kind === "dynamic" ? "No profile matches the conditions right now." : "Paste or upload profile ids above to add people."}
            />
          }
        >
          {() => (
            <>
              <ul className="grid gap-1 sm:grid-cols-2 lg:grid-cols-3" aria-label="Cohort members">
                {members.map((member) => (
                  <li key={member.profileId} data-testid="cohort-member" className="min-w-0 truncate font-mono text-xs">
                    <Link
                      href={`/projects/${projectId}/profiles/${encodeURIComponent(member.profileId)}`}
                      className="underline-offset-4 hover:underline"
                      title={member.profileId}
                    >
                      {member.profileId}
                    </Link>
                  </li>
                ))}
              </ul>
              {list.hasNextPage ? (
                <Button size="sm" variant="outline" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                  {list.isFetchingNextPage ? "Loading…" : "Load more"}
                </Button>
              ) : null}
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
