"use client";

import { DateTime } from "~/components/date-time";
import { PropsList } from "~/components/props-list";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "~/components/ui/table";
import type { EventRow } from "~/core/reports";
import { cn } from "~/lib/utils";

const none = <span className="text-muted-foreground">—</span>;

/** Events as rows; a click opens the detail panel. Rows in `fresh` are highlighted for a moment. */
export function EventsTable({
  events,
  onOpen,
  fresh = new Set(),
  showProfile = true,
}: {
  events: EventRow[];
  onOpen: (eventId: string) => void;
  fresh?: ReadonlySet<string>;
  showProfile?: boolean;
}) {
  return (
    <Table aria-label="Events">
      <TableHeader>
        <TableRow>
          <TableHead className="w-44">Time</TableHead>
          <TableHead>Event</TableHead>
          {showProfile ? <TableHead>Profile</TableHead> : null}
          <TableHead>Device</TableHead>
          <TableHead>OS</TableHead>
          <TableHead>Properties</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {events.map((event) => (
          <TableRow
            key={event.eventId}
            data-testid="event-row"
            data-fresh={fresh.has(event.eventId) ? "true" : undefined}
            tabIndex={0}
            className={cn("cursor-pointer transition-colors duration-1000", fresh.has(event.eventId) && "bg-primary/10")}
            onClick={() => onOpen(event.eventId)}
            onKeyDown={(key) => {
              if (key.key === "Enter" || key.key === " ") {
                key.preventDefault();
                onOpen(event.eventId);
              }
            }}
          >
            <TableCell className="whitespace-nowrap text-muted-foreground">
              <DateTime value={event.ts} />
            </TableCell>
            <TableCell className="font-medium" data-testid="event-name">
              {event.eventName}
            </TableCell>
            {showProfile ? (
              <TableCell className="max-w-40 truncate font-mono text-xs" title={event.profileId ?? undefined}>
                {event.profileId ?? <span className="text-muted-foreground">—</span>}
              </TableCell>
            ) : null}
            <TableCell className="whitespace-nowrap text-xs capitalize" data-testid="event-device">
              {event.deviceType ?? none}
            </TableCell>
            <TableCell className="whitespace-nowrap text-xs" data-testid="event-os">
              {event.os ?? none}
              {event.browser ? <span className="block text-muted-foreground">{event.browser}</span> : null}
            </TableCell>
            <TableCell className="w-72 min-w-48 max-w-72 align-top">
              <PropsList props={event.props} label={`Properties of ${event.eventName}`} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
