import type { Metadata } from "next";
import { getProject } from "../project-data";
import { DeadLettersPanel } from "./dead-letters-panel";

export const metadata: Metadata = { title: "Dead letters · Prism" };

export default async function DeadLettersPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <DeadLettersPanel projectId={project.id} role={project.role} />;
}
