import { ArrowRight, FolderOpen } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "~/components/empty-state";
import { PageHeader } from "~/components/page-header";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { atLeast } from "~/core/roles";
import { api } from "~/trpc/server";

export const metadata: Metadata = { title: "Projects · Prism" };

export default async function ProjectsPage() {
  const caller = await api();
  const [projects, organizations] = await Promise.all([caller.projects.list(), caller.organizations.list()]);
  // Where "New project" leads: the first organisation the user may create projects in.
  const creatable = organizations.find((organization) => atLeast(organization.role, "admin"));
  const newProjectHref = creatable ? `/orgs/${creatable.id}?new=project#projects` : "/orgs";

  return (
    <section className="space-y-6">
      <PageHeader
        title="Projects"
        description="Every project you can see, across your organisations."
        actions={
          projects.length > 0 && creatable ? (
            <Link href={newProjectHref} className={buttonVariants({ variant: "outline" })}>
              New project
            </Link>
          ) : null
        }
      />
      {projects.length === 0 ? (
        <EmptyState
          title="No projects yet"
          description={
            creatable
              ? `Create a project in ${creatable.name} to get an API key and start sending events.`
              : "You are not an admin of any organisation. Ask an admin to create a project, or create your own organisation."
          }
          action={
            <Link href={newProjectHref} className={buttonVariants()}>
              {creatable ? "Create a project" : "Go to organisations"}
            </Link>
          }
        />
      ) : (
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {projects.map((project) => (
            <li key={project.id} className="min-w-0">
              <Link href={`/projects/${project.id}`} className="group block rounded-lg focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
                <Card className="h-full transition-colors group-hover:border-primary/50">
                  <CardHeader>
                    <CardTitle className="flex items-center justify-between gap-2">
                      <span className="flex min-w-0 items-center gap-2">
                        <FolderOpen className="h-4 w-4 shrink-0 text-muted-foreground" aria-hidden="true" />
                        <span className="truncate">{project.name}</span>
                      </span>
                      <ArrowRight className="h-4 w-4 shrink-0 text-muted-foreground opacity-0 transition-opacity group-hover:opacity-100" aria-hidden="true" />
                    </CardTitle>
                    <CardDescription>
                      {project.organization.name} · <code>{project.id}</code> · {project.timezone}
                    </CardDescription>
                  </CardHeader>
                </Card>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
