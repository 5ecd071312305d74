import type { Metadata } from "next";
import { getProject } from "../project-data";
import { EventsBrowser } from "./events-browser";

export const metadata: Metadata = { title: "Events · Prism" };

export default async function EventsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return <EventsBrowser projectId={project.id} timezone={project.timezone} />;
}
