/**
 * Cohort membership in SQL (src/core/cohorts.ts): which persons a cohort holds, as a subquery of
 * person ids that reports filter by, count, page through, and the worker's rule cache loads.
 *
 * Membership is by person (identity merge, ./identity.ts): a static list's ids and every event are
 * read as their person. A dynamic cohort's universe is the persons with a profile row, plus those
 * with events its behaviour conditions count (a person with none of those is in no dynamic cohort,
 * not even "at most 0 purchases"). A prop condition reads the person's profile row (its latest
 * state, as `profile.*` report fields do). A behaviour condition counts the person's matching events
 * in [now - days, now): "now" is the time of asking, bound as a parameter so tests can fix it.
 */
import type { ResolvedCohort } from "../../src/core/cohorts";
import type { CohortFilter, WithCohorts } from "../../src/core/reports";
import { personJoin } from "./identity";
import { Params, Scope, type BuiltQuery } from "./sql";

/** The cohorts a report may name, by id, and the instant dynamic cohorts are evaluated at. */
export interface CohortContext {
  byId: ReadonlyMap<string, ResolvedCohort>;
  now: string;
}

export const NO_COHORTS: CohortContext = { byId: new Map(), now: new Date(0).toISOString() };

export function cohortContext(cohorts: readonly ResolvedCohort[], now: string = new Date().toISOString()): CohortContext {
  return { byId: new Map(cohorts.map((cohort) => [cohort.id, cohort])), now };
}

/** A report named a cohort the app did not resolve: the app's tenant check makes this a bug, not a user error. */
export class UnknownCohortError extends Error {
  constructor(readonly cohortId: string) {
    super(`The report names cohort ${cohortId}, which is not one of this project's cohorts.`);
  }
}

export function cohortOf(context: CohortContext, cohortId: string): ResolvedCohort {
  const cohort = context.byId.get(cohortId);
  if (!cohort) throw new UnknownCohortError(cohortId);
  return cohort;
}

/** `SELECT pid FROM …`: the person ids of a cohort's members, each once. Shares the caller's parameters. */
export function cohortMembershipSql(params: Params, projectParam: string, cohort: ResolvedCohort, now: string): string {
  if (cohort.kind === "static" || cohort.definition === null) {
    const { person, join } = personJoin(projectParam, "cpo", "cm.profile_id");
    return `SELECT DISTINCT ${person} AS pid FROM cohort_members cm ${join}
             WHERE cm.project_id = ${projectParam} AND cm.cohort_id = ${params.add(cohort.id)}`;
  }
  const definition = cohort.definition;
  let nowParam: string | undefined;
  const behaviours: string[] = [];
  const conditions: string[] = [];
  const outer = new Scope(params);
  for (const condition of definition.conditions) {
    if (condition.kind === "prop") {
      // `p` is the person's profile row, joined below: a prop condition is a profile.* filter on it.
      conditions.push(outer.filter(condition.filter));
      continue;
    }
    const index = behaviours.length;
    // Bound once, and only when used: DuckDB refuses a parameter the statement never reads.
    nowParam ??= params.timestamp(now);
    // Days of 24 hours, computed here: interval arithmetic on TIMESTAMPTZ would follow the session's zone.
    const since = new Date(Date.parse(now) - condition.days * 86_400_000).toISOString();
    const scope = new Scope(params);
    const where = [
      `e.project_id = ${projectParam}`,
      `e.event_name = ${params.add(condition.event)}`,
      `e.ts >= ${params.timestamp(since)}`,
      `e.ts < ${nowParam}`,
      "e.profile_id IS NOT NULL",
      ...scope.filters(condition.filters),
    ];
    behaviours.push(
      `b${index} AS (SELECT e.profile_id AS pid, count(*) AS n FROM ${scope.from(projectParam)} WHERE ${where.join(" AND ")} GROUP BY e.profile_id)`,
    );
    const count = params.add(condition.count);
    const n = `coalesce(b${index}.n, 0)`;
    conditions.push(condition.comparison === "at_least" ? `${n} >= ${count}` : condition.comparison === "at_most" ? `${n} <= ${count}` : `${n} = ${count}`);
  }
  const profiles = personJoin(projectParam, "upo", "pr.profile_id");
  const universe = [
    `SELECT DISTINCT ${profiles.person} AS pid FROM profiles pr ${profiles.join} WHERE pr.project_id = ${projectParam}`,
    ...behaviours.map((_, index) => `SELECT pid FROM b${index}`),
  ].join(" UNION ");
  const joins = behaviours.map((_, index) => `LEFT JOIN b${index} ON b${index}.pid = u.pid`).join(" ");
  const ctes = [...behaviours, `u AS (${universe})`];
  return `WITH ${ctes.join(", ")}
    SELECT u.pid FROM u LEFT JOIN profiles p ON p.project_id = ${projectParam} AND p.profile_id = u.pid ${joins}
     WHERE ${conditions.map((condition) => `(${condition})`).join(definition.match === "all" ? " AND " : " OR ")}`;
}

/**
 * The report condition of a cohort filter on `e.profile_id` (the event's person), for a WHERE clause
 * (a conjunct). There a NULL answer drops the row as false does, so "in" is the bare IN, which
 * DuckDB runs as a semi join (a 100M-event trend: 1.2 -> 0.9 s); wrapped in coalesce it was a mark
 * join over every row. "not in" keeps its coalesce: an event without a person is not in the cohort.
 */
export function cohortFilterSql(scope: Scope, projectParam: string, context: CohortContext, filter: CohortFilter): string {
  const members = cohortMembershipSql(scope.params, projectParam, cohortOf(context, filter.cohortId), context.now);
  const inCohort = `${scope.person()} IN (${members})`;
  return filter.op === "in" ? inCohort : `NOT coalesce(${inCohort}, false)`;
}

/** How many persons a cohort holds now. */
export function buildCohortCount(projectId: string, cohort: ResolvedCohort, now: string): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const members = cohortMembershipSql(params, project, cohort, now);
  return { sql: `SELECT count(*) AS n FROM (${members})`, params: params.values };
}

/** A page of a cohort's persons in id order, with their profile's props (null when they have no profile row). */
export function buildCohortMemberPage(projectId: string, cohort: ResolvedCohort, now: string, after: string | null, limit: number): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const members = cohortMembershipSql(params, project, cohort, now);
  const cursor = after === null ? "" : `WHERE m.pid > ${params.add(after)}`;
  return {
    sql: `SELECT m.pid AS profile_id, CAST(p.props AS VARCHAR) AS props
            FROM (${members}) m LEFT JOIN profiles p ON p.project_id = ${project} AND p.profile_id = m.pid
            ${cursor} ORDER BY m.pid LIMIT ${limit + 1}`,
    params: params.values,
  };
}

/**
 * Every id that names a member: each member person's id and every id merged into it, so a rule
 * can test an event's profile id as sent without resolving its person (workers' rule cache).
 */
export function buildCohortMemberIds(projectId: string, cohort: ResolvedCohort, now: string): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const members = cohortMembershipSql(params, project, cohort, now);
  return {
    sql: `WITH m AS (${members})
          SELECT pid AS id FROM m
          UNION SELECT po.distinct_id AS id FROM person_overrides po JOIN m ON po.project_id = ${project} AND po.person_id = m.pid`,
    params: params.values,
  };
}

export type RunRows = (query: BuiltQuery) => Promise<Array<Record<string, unknown>>>;

/** A cohort's member ids for a project (persons and the ids merged into them): what the rule cache holds. */
export async function cohortMembers(run: RunRows, projectId: string, cohort: ResolvedCohort, now: string = new Date().toISOString()): Promise<string[]> {
  const rows = await run(buildCohortMemberIds(projectId, cohort, now));
  return rows.map((row) => String(row.id));
}

/** Replaces a static cohort's members: one transaction, so a report never sees half a list. Ids come as one JSON array parameter. */
export function buildReplaceStaticMembers(projectId: string, cohortId: string, ids: readonly string[]): BuiltQuery[] {
  return [
    { sql: "DELETE FROM cohort_members WHERE project_id = $1 AND cohort_id = $2", params: [projectId, cohortId] },
    {
      sql: `INSERT INTO cohort_members SELECT $1, $2, id, now() FROM (SELECT DISTINCT unnest(from_json($3, '["VARCHAR"]')) AS id) WHERE id IS NOT NULL`,
      params: [projectId, cohortId, JSON.stringify(ids)],
    },
  ];
}

/** A deleted cohort's stored members. */
export function buildDeleteCohortMembers(projectId: string, cohortId: string): BuiltQuery {
  return { sql: "DELETE FROM cohort_members WHERE project_id = $1 AND cohort_id = $2", params: [projectId, cohortId] };
}

/** The report conditions of a definition's cohort filters (all must hold). */
export function cohortConditions(scope: Scope, projectParam: string, context: CohortContext, filters: readonly CohortFilter[]): string[] {
  return filters.map((filter) => cohortFilterSql(scope, projectParam, context, filter));
}

interface CohortFields {
  cohortFilters: CohortFilter[];
  cohortBreakdown: string[];
}

/**
 * A report with its cohort breakdown: the report as defined, then once per chosen cohort with that
 * cohort as one more "in" filter, so a person in two cohorts counts in both and the parts are each
 * exactly what filtering by the cohort shows.
 */
export async function withCohortBreakdown<D extends CohortFields, T>(
  definition: D,
  context: CohortContext,
  compute: (definition: D) => Promise<T>,
): Promise<WithCohorts<T>> {
  const parts = definition.cohortBreakdown.map((cohortId) => ({ cohortId, cohort: cohortOf(context, cohortId) }));
  const [main, ...results] = await Promise.all([
    compute({ ...definition, cohortBreakdown: [] }),
    ...parts.map(({ cohortId }) =>
      compute({ ...definition, cohortFilters: [...definition.cohortFilters, { cohortId, op: "in" as const }], cohortBreakdown: [] }),
    ),
  ]);
  const byCohort =
    parts.length === 0 ? null : parts.map(({ cohortId, cohort }, index) => ({ cohortId, key: cohort.key, name: cohort.name, result: results[index]! }));
  return { ...(main as T), byCohort } as WithCohorts<T>;
}
