import type { Metadata } from "next";
import { getProject } from "../project-data";
import { DashboardPanel } from "./dashboard-panel";

export const metadata: Metadata = { title: "Dashboard · Prism" };

export default async function DashboardPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <DashboardPanel projectId={project.id} timezone={project.timezone} role={project.role} />;
}
