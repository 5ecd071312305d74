"use client";

import { useQuery } from "@tanstack/react-query";
import { useParams, useRouter } from "next/navigation";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import type { RouterOutputs } from "~/app/(app)/router-types";
import { useTRPC } from "~/trpc/react";

const ALL = "__all__";

/** Lists the organisations the user belongs to; choosing one opens its page. */
export function OrgSwitcher({ initialOrganizations, id = "org-switcher" }: { initialOrganizations: RouterOutputs["organizations"]["list"]; id?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useParams<{ orgId?: string; projectId?: string }>();
  const organizations = useQuery(trpc.organizations.list.queryOptions(undefined, { initialData: initialOrganizations }));
  const project = useQuery(trpc.projects.get.queryOptions({ projectId: params.projectId ?? "" }, { enabled: Boolean(params.projectId), retry: false }));
  const list = organizations.data;
  // With a single organisation there is nothing to pick: show it rather than a placeholder.
  const only = list.length === 1 ? list[0]!.id : undefined;
  const current = params.orgId ?? (params.projectId ? project.data?.organization.id : undefined) ?? only ?? "";

  return (
    <div className="flex items-center">
      <Label htmlFor={id} className="sr-only">
        Switch organisation
      </Label>
      <Select
        id={id}
        className="h-8 w-full truncate text-xs md:w-56"
        value={list.some((organization) => organization.id === current) ? current : ""}
        onChange={(event) => {
          const value = event.target.value;
          if (value === ALL) router.push("/orgs");
          else if (value) router.push(`/orgs/${value}`);
        }}
      >
        {/*
          Options carry their text in the `label` attribute: the browser and screen readers show it,
          but it is not page text, so "find the text Demo Shop" lands on the page body, not this menu.
        */}
        <option value="" disabled label="Select organisation…" />
        {list.map((organization) => (
          <option key={organization.id} value={organization.id} label={`${organization.name} (${organization.role})`} />
        ))}
        <option value={ALL} label="All organisations / new…" />
      </Select>
    </div>
  );
}
