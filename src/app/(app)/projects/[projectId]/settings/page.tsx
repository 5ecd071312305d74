import type { Metadata } from "next";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { atLeast } from "~/core/roles";
import { getProject } from "../project-data";
import { ProjectDangerZone } from "./project-danger-zone";
import { ProfileDeletionsAudit } from "./profile-deletions-audit";
import { ProjectSettingsForm } from "./project-settings-form";
import { RenameProjectForm } from "./rename-project-form";

export const metadata: Metadata = { title: "Project settings · Prism" };

export default async function ProjectSettingsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  const canEdit = atLeast(project.role, "admin");
  return (
    <div className="space-y-6">
      {!canEdit ? (
        <Alert variant="info">
          <AlertDescription>You can view these settings; changing them needs the admin role.</AlertDescription>
        </Alert>
      ) : null}
      <RenameProjectForm projectId={project.id} name={project.name} canEdit={canEdit} />
      <ProjectSettingsForm
        projectId={project.id}
        canEdit={canEdit}
        settings={{
          timezone: project.timezone,
          dataRetentionDays: project.dataRetentionDays,
          maxCustomAttributes: project.maxCustomAttributes,
          allowedEventNames: project.allowedEventNames,
          planEnforcement: project.planEnforcement,
          rateLimitPerSecond: project.rateLimitPerSecond,
        }}
      />
      {canEdit ? <ProfileDeletionsAudit projectId={project.id} /> : null}
      {canEdit ? <ProjectDangerZone projectId={project.id} orgId={project.organization.id} name={project.name} archived={project.archivedAt !== null} /> : null}
    </div>
  );
}
