import type { Metadata } from "next";
import { getProject } from "../project-data";
import { AlertsPanel } from "./alerts-panel";

export const metadata: Metadata = { title: "Alerts · Prism" };

export default async function AlertsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <AlertsPanel projectId={project.id} role={project.role} />;
}
