import type { Metadata } from "next";
import { getProject } from "../project-data";
import { WebhooksPanel } from "./webhooks-panel";

export const metadata: Metadata = { title: "Webhooks · Prism" };

export default async function WebhooksPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <WebhooksPanel projectId={project.id} role={project.role} />;
}
