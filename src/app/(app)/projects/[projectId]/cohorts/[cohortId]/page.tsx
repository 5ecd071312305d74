import type { Metadata } from "next";
import { api } from "~/trpc/server";
import { orNotFound } from "../../../../load";
import { getProject } from "../../project-data";
import { CohortDetail } from "./cohort-detail";

export const metadata: Metadata = { title: "Cohort · Prism" };

export default async function CohortPage({ params }: { params: Promise<{ projectId: string; cohortId: string }> }) {
  const { projectId, cohortId } = await params;
  const project = await getProject(projectId);
  const caller = await api();
  // Another project's cohort, or none: the 404 page, as if it did not exist.
  const cohort = await orNotFound(() => caller.cohorts.get({ projectId: project.id, cohortId }));
  return <CohortDetail projectId={project.id} cohortId={cohort.id} role={project.role} />;
}
