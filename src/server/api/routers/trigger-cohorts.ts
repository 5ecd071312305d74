/**
 * Cohorts as the triggers router needs them: the project's keys, which rules are checked against
 * (as the worker compiles them), and the members of the cohorts a rule reads, for the rule tester
 * and the backtest. Members come from the query service's cohorts.memberIds, the call the worker's
 * cache makes, and are kept here for as long as the worker keeps its own (30 s), so a test, a
 * backtest's pages and production see the same membership.
 */
import type { ResolvedCohort } from "~/core/cohorts";
import { fixedMembership, NO_MEMBERSHIP, type CohortMembership } from "~/core/processing";
import type { PrismaClient } from "~/generated/prisma/client";
import { resolvedCohort } from "~/server/cohorts";
import { callQueryService } from "~/server/query-client";

/** The project's cohort keys: what `profile.in_cohort('…')` may name. */
export async function cohortKeysOf(db: PrismaClient, projectId: string): Promise<string[]> {
  const rows = await db.cohort.findMany({ where: { projectId }, select: { key: true }, orderBy: { key: "asc" } });
  return rows.map((row) => row.key);
}

/** Matches the worker's COHORT_REFRESH_MS default: membership here is no staler than there. */
const MEMBERS_TTL_MS = 30_000;
const MAX_CACHED = 50;
const cached = new Map<string, { at: number; ids: Promise<string[]> }>();

function membersOf(projectId: string, cohort: ResolvedCohort): Promise<string[]> {
  // The version changes with the definition and static members: an edit is never served stale.
  const key = `${projectId}\u0000${cohort.id}\u0000${cohort.version}`;
  const hit = cached.get(key);
  if (hit && Date.now() - hit.at < MEMBERS_TTL_MS) return hit.ids;
  const ids = callQueryService((client) => client.cohorts.memberIds.query({ projectId, cohort })).then((answer) => answer.ids);
  // A failure is not remembered: the next call asks again.
  ids.catch(() => cached.delete(key));
  cached.delete(key);
  cached.set(key, { at: Date.now(), ids });
  while (cached.size > MAX_CACHED) cached.delete(cached.keys().next().value!);
  return ids;
}

/** The current members of the project's cohorts named by `keys` (a compiled rule's cohortKeys). */
export async function membershipOf(db: PrismaClient, projectId: string, keys: readonly string[]): Promise<CohortMembership> {
  if (keys.length === 0) return NO_MEMBERSHIP;
  const rows = await db.cohort.findMany({
    where: { projectId, key: { in: [...keys] } },
    select: { id: true, key: true, name: true, kind: true, definition: true, version: true },
  });
  const members = await Promise.all(rows.map(resolvedCohort).map(async (cohort) => [cohort.key, await membersOf(projectId, cohort)] as const));
  return fixedMembership(new Map(members));
}
