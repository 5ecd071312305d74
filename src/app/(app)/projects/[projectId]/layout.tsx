import Link from "next/link";
import type { ReactNode } from "react";
import { RoleBadge } from "~/components/role-badge";
import { Badge } from "~/components/ui/badge";
import { atLeast } from "~/domain/roles";
import { ArchivedBanner } from "./archived-banner";
import { getProject } from "./project-data";
import { ProjectTabs } from "./project-tabs";

export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <p className="text-sm text-muted-foreground">
          <Link href={`/orgs/${project.organization.id}`} className="underline-offset-4 hover:text-foreground hover:underline">
            {project.organization.name}
          </Link>{" "}
          / project
        </p>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold tracking-tight">{project.name}</h1>
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
