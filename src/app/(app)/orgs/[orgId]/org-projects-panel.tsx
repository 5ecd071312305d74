"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { z } from "zod";
import { DateTime } from "~/components/date-time";
import { EmptyState } from "~/components/empty-state";
import { errorMessage, errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { DataTable, QueryState } from "~/components/query-state";
import { TimezoneInput } from "~/components/timezone-input";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Table, TableBody, TableCell, TableRow } from "~/components/ui/table";
import { useZodForm } from "~/components/use-zod-form";
import { projectNameSchema, projectSettingsSchema } from "~/core/projects";
import { atLeast, type RoleName } from "~/core/roles";
import { useTRPC } from "~/trpc/react";

const newProjectInput = z.strictObject({ name: projectNameSchema, timezone: projectSettingsSchema.shape.timezone.optional() });

export function OrgProjectsPanel({ orgId, role, startCreating = false }: { orgId: string; role: RoleName; startCreating?: boolean }) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.listForOrg.queryOptions({ orgId }));
  const isAdmin = atLeast(role, "admin");
  const [creating, setCreating] = useState(startCreating && isAdmin);
  const archived = projects.data?.filter((project) => project.archivedAt !== null) ?? [];

  return (
    <Card id="projects">
      <CardHeader className="flex-row items-start justify-between gap-4 space-y-0">
        <div className="space-y-1.5">
          <CardTitle>
            <h2>Projects</h2>
          </CardTitle>
          <CardDescription>Each project has its own API keys, tracking plan, triggers and data.</CardDescription>
        </div>
        {isAdmin && !creating ? (
          <Button onClick={() => setCreating(true)}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            New project
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-6">
        {creating ? <NewProjectForm orgId={orgId} onCancel={() => setCreating(false)} /> : null}
        <QueryState
          query={projects}
          isEmpty={(data) => data.every((project) => project.archivedAt !== null)}
          empty={
            <EmptyState
              title="No projects in this organisation yet"
              description={isAdmin ? "Create a project to get an API key and start sending events." : "An admin of this organisation can create one."}
              action={
                isAdmin && !creating ? (
                  <Button variant="outline" onClick={() => setCreating(true)}>
                    Create your first project
                  </Button>
                ) : null
              }
            />
          }
        >
          {(data) => (
            <DataTable label="Projects" columns={["Name", "Project id", "Time zone", "Created"]}>
              {data
                .filter((project) => project.archivedAt === null)
                .map((project) => (
                  <TableRow key={project.id}>
                    <TableCell>
                      <Link href={`/projects/${project.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                        {project.name}
                      </Link>
                    </TableCell>
                    <TableCell>
                      <code className="text-xs">{project.id}</code>
                    </TableCell>
                    <TableCell>{project.timezone}</TableCell>
                    <TableCell>
                      <DateTime value={project.createdAt} />
                    </TableCell>
                  </TableRow>
                ))}
            </DataTable>
          )}
        </QueryState>
        {archived.length > 0 ? (
          <section aria-labelledby={`${orgId}-archived`} className="space-y-2">
            <h3 id={`${orgId}-archived`} className="text-sm font-medium text-muted-foreground">
              Archived projects
            </h3>
            <Table aria-label="Archived projects">
              <TableBody>
                {archived.map((project) => (
                  <ArchivedProjectRow key={project.id} orgId={orgId} project={project} canUnarchive={isAdmin} />
                ))}
              </TableBody>
            </Table>
          </section>
        ) : null}
      </CardContent>
    </Card>
  );
}

function ArchivedProjectRow({
  orgId,
  project,
  canUnarchive,
}: {
  orgId: string;
  project: { id: string; name: string; archivedAt: Date | null };
  canUnarchive: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const unarchive = useMutation(
    trpc.projects.unarchive.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.projects.listForOrg.queryKey({ orgId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.projects.get.queryKey({ projectId: project.id }) }),
        ]);
      },
    }),
  );
  const problem = errorMessage(unarchive.error);
  return (
    <TableRow>
      <TableCell>
        <Link href={`/projects/${project.id}`} className="font-medium text-muted-foreground underline-offset-4 hover:underline">
          {project.name}
        </Link>
      </TableCell>
      <TableCell className="text-muted-foreground">
        Archived <DateTime value={project.archivedAt} />
      </TableCell>
      <TableCell className="text-right">
        {problem ? (
          <span role="alert" className="mr-3 text-sm text-destructive">
            {problem}
          </span>
        ) : null}
        {canUnarchive ? (
          <Button
            size="sm"
            variant="outline"
            aria-label={`Unarchive ${project.name}`}
            disabled={unarchive.isPending}
            onClick={() => unarchive.mutate({ projectId: project.id })}
          >
            {unarchive.isPending ? "Unarchiving…" : "Unarchive"}
          </Button>
        ) : null}
      </TableCell>
    </TableRow>
  );
}

function NewProjectForm({ orgId, onCancel }: { orgId: string; onCancel: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // No default for the time zone: an empty one is left out, and the server picks UTC.
  const form = useZodForm(newProjectInput, { defaultValues: { name: "" } });
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: async (project) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.projects.listForOrg.queryKey({ orgId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.organizations.list.queryKey() }),
        ]);
        router.push(`/projects/${project.id}`);
      },
    }),
  );
  const server = errorsFromServer(create.error);

  const onSubmit = form.handleSubmit((values) => create.mutate({ orgId, ...values }));

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4 rounded-lg border bg-muted/30 p-4" aria-label="New project">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field control={form.control} name="name" id="new-project-name" label="Project name" serverError={server.fields.name}>
          {(control) => <Input {...control} placeholder="Web shop" autoFocus />}
        </Field>
        <Field
          control={form.control}
          name="timezone"
          id="new-project-timezone"
          label="Time zone"
          serverError={server.fields.timezone}
          hint="Reports group days in this zone. Defaults to UTC."
          registerOptions={{ setValueAs: (text: string) => text.trim() || undefined }}
        >
          {(control) => <TimezoneInput {...control} placeholder="UTC" />}
        </Field>
      </div>
      <FormError messages={[server.form]} />
      <div className="flex gap-2">
        <Button type="submit" disabled={create.isPending || create.isSuccess}>
          {create.isPending ? "Creating…" : create.isSuccess ? "Opening project…" : "Create project"}
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel} disabled={create.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
