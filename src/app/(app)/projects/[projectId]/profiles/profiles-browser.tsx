"use client";

import { Search } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { DataTable, QueryState } from "~/components/query-state";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { SuggestInput } from "~/components/reports/pickers";
import { usePlanSuggestions } from "~/components/reports/use-tracking-plan";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { useZodForm } from "~/components/use-zod-form";
import { PropsList } from "~/components/props-list";
import { TableCell, TableRow } from "~/components/ui/table";
import { useCursorPages } from "~/components/reports/cursor-pages";
import { useTRPCClient } from "~/trpc/react";

interface Search {
  prefix?: string;
  prop?: { key: string; value: string };
}

const PROP_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$-]{0,63}){0,3}$/;

/** The search form: an id prefix, and a property name with its value (a name is needed once either is filled in). */
const searchForm = z
  .object({ prefix: z.string(), propKey: z.string(), propValue: z.string() })
  .refine(({ propKey, propValue }) => !(propKey.trim() || propValue.trim()) || PROP_KEY.test(propKey.trim()), {
    path: ["propKey"],
    message: "A property name uses letters, digits, _ $ - and dots for nesting, e.g. plan or address.city.",
  })
  .transform(({ prefix, propKey, propValue }): Search => ({
    ...(prefix.trim() ? { prefix: prefix.trim() } : {}),
    ...(propKey.trim() || propValue.trim() ? { prop: { key: propKey.trim(), value: propValue } } : {}),
  }));

export function ProfilesBrowser({ projectId }: { projectId: string }) {
  const client = useTRPCClient();
  const plan = usePlanSuggestions(projectId);
  const form = useZodForm(searchForm, { defaultValues: { prefix: "", propKey: "", propValue: "" } });
  // The property name is typed in a suggesting input, which is controlled.
  const propKey = useWatch({ control: form.control, name: "propKey" });
  const error = form.formState.errors.propKey?.message;
  const [applied, setApplied] = useState<Search>({});
  const list = useCursorPages(["profiles.search", projectId, applied], (cursor: string | null) =>
    client.profiles.search.query({ projectId, ...applied, cursor, limit: 50 }),
  );
  const profiles = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const onSubmit = form.handleSubmit((next) => setApplied(next));

  return (
    <Card>
      <CardHeader className="pb-4">
        <CardTitle>
          <h2>Profiles</h2>
        </CardTitle>
        <CardDescription>The latest state of every profile. Search by id prefix or by one property&apos;s value.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3" aria-label="Profile search">
          <div className="space-y-1.5">
            <Label htmlFor="profiles-prefix">Id starts with</Label>
            <Input id="profiles-prefix" className="w-56" maxLength={256} placeholder="user-" {...form.register("prefix")} />
          </div>
          <div className="space-y-1.5">
            <Label htmlFor="profiles-key">Property</Label>
            <SuggestInput
              id="profiles-key"
              className="w-44"
              placeholder="plan"
              options={plan.profileKeys}
              value={propKey}
              onValueChange={(value) => form.setValue("propKey", value)}
            />
          </div>
          <div className="space-y-1.5">
            <Label htmlFor="profiles-value">equals</Label>
            <Input id="profiles-value" className="w-44" maxLength={2000} placeholder="pro" {...form.register("propValue")} />
          </div>
          <Button type="submit">
            <Search className="h-4 w-4" aria-hidden="true" />
            Search
          </Button>
        </form>
        {error ? (
          <p role="alert" className="text-sm text-destructive">
            {error}
          </p>
        ) : null}
        <QueryState
          query={list}
          rows={8}
          isEmpty={() => profiles.length === 0}
          empty={
            <EmptyState
              title="No profiles match"
              description={
                applied.prefix || applied.prop
                  ? "Try a shorter prefix or another value."
                  : "Profiles appear once events with a profile id or identify calls arrive."
              }
            />
          }
        >
          {() => (
            <>
              <DataTable
                label="Profiles"
                columns={["Profile", "Properties", { header: "Created", className: "w-44" }, { header: "Updated", className: "w-44" }]}
              >
                {profiles.map((profile) => (
                  <TableRow key={profile.profileId} data-testid="profile-row">
                    <TableCell className="max-w-56 truncate font-mono text-xs">
                      <Link
                        href={`/projects/${projectId}/profiles/${encodeURIComponent(profile.profileId)}`}
                        className="text-primary underline-offset-4 hover:underline"
                      >
                        {profile.profileId}
                      </Link>
                    </TableCell>
                    <TableCell className="w-80 min-w-48 max-w-80">
                      <PropsList props={profile.props} label={`Properties of ${profile.profileId}`} />
                    </TableCell>
                    <TableCell className="whitespace-nowrap text-muted-foreground">
                      <DateTime value={profile.createdAt} />
                    </TableCell>
                    <TableCell className="whitespace-nowrap text-muted-foreground">
                      <DateTime value={profile.updatedAt} />
                    </TableCell>
                  </TableRow>
                ))}
              </DataTable>
              <div className="flex items-center justify-between text-xs text-muted-foreground">
                <span>
                  {profiles.length} profile{profiles.length === 1 ? "" : "s"} shown
                </span>
                {list.hasNextPage ? (
                  <Button type="button" variant="outline" size="sm" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                    {list.isFetchingNextPage ? "Loading…" : "Load more"}
                  </Button>
                ) : null}
              </div>
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
