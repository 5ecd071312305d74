"use client";

import { useQuery } from "@tanstack/react-query";
import { QueryState } from "~/components/query-state";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { Card, CardContent, CardHeader } from "~/components/ui/card";
import { SkeletonRows } from "~/components/ui/skeleton";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";
import { AttributesSection } from "./attributes-section";
import { EventTypesSection } from "./event-types-section";

/** The project's tracking plan: event types with their fields, and custom attributes. */
export function TrackingPlanPanel({ projectId, role, planEnforcement }: { projectId: string; role: RoleName; planEnforcement: string }) {
  const trpc = useTRPC();
  const plan = useQuery(trpc.trackingPlan.get.queryOptions({ projectId }));
  const canEdit = atLeast(role, "admin");

  return (
    <QueryState
      query={plan}
      loading={
        <Card>
          <CardHeader>
            <div className="h-5" />
          </CardHeader>
          <CardContent>
            <SkeletonRows rows={4} />
          </CardContent>
        </Card>
      }
    >
      {(data) => (
        <div className="space-y-6">
          <Alert variant="info">
            <AlertDescription>
              {planEnforcement === "enforce"
                ? "Plan enforcement is on: events that break this plan are refused at ingest."
                : "Plan enforcement is in observe mode: events that break this plan are accepted and flagged."}{" "}
              {canEdit ? "Change it in Settings." : "Only admins can edit the tracking plan."}
            </AlertDescription>
          </Alert>
          <EventTypesSection projectId={projectId} eventTypes={data.eventTypes} canEdit={canEdit} />
          <AttributesSection projectId={projectId} attributes={data.attributes} maxCustomAttributes={data.maxCustomAttributes} canEdit={canEdit} />
        </div>
      )}
    </QueryState>
  );
}
