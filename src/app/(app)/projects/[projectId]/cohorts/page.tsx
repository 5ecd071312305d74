import type { Metadata } from "next";
import { getProject } from "../project-data";
import { CohortsPanel } from "./cohorts-panel";

export const metadata: Metadata = { title: "Cohorts · Prism" };

export default async function CohortsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <CohortsPanel projectId={project.id} role={project.role} />;
}
