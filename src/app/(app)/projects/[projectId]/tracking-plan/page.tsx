import type { Metadata } from "next";
import { getProject } from "../project-data";
import { TrackingPlanPanel } from "./tracking-plan-panel";

export const metadata: Metadata = { title: "Tracking plan · Prism" };

export default async function TrackingPlanPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <TrackingPlanPanel projectId={project.id} role={project.role} planEnforcement={project.planEnforcement} />;
}
