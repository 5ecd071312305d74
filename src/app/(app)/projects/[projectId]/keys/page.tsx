import type { Metadata } from "next";
import { getProject } from "../project-data";
import { ApiKeysPanel } from "./api-keys-panel";

export const metadata: Metadata = { title: "API keys · Prism" };

export default async function ApiKeysPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <ApiKeysPanel projectId={project.id} role={project.role} />;
}
