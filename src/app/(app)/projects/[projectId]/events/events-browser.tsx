"use client";

import { Radio, Search } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { EmptyState } from "~/components/empty-state";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { QueryState } from "~/components/query-state";
import { ExportButtons } from "~/components/reports/export-buttons";
import { FiltersEditor, SuggestInput } from "~/components/reports/pickers";
import { filtersFromDrafts, RANGE_PRESET_LABELS, resolveRange, type FilterDraft, type RangePreset } from "~/components/reports/report-model";
import { usePlanSuggestions } from "~/components/reports/use-tracking-plan";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { useZodForm } from "~/components/use-zod-form";
import type { EventFilter, EventRow } from "~/core/reports";
import { cn } from "~/lib/utils";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { useTRPCClient } from "~/trpc/react";
import { EventDetailDrawer } from "./event-detail";
import { EventsTable } from "./events-table";

const POLL_MS = 2000;
const TAIL_PAGE = 200;
/**
 * Events land in storage from several partitions, not in arrival-stamp order, so a row stamped
 * just before the newest one seen can still appear a moment later. Each poll therefore looks back
 * this far again (rows already shown are skipped by id); a full page moves on without looking back.
 */
const TAIL_OVERLAP_MS = 15_000;

function laggingCursor(cursor: { receivedAt: string; eventId: string } | null): { receivedAt: string; eventId: string } | null {
  if (!cursor) return null;
  // "0" sorts before every event id, so the whole overlap second is read again.
  return { receivedAt: new Date(Date.parse(cursor.receivedAt) - TAIL_OVERLAP_MS).toISOString(), eventId: "0" };
}
const FRESH_MS = 4000;
type BrowseRange = Exclude<RangePreset, "custom"> | "all";

interface FilterForm {
  range: BrowseRange;
  events: string;
  profileId: string;
  filters: FilterDraft[];
}

function filterOf(form: FilterForm, timezone: string): { filter: EventFilter } | { error: string } {
  const filters = filtersFromDrafts(form.filters);
  if ("error" in filters) return filters;
  const filter: EventFilter = {
    events: form.events
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean),
    filters: filters.filters,
  };
  if (form.profileId.trim()) filter.profileId = form.profileId.trim();
  if (form.range !== "all") {
    const range = resolveRange({ preset: form.range }, timezone);
    if ("error" in range) return range;
    filter.range = range;
  }
  return { filter };
}

/** The filter form's schema: its drafts become the filter, the range resolved when it is applied. */
function filterFormSchema(timezone: string) {
  return z.custom<FilterForm>().transform((form, ctx) => {
    const result = filterOf(form, timezone);
    if ("filter" in result) return result.filter;
    ctx.addIssue({ code: "custom", path: ["root"], message: result.error });
    return z.NEVER;
  });
}

/** What the live tail can check itself: it sees every new event, so names and profile are matched here. */
function matchesLive(event: EventRow, filter: EventFilter): boolean {
  if (filter.events && filter.events.length > 0 && !filter.events.includes(event.eventName)) return false;
  if (filter.profileId && event.profileId !== filter.profileId) return false;
  return true;
}

export function EventsBrowser({ projectId, timezone }: { projectId: string; timezone: string }) {
  const client = useTRPCClient();
  const plan = usePlanSuggestions(projectId);
  const schema = useMemo(() => filterFormSchema(timezone), [timezone]);
  const form = useZodForm(schema, { defaultValues: { range: "all", events: "", profileId: "", filters: [] } });
  // The event names and property filters are edited by controlled pickers.
  const [events, filters] = useWatch({ control: form.control, name: ["events", "filters"] });
  const formError = form.formState.errors.root?.message;
  const [applied, setApplied] = useState<EventFilter>({ events: [], filters: [] });
  const [openEvent, setOpenEvent] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [liveEvents, setLiveEvents] = useState<EventRow[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());

  const list = useCursorPages(["events.list", projectId, applied], (cursor: { ts: string; eventId: string } | null) =>
    client.events.list.query({ projectId, filter: applied, cursor, limit: 50 }),
  );
  const listed = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const known = useRef(new Set<string>());
  useEffect(() => {
    known.current = new Set([...listed, ...liveEvents].map((event) => event.eventId));
  }, [listed, liveEvents]);

  useEffect(() => {
    if (!live) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cursor: { receivedAt: string; eventId: string } | null = null;
    const poll = async () => {
      try {
        const limit = cursor ? TAIL_PAGE : 50;
        const answer = await client.events.tail.query({ projectId, after: cursor, limit });
        if (cancelled) return;
        cursor = answer.events.length === limit ? answer.cursor : laggingCursor(answer.cursor);
        const added = answer.events.filter((event) => !known.current.has(event.eventId) && matchesLive(event, applied));
        if (added.length > 0) {
          for (const event of added) known.current.add(event.eventId);
          // One poll's events arrive together; newest first by event time, like the list below.
          const newestFirst = [...added].sort((a, b) => b.ts.localeCompare(a.ts) || b.eventId.localeCompare(a.eventId));
          setLiveEvents((previous) => [...newestFirst, ...previous].slice(0, 500));
          const ids = added.map((event) => event.eventId);
          setFresh((previous) => new Set([...previous, ...ids]));
          setTimeout(() => setFresh((previous) => new Set([...previous].filter((id) => !ids.includes(id)))), FRESH_MS);
        }
        setLiveError(null);
      } catch (error) {
        if (!cancelled) setLiveError(errorMessage(error) ?? "The live tail stopped; it retries every few seconds.");
      }
      if (!cancelled) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [live, client, projectId, applied]);

  const onSubmit = form.handleSubmit((filter) => {
    setLiveEvents([]);
    setApplied(filter);
  });

  const shown = [...liveEvents, ...listed];
  const hasPropertyFilters = (applied.filters?.length ?? 0) > 0 || applied.range !== undefined;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader className="pb-4">
          <CardTitle>
            <h2>Events</h2>
          </CardTitle>
          <CardDescription>Newest first. Click an event for its properties, context and the profile as it was.</CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} className="space-y-4" aria-label="Event filters">
            <div className="flex flex-wrap items-end gap-3">
              <div className="space-y-1.5">
                <Label htmlFor="events-range">When</Label>
                <Select id="events-range" className="w-36" {...form.register("range")}>
                  <option value="all">Any time</option>
                  {(["today", "7d", "30d", "90d"] as const).map((preset) => (
                    <option key={preset} value={preset}>
                      {preset === "today" ? "Today" : `Last ${RANGE_PRESET_LABELS[preset]}`}
                    </option>
                  ))}
                </Select>
              </div>
              <div className="space-y-1.5">
                <Label htmlFor="events-names">Event names</Label>
                <SuggestInput
                  id="events-names"
                  className="w-60"
                  placeholder="All (comma-separated)"
                  options={plan.eventNames}
                  value={events}
                  onValueChange={(value) => form.setValue("events", value)}
                />
              </div>
              <div className="space-y-1.5">
                <Label htmlFor="events-profile">Profile id</Label>
                <Input id="events-profile" className="w-52" maxLength={256} placeholder="Any profile" {...form.register("profileId")} />
              </div>
              <Button type="submit">
                <Search className="h-4 w-4" aria-hidden="true" />
                Apply
              </Button>
            </div>
            <FiltersEditor value={filters} onChange={(value) => form.setValue("filters", value)} fields={plan.fields} />
            {formError ? (
              <p role="alert" className="text-sm text-destructive">
                {formError}
              </p>
            ) : null}
          </form>
        </CardContent>
      </Card>

      <Card>
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-3 space-y-0 pb-4">
          <div className="flex items-center gap-3">
            <Button
              type="button"
              variant={live ? "default" : "outline"}
              size="sm"
              aria-pressed={live}
              onClick={() => {
                setLive(!live);
                setLiveError(null);
              }}
            >
              <Radio className={cn("h-3.5 w-3.5", live && "animate-pulse")} aria-hidden="true" />
              {live ? "Live: on" : "Live"}
            </Button>
            <span className="text-xs text-muted-foreground">
              {live
                ? hasPropertyFilters
                  ? "New events appear on top every 2 s (matched by name and profile; other filters apply to the list below)."
                  : "New events appear on top every 2 s."
                : "Turn on Live to see events as they arrive."}
            </span>
          </div>
          <ExportButtons projectId={projectId} source={{ kind: "events", filter: applied }} />
        </CardHeader>
        <CardContent className="space-y-3">
          {liveError ? <Alert variant="warning">{liveError}</Alert> : null}
          <QueryState
            query={list}
            rows={8}
            isEmpty={() => shown.length === 0}
            empty={
              <EmptyState
                title="No events match"
                description={
                  applied.events?.length || applied.filters?.length || applied.profileId || applied.range
                    ? "Loosen the filters, or turn on Live and send an event."
                    : "Send an event with an API key (see the project overview) and it shows up here within seconds."
                }
              />
            }
          >
            {() => (
              <>
                <EventsTable events={shown} onOpen={setOpenEvent} fresh={fresh} />
                <div className="flex items-center justify-between pt-2 text-xs text-muted-foreground">
                  <span>
                    {shown.length} event{shown.length === 1 ? "" : "s"} shown
                  </span>
                  {list.hasNextPage ? (
                    <Button type="button" variant="outline" size="sm" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                      {list.isFetchingNextPage ? "Loading…" : "Load more"}
                    </Button>
                  ) : (
                    <span>That is all.</span>
                  )}
                </div>
              </>
            )}
          </QueryState>
        </CardContent>
      </Card>
      <EventDetailDrawer projectId={projectId} eventId={openEvent} onClose={() => setOpenEvent(null)} />
    </div>
  );
}
