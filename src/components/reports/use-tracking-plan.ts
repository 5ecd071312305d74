"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { BUILTIN_FIELDS } from "~/core/reports";
import { useTRPC } from "~/trpc/react";

/** Request context keys the ingest edge stamps on every event. */
const CONTEXT_FIELDS = ["ctx.country", "ctx.locale", "ctx.ip", "ctx.app_version", "ctx.source_format", "ctx.session_id"];

export interface PlanSuggestions {
  /** Planned event names, sorted. */
  eventNames: string[];
  /** Report fields: built-in columns, planned event fields and attributes (props.*), profile attributes (profile.*), context (ctx.*). */
  fields: string[];
  /** Profile attribute names without the prefix, for the profile search. */
  profileKeys: string[];
}

/** Names for the pickers, from the tracking plan; people may still type names the plan does not know. */
export function usePlanSuggestions(projectId: string): PlanSuggestions {
  const trpc = useTRPC();
  const plan = useQuery(trpc.trackingPlan.get.queryOptions({ projectId }, { staleTime: 60_000 }));
  return useMemo(() => {
    const eventTypes = plan.data?.eventTypes ?? [];
    const attributes = plan.data?.attributes ?? [];
    const props = new Set<string>();
    for (const eventType of eventTypes) for (const field of eventType.fields) props.add(`props.${field.name}`);
    for (const attribute of attributes) if (attribute.entity === "event") props.add(`props.${attribute.name}`);
    const profileKeys = attributes.filter((attribute) => attribute.entity === "profile").map((attribute) => attribute.name);
    return {
      eventNames: eventTypes.map((eventType) => eventType.name).sort(),
      fields: [...BUILTIN_FIELDS, ...[...props].sort(), ...profileKeys.map((key) => `profile.${key}`).sort(), ...CONTEXT_FIELDS],
      profileKeys: profileKeys.sort(),
    };
  }, [plan.data]);
}
