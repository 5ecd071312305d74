import type { Metadata } from "next";
import { api } from "~/trpc/server";
import { getProject } from "../project-data";
import { ReportBuilder } from "./report-builder";

export const metadata: Metadata = { title: "Reports · Prism" };

export default async function ReportsPage({
  params,
  searchParams,
}: {
  params: Promise<{ projectId: string }>;
  searchParams: Promise<{ report?: string | string[]; kind?: string | string[] }>;
}) {
  const { projectId } = await params;
  const { report, kind } = await searchParams;
  const project = await getProject(projectId);
  // ?report=<id> opens a saved report in the builder; an unknown id simply opens a new one.
  const reportId = typeof report === "string" ? report.slice(0, 64) : null;
  const saved = reportId ? ((await (await api()).savedReports.list({ projectId: project.id })).find((row) => row.id === reportId) ?? null) : null;
  return (
    <ReportBuilder
      key={saved?.id ?? "new"}
      projectId={project.id}
      timezone={project.timezone}
      role={project.role}
      saved={saved}
      initialKind={typeof kind === "string" ? kind : null}
    />
  );
}
