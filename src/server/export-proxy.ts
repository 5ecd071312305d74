/**
 * The app's export download: checks the signed-in user's role on the project, then streams the
 * worker's POST /query-export answer through unchanged (no buffering), with the project id and
 * time zone filled in server-side.
 */
import type { PrismaClient } from "~/generated/prisma/client";
import { exportBodySchema, projectIdSchema, type ExportRequest } from "~/contracts/query-service";
import type { z } from "zod";
import { projectAccess } from "~/server/organizations";
import type { QueryServiceTarget } from "~/server/query-client";
import { TRPCError } from "@trpc/server";
import { cohortsOfDefinition } from "~/server/cohorts";

const problem = (status: number, error: string, message: string) => Response.json({ error, message }, { status, headers: { "cache-control": "no-store" } });
const PASSED_HEADERS = ["content-type", "content-disposition", "x-total-rows", "cache-control"];

export async function proxyExport(opts: {
  request: Request;
  projectId: string;
  userId: string | null;
  db: PrismaClient;
  target: QueryServiceTarget;
}): Promise<Response> {
  if (!opts.userId) return problem(401, "unauthorized", "Sign in to export.");
  // Any member may export (viewer and up); a project one cannot see (or a malformed id) does not exist.
  const access = projectIdSchema.safeParse(opts.projectId).success ? await projectAccess(opts.db, opts.projectId, opts.userId) : null;
  if (!access) return problem(404, "not_found", "Project not found.");
  const { project } = access;
  let body: unknown;
  try {
    body = await opts.request.json();
  } catch {
    return problem(400, "malformed", "Send the export as JSON: { format, source }.");
  }
  const parsed = exportBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return problem(400, "invalid", issue ? `${issue.path.join(".") || "request"}: ${issue.message}` : "Invalid export request.");
  }
  return streamExport({ project, body: parsed.data, target: opts.target, signal: opts.request.signal, db: opts.db });
}

/**
 * Streams the worker's export of an authorised project: the caller has checked access and the body
 * (the app's route above, the REST API's GET /api/v1/reports/export/:id).
 */
export async function streamExport(opts: {
  project: { id: string; timezone: string };
  body: z.output<typeof exportBodySchema>;
  target: QueryServiceTarget;
  signal?: AbortSignal;
  /** Resolves the cohorts a report names among the project's own. */
  db: Pick<PrismaClient, "cohort">;
}): Promise<Response> {
  const { project } = opts;
  let cohorts: ExportRequest["cohorts"] = [];
  if (opts.body.source.kind === "report") {
    try {
      cohorts = await cohortsOfDefinition(opts.db, project.id, opts.body.source.report.definition);
    } catch (error) {
      if (error instanceof TRPCError) return problem(error.code === "BAD_REQUEST" ? 400 : 422, "invalid", error.message);
      throw error;
    }
  }
  let upstream: Response;
  try {
    upstream = await fetch(`${opts.target.url.replace(/\/$/, "")}/query-export`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-secret": opts.target.secret },
      body: JSON.stringify({ projectId: project.id, timezone: project.timezone, ...opts.body, cohorts } satisfies ExportRequest),
      signal: opts.signal,
    });
  } catch {
    return problem(503, "unavailable", "The query service is not reachable right now; check that the worker is running, then retry.");
  }
  const headers = new Headers({ "x-content-type-options": "nosniff" });
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}
