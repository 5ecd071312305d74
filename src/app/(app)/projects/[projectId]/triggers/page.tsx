import type { Metadata } from "next";
import { getProject } from "../project-data";
import { TriggersPanel } from "./triggers-panel";

export const metadata: Metadata = { title: "Triggers · Prism" };

export default async function TriggersPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <TriggersPanel projectId={project.id} role={project.role} />;
}
