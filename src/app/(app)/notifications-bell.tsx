"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bell } from "lucide-react";
import { useParams } from "next/navigation";
import { useCallback, useRef, useState } from "react";
import { useDismiss } from "~/components/use-dismiss";
import { DateTime } from "~/components/date-time";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";

/** The in-app notifications of the project in view; hidden outside a project. */
export function NotificationsBell() {
  const params = useParams<{ projectId?: string }>();
  if (!params.projectId) return null;
  return <ProjectNotifications key={params.projectId} projectId={params.projectId} />;
}

function ProjectNotifications({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  // Polled so a trigger's notification shows up within seconds, without a reload.
  const notifications = useQuery(trpc.notifications.list.queryOptions({ projectId, limit: 20 }, { refetchInterval: 10_000, retry: false }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.notifications.list.queryKey({ projectId, limit: 20 }) });
  const markAllRead = useMutation(trpc.notifications.markAllRead.mutationOptions({ onSuccess: refresh }));
  const markRead = useMutation(trpc.notifications.markRead.mutationOptions({ onSuccess: refresh }));

  const close = useCallback(() => setOpen(false), []);
  useDismiss(container, open, close);

  if (notifications.isError) return null;
  const unread = notifications.data?.unread ?? 0;
  const items = notifications.data?.items ?? [];

  return (
    <div ref={container} className="relative">
      <Button
        variant="ghost"
        size="icon"
        aria-expanded={open}
        aria-haspopup="true"
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen((value) => !value)}
        className="relative"
      >
        <Bell className="h-4 w-4" aria-hidden="true" />
        {unread > 0 ? (
          <span
            data-testid="unread-count"
            className="absolute -right-0.5 -top-0.5 flex h-4 min-w-4 items-center justify-center rounded-full bg-primary px-1 text-[10px] font-semibold text-primary-foreground"
          >
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </Button>
      {open ? (
        <div
          role="region"
          aria-label="Notifications"
          // On a phone the panel spans the screen under the header; anchored to the bell it would run off the left edge.
          className="fixed inset-x-2 top-14 z-40 rounded-lg border bg-background text-foreground shadow-lg sm:absolute sm:inset-x-auto sm:right-0 sm:top-11 sm:w-80"
        >
          <div className="flex items-center justify-between border-b px-4 py-2">
            <p className="text-sm font-medium">Notifications</p>
            <Button
              variant="link"
              size="sm"
              className="h-auto px-0"
              disabled={unread === 0 || markAllRead.isPending}
              onClick={() => markAllRead.mutate({ projectId })}
            >
              {markAllRead.isPending ? "Marking…" : "Mark all as read"}
            </Button>
          </div>
          {markAllRead.error || markRead.error ? (
            <p role="alert" className="border-b px-4 py-2 text-xs text-destructive">
              {errorMessage(markAllRead.error ?? markRead.error)}
            </p>
          ) : null}
          {notifications.isPending ? (
            <p className="px-4 py-6 text-center text-sm text-muted-foreground">Loading…</p>
          ) : items.length === 0 ? (
            <p className="px-4 py-6 text-center text-sm text-muted-foreground">No notifications yet. Triggers with a notification action post here.</p>
          ) : (
            <ul className="max-h-96 divide-y overflow-y-auto">
              {items.map((item) => (
                <li key={item.id} data-testid="notification" data-unread={!item.readAt} className={cn("space-y-1 px-4 py-3", !item.readAt && "bg-primary/5")}>
                  <div className="flex items-start justify-between gap-2">
                    <p className="flex min-w-0 items-center gap-2 break-words text-sm font-medium">
                      {!item.readAt ? <span className="h-2 w-2 shrink-0 rounded-full bg-primary" aria-label="Unread" /> : null}
                      {item.title}
                    </p>
                    {!item.readAt ? (
                      <Button
                        variant="link"
                        size="sm"
                        className="h-auto shrink-0 px-0 text-xs"
                        aria-label={`Mark “${item.title}” as read`}
                        disabled={markRead.isPending && markRead.variables.notificationId === item.id}
                        onClick={() => markRead.mutate({ projectId, notificationId: item.id })}
                      >
                        Mark read
                      </Button>
                    ) : null}
                  </div>
                  {item.body ? <p className="whitespace-pre-wrap break-words text-sm text-muted-foreground">{item.body}</p> : null}
                  <p className="text-xs text-muted-foreground">
                    <DateTime value={item.createdAt} />
                  </p>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}
