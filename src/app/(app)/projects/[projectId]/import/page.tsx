import type { Metadata } from "next";
import { getProject } from "../project-data";
import { ImportPanel } from "./import-panel";

export const metadata: Metadata = { title: "Import · Prism" };

export default async function ImportPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <ImportPanel projectId={project.id} role={project.role} archived={project.archivedAt !== null} />;
}
