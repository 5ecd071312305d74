import type { ReactNode } from "react";
import { RoleBadge } from "~/components/role-badge";
import { Badge } from "~/components/ui/badge";
import { atLeast } from "~/core/roles";
import { ArchivedBanner } from "./archived-banner";
import { getProject } from "./project-data";
import { ProjectBreadcrumb, ProjectTabs } from "./project-tabs";

export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <ProjectBreadcrumb projectId={project.id} projectName={project.name} orgId={project.organization.id} orgName={project.organization.name} />
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="min-w-0 break-words text-2xl font-semibold tracking-tight">{project.name}</h1>
          {project.archivedAt ? <Badge variant="warning">Archived</Badge> : null}
          <RoleBadge role={project.role} />
        </div>
      </div>
      {project.archivedAt ? <ArchivedBanner projectId={project.id} canUnarchive={atLeast(project.role, "admin")} /> : null}
      <ProjectTabs projectId={project.id} />
      <div>{children}</div>
    </div>
  );
}
