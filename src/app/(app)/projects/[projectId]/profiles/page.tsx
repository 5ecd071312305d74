import type { Metadata } from "next";
import { getProject } from "../project-data";
import { ProfilesBrowser } from "./profiles-browser";

export const metadata: Metadata = { title: "Profiles · Prism" };

export default async function ProfilesPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <ProfilesBrowser projectId={project.id} />;
}
