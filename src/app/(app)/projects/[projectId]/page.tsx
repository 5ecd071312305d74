import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { CopyButton } from "~/components/copy-button";
import { KeyNumbers } from "~/components/reports/key-numbers";
import { DateTime } from "~/components/date-time";
import { RoleBadge } from "~/components/role-badge";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { atLeast } from "~/core/roles";
import { getProject } from "./project-data";

export const metadata: Metadata = { title: "Project · Prism" };

async function appOrigin(): Promise<string> {
  const list = await headers();
  const host = list.get("x-forwarded-host") ?? list.get("host") ?? "127.0.0.1:3000";
  const proto = list.get("x-forwarded-proto") ?? (host.startsWith("localhost") || host.startsWith("127.") ? "http" : "https");
  return `${proto}://${host}`;
}

export default async function ProjectOverviewPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const project = await getProject(projectId);
  const origin = await appOrigin();
  const snippet = [
    `curl -X POST ${origin}/api/v1/events \\`,
    `  -H 'X-API-Key: ef_live_…' \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '{"event_name":"signup","profile_id":"user-1","props":{"plan":"pro"}}'`,
  ].join("\n");
  const isAdmin = atLeast(project.role, "admin");

  return (
    <div className="space-y-6">
      <div className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="text-lg font-semibold tracking-tight">Today</h2>
          <div className="flex gap-2">
            <Link href={`/projects/${project.id}/dashboard`} className={buttonVariants({ variant: "outline", size: "sm" })}>
              Open dashboard
            </Link>
            <Link href={`/projects/${project.id}/reports`} className={buttonVariants({ size: "sm" })}>
              New report
            </Link>
          </div>
        </div>
        <KeyNumbers projectId={project.id} />
      </div>
      {/* grid-cols-1 on phones: an implicit column grows to the snippet's longest line and widens the page. */}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Card>
          <CardHeader>
            <CardTitle>
              <h2>Project details</h2>
            </CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-6 gap-y-3 text-sm">
              <dt className="text-muted-foreground">Name</dt>
              <dd className="font-medium">{project.name}</dd>
              <dt className="text-muted-foreground">Project id</dt>
              <dd className="flex items-center gap-2">
                <code data-testid="project-id" className="break-all rounded bg-muted px-1.5 py-0.5 text-xs">
                  {project.id}
                </code>
                <CopyButton text={project.id} label="Copy id" variant="ghost" className="h-7" />
              </dd>
              <dt className="text-muted-foreground">Organisation</dt>
              <dd>
                <Link href={`/orgs/${project.organization.id}`} className="text-primary underline-offset-4 hover:underline">
                  {project.organization.name}
                </Link>
              </dd>
              <dt className="text-muted-foreground">Time zone</dt>
              <dd>{project.timezone}</dd>
              <dt className="text-muted-foreground">Plan enforcement</dt>
              <dd>{project.planEnforcement === "enforce" ? "Enforce (off-plan events are refused)" : "Observe (off-plan events are accepted and flagged)"}</dd>
              <dt className="text-muted-foreground">Created</dt>
              <dd>
                <DateTime value={project.createdAt} />
              </dd>
              <dt className="text-muted-foreground">Your role</dt>
              <dd>
                <RoleBadge role={project.role} />
              </dd>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>
              <h2>Quick start</h2>
            </CardTitle>
            <CardDescription>Send your first event in two steps.</CardDescription>
          </CardHeader>
          <CardContent className="space-y-5 text-sm">
            <div className="space-y-2">
              <p className="font-medium">1. Create an API key</p>
              <p className="text-muted-foreground">
                {isAdmin
                  ? "Keys identify the project when you send events. The secret is shown only once."
                  : "Ask an admin of the organisation for an API key of this project."}
              </p>
              {isAdmin ? (
                <Link href={`/projects/${project.id}/keys`} className={buttonVariants({ variant: "outline", size: "sm" })}>
                  Create a key
                </Link>
              ) : null}
            </div>
            <div className="space-y-2">
              <div className="flex items-center justify-between">
                <p className="font-medium">2. Send an event</p>
                <CopyButton text={snippet} label="Copy snippet" />
              </div>
              <p className="text-muted-foreground">Replace the key with yours. Events appear within seconds.</p>
              <pre data-testid="quick-start-snippet" className="overflow-x-auto rounded-md bg-zinc-950 p-4 text-xs leading-relaxed text-zinc-100">
                <code>{snippet}</code>
              </pre>
            </div>
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
