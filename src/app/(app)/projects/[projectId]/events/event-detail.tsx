"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DateTime } from "~/components/date-time";
import { QueryState } from "~/components/query-state";
import { JsonView } from "~/components/reports/json-view";
import { Badge } from "~/components/ui/badge";
import { Dialog } from "~/components/ui/dialog";
import { useTRPC } from "~/trpc/react";

/** A side panel with everything stored for one event: props, request context, the profile as it was. */
export function EventDetailDrawer({ projectId, eventId, onClose }: { projectId: string; eventId: string | null; onClose: () => void }) {
  return (
    <Dialog
      open={eventId !== null}
      onOpenChange={(open) => !open && onClose()}
      title="Event"
      description={eventId ? <code className="text-xs">{eventId}</code> : undefined}
      className="m-0 ml-auto h-dvh max-h-none w-full max-w-xl overflow-y-auto rounded-none border-y-0 border-r-0"
    >
      {eventId ? <EventDetailBody projectId={projectId} eventId={eventId} /> : null}
    </Dialog>
  );
}

function EventDetailBody({ projectId, eventId }: { projectId: string; eventId: string }) {
  const trpc = useTRPC();
  const event = useQuery(trpc.events.get.queryOptions({ projectId, eventId }, { staleTime: Infinity }));
  return (
    <QueryState query={event} rows={6}>
      {(data) => (
        <div className="space-y-5 text-sm" data-testid="event-detail">
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2">
            <dt className="text-muted-foreground">Event</dt>
            <dd className="font-medium">{data.eventName}</dd>
            <dt className="text-muted-foreground">Profile</dt>
            <dd>
              {data.profileId ? (
                <Link
                  href={`/projects/${projectId}/profiles/${encodeURIComponent(data.profileId)}`}
                  className="text-primary underline-offset-4 hover:underline"
                >
                  {data.profileId}
                </Link>
              ) : (
                <span className="text-muted-foreground">anonymous</span>
              )}
            </dd>
            <dt className="text-muted-foreground">Happened</dt>
            <dd>
              <DateTime value={data.ts} />
            </dd>
            <dt className="text-muted-foreground">Received</dt>
            <dd>
              <DateTime value={data.receivedAt} />
            </dd>
            <dt className="text-muted-foreground">Device</dt>
            <dd>{[data.browser, data.os, data.deviceType, data.country].filter(Boolean).join(" · ") || "—"}</dd>
          </dl>
          {data.violations && data.violations.length > 0 ? (
            <section className="space-y-2">
              <h3 className="flex items-center gap-2 font-medium">
                Tracking plan <Badge variant="warning">{data.violations.length} violation(s)</Badge>
              </h3>
              <JsonView value={data.violations} label="Violations" />
            </section>
          ) : null}
          <section className="space-y-2">
            <h3 className="font-medium">Properties</h3>
            <JsonView value={data.props} label="Properties" />
          </section>
          <section className="space-y-2">
            <h3 className="font-medium">Context</h3>
            <JsonView value={data.ctx} label="Context" />
          </section>
          <section className="space-y-2">
            <h3 className="font-medium">Profile properties at the time</h3>
            <JsonView value={data.profileProps} label="Profile properties" />
          </section>
        </div>
      )}
    </QueryState>
  );
}
