"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "~/trpc/react";

/** The project's webhook endpoints as id → URL, so webhook actions read as URLs; empty until loaded (then they read as ids). */
export function useWebhookEndpointUrls(projectId: string): ReadonlyMap<string, string> {
  const trpc = useTRPC();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions({ projectId }));
  return useMemo(() => new Map((endpoints.data?.endpoints ?? []).map((endpoint) => [endpoint.id, endpoint.url])), [endpoints.data]);
}
