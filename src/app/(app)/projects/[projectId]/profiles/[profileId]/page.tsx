import type { Metadata } from "next";
import { atLeast } from "~/core/roles";
import { getProject } from "../../project-data";
import { ProfileDetail } from "./profile-detail";

export const metadata: Metadata = { title: "Profile · Prism" };

/** Next may hand the segment over still percent-encoded; an id with a stray "%" is used as it is. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export default async function ProfilePage({ params }: { params: Promise<{ projectId: string; profileId: string }> }) {
  const { projectId, profileId } = await params;
  const project = await getProject(projectId);
  return <ProfileDetail projectId={project.id} profileId={decodeSegment(profileId).slice(0, 256)} canDelete={atLeast(project.role, "admin")} />;
}
