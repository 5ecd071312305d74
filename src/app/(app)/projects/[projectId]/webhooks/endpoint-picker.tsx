"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Select } from "~/components/ui/select";
import { useTRPC } from "~/trpc/react";

interface WebhookEndpointPickerProps {
  id: string;
  value: string;
  onChange: (endpointId: string) => void;
  "aria-invalid"?: boolean | undefined;
  "aria-describedby"?: string | undefined;
}

/** Picks one of the project's webhook endpoints for a trigger's webhook action; the project comes from the URL. */
export function WebhookEndpointPicker({ id, value, onChange, ...aria }: WebhookEndpointPickerProps) {
  const trpc = useTRPC();
  const { projectId } = useParams<{ projectId: string }>();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions({ projectId }));
  const list = endpoints.data?.endpoints ?? [];
  const known = list.some((endpoint) => endpoint.id === value);
  return (
    <div className="space-y-1.5">
      <Select id={id} value={value} disabled={endpoints.isPending} onChange={(event) => onChange(event.target.value)} {...aria}>
        <option value="">{endpoints.isPending ? "Loading endpoints…" : "Choose an endpoint…"}</option>
        {list.map((endpoint) => (
          <option key={endpoint.id} value={endpoint.id}>
            {endpoint.url}
            {endpoint.description ? ` — ${endpoint.description}` : ""}
            {endpoint.enabled ? "" : " (disabled)"}
          </option>
        ))}
        {value && !known && !endpoints.isPending ? <option value={value}>Deleted endpoint ({value})</option> : null}
      </Select>
      {endpoints.isError ? <p className="text-xs text-destructive">Could not load the project&apos;s webhook endpoints.</p> : null}
      {!endpoints.isPending && list.length === 0 ? (
        <p className="text-xs text-muted-foreground">
          This project has no webhook endpoints yet.{" "}
          <Link className="underline underline-offset-4" href={`/projects/${projectId}/webhooks`}>
            Add one on the Webhooks page
          </Link>
          .
        </p>
      ) : null}
    </div>
  );
}
