/**
 * Cohorts as the query service takes them: a report names cohorts by id; the app resolves those
 * ids among the report's own project's cohorts (the tenant check: another project's id is unknown
 * here) into definitions with their version, so the service never reads PostgreSQL.
 */
import { TRPCError } from "@trpc/server";
import type { PrismaClient } from "~/generated/prisma/client";
import { toResolvedCohort, type ResolvedCohort } from "~/core/cohorts";
import { referencedCohortIds, type CohortFilter } from "~/core/reports";

export const cohortSelect = {
  id: true,
  key: true,
  name: true,
  description: true,
  kind: true,
  definition: true,
  memberCount: true,
  computedAt: true,
  version: true,
  createdAt: true,
  updatedAt: true,
} as const;

type CohortRow = { id: string; key: string; name: string; kind: string; definition: unknown; version: number };

/** A stored cohort as the service takes it; a definition that no longer parses is refused with a message. */
export function resolvedCohort(row: CohortRow): ResolvedCohort {
  const resolved = toResolvedCohort(row);
  if (!resolved) {
    throw new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: `Cohort "${row.key}" has a definition that no longer parses; open it and save it again.` });
  }
  return resolved;
}

/** The cohorts with these ids of this project; any other id is a BAD_REQUEST naming it. */
export async function resolveCohorts(db: Pick<PrismaClient, "cohort">, projectId: string, ids: readonly string[]): Promise<ResolvedCohort[]> {
  if (ids.length === 0) return [];
  const rows = await db.cohort.findMany({
    where: { projectId, id: { in: [...ids] } },
    select: { id: true, key: true, name: true, kind: true, definition: true, version: true },
  });
  const found = new Map(rows.map((row) => [row.id, row]));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new TRPCError({ code: "BAD_REQUEST", message: `Unknown cohort ${missing}: it is not a cohort of this project (deleted?).` });
  return ids.map((id) => resolvedCohort(found.get(id)!));
}

/** The resolved cohorts a report definition names (filters and breakdown). */
export function cohortsOfDefinition(
  db: Pick<PrismaClient, "cohort">,
  projectId: string,
  definition: { cohortFilters?: CohortFilter[]; cohortBreakdown?: string[] },
): Promise<ResolvedCohort[]> {
  return resolveCohorts(db, projectId, referencedCohortIds(definition));
}
