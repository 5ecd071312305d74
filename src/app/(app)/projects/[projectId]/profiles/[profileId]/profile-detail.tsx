"use client";

import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { JsonView } from "~/components/reports/json-view";
import { formatNumber } from "~/components/reports/report-model";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { SkeletonRows } from "~/components/ui/skeleton";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { EventDetailDrawer } from "../../events/event-detail";
import { EventsTable } from "../../events/events-table";
import { ProfileDeletion } from "./profile-deletion";
import { ProfileMerge } from "./profile-merge";

export function ProfileDetail({ projectId, profileId, canDelete = false }: { projectId: string; profileId: string; canDelete?: boolean }) {
  const trpc = useTRPC();
  const profile = useQuery(trpc.profiles.get.queryOptions({ projectId, profileId }));
  const client = useTRPCClient();
  const timeline = useCursorPages(["profiles.timeline", projectId, profileId], (cursor: { ts: string; eventId: string } | null) =>
    client.profiles.timeline.query({ projectId, profileId, cursor, limit: 50 }),
  );
  const events = useMemo(() => timeline.data?.pages.flatMap((page) => page.items) ?? [], [timeline.data]);
  const [openEvent, setOpenEvent] = useState<string | null>(null);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <Link href={`/projects/${projectId}/profiles`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
          <ArrowLeft className="h-3.5 w-3.5" aria-hidden="true" />
          All profiles
        </Link>
        {canDelete ? (
          <div className="flex flex-wrap items-center gap-3">
            <ProfileMerge projectId={projectId} profileId={profileId} />
            <ProfileDeletion projectId={projectId} profileId={profileId} />
          </div>
        ) : null}
      </div>
      <QueryState
        query={profile}
        loading={
          <Card>
            <CardContent className="p-6">
              <SkeletonRows rows={5} />
            </CardContent>
          </Card>
        }
      >
        {(data) => (
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
            <Card>
              <CardHeader>
                <CardTitle>
                  <h2 className="break-all font-mono text-base" data-testid="profile-id">
                    {data.profileId}
                  </h2>
                </CardTitle>
                <CardDescription>{formatNumber(data.eventCount)} events</CardDescription>
              </CardHeader>
              <CardContent className="space-y-4 text-sm">
                <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2">
                  <dt className="text-muted-foreground">Created</dt>
                  <dd>
                    <DateTime value={data.createdAt} />
                  </dd>
                  <dt className="text-muted-foreground">Updated</dt>
                  <dd>
                    <DateTime value={data.updatedAt} />
                  </dd>
                  <dt className="text-muted-foreground">First seen</dt>
                  <dd>
                    <DateTime value={data.firstSeen} />
                  </dd>
                  <dt className="text-muted-foreground">Last seen</dt>
                  <dd>
                    <DateTime value={data.lastSeen} />
                  </dd>
                </dl>
                <section className="space-y-2">
                  <h3 className="font-medium">Properties</h3>
                  <JsonView value={data.props} label="Profile properties" />
                </section>
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle>
                  <h2>Recent changes</h2>
                </CardTitle>
                <CardDescription>What identify and profile calls set, set once or removed.</CardDescription>
              </CardHeader>
              <CardContent>
                {data.recentChanges.length === 0 ? (
                  <p className="text-sm text-muted-foreground">No changes recorded.</p>
                ) : (
                  <ol className="space-y-3">
                    {data.recentChanges.map((change) => (
                      <li key={change.changeId} className="space-y-1.5 rounded-md border p-3 text-sm">
                        <div className="flex flex-wrap items-center gap-2 text-xs text-muted-foreground">
                          <DateTime value={change.changedAt} />
                          {Object.keys(change.set).length > 0 ? <Badge variant="secondary">set</Badge> : null}
                          {Object.keys(change.setOnce).length > 0 ? <Badge variant="outline">set once</Badge> : null}
                          {change.unset.length > 0 ? <Badge variant="warning">unset</Badge> : null}
                        </div>
                        {Object.keys(change.set).length > 0 ? <JsonView value={change.set} className="max-h-40" /> : null}
                        {Object.keys(change.setOnce).length > 0 ? <JsonView value={change.setOnce} className="max-h-40" /> : null}
                        {change.unset.length > 0 ? <p className="font-mono text-xs">removed: {change.unset.join(", ")}</p> : null}
                      </li>
                    ))}
                  </ol>
                )}
              </CardContent>
            </Card>
          </div>
        )}
      </QueryState>
      <Card>
        <CardHeader className="pb-4">
          <CardTitle>
            <h2>Timeline</h2>
          </CardTitle>
          <CardDescription>This profile&apos;s events, newest first.</CardDescription>
        </CardHeader>
        <CardContent className="space-y-3">
          <QueryState query={timeline} rows={6} isEmpty={() => events.length === 0} empty={<EmptyState title="No events for this profile" />}>
            {() => (
              <>
                <EventsTable events={events} onOpen={setOpenEvent} showProfile={false} />
                {timeline.hasNextPage ? (
                  <div className="flex justify-end">
                    <Button type="button" variant="outline" size="sm" disabled={timeline.isFetchingNextPage} onClick={() => void timeline.fetchNextPage()}>
                      {timeline.isFetchingNextPage ? "Loading…" : "Load more"}
                    </Button>
                  </div>
                ) : null}
              </>
            )}
          </QueryState>
        </CardContent>
      </Card>
      <EventDetailDrawer projectId={projectId} eventId={openEvent} onClose={() => setOpenEvent(null)} />
    </div>
  );
}
