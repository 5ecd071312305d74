/**
 * Identity merge at query time (src/core/identity.ts): events keep the id they were sent under;
 * reports read them through `person_overrides` (written by the sink), so an anonymous id merged into
 * a user counts as that user everywhere, its events from before the identify included.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { BuiltQuery, Params } from "./sql";

/** Set inside `withPersonOverrides` when the project has no override: SQL built there skips the join. */
const withoutOverrides = new AsyncLocalStorage<true>();

/**
 * Runs `compute` knowing whether `projectId` has any override: most projects have none, and the
 * join costs every report a hash probe per event for nothing. One indexed EXISTS per report (the
 * table holds one row per merged id). A merge landing between the check and the report shows at
 * the next computation: the report cache's freshness counts the overrides.
 */
export async function withPersonOverrides<T>(
  run: (query: BuiltQuery) => Promise<Array<Record<string, unknown>>>,
  projectId: string,
  compute: () => Promise<T>,
): Promise<T> {
  const [row] = await run({ sql: "SELECT EXISTS (SELECT 1 FROM person_overrides WHERE project_id = $1) AS merged", params: [projectId] });
  return row?.merged === true ? compute() : withoutOverrides.run(true, compute);
}

/**
 * The events table with `profile_id` resolved to the event's person and the id it was sent under
 * kept as `distinct_id`. Filters on the other columns push down into the scan; the overrides are a
 * small hash table built once per query.
 */
export function personEvents(projectParam: string): string {
  if (withoutOverrides.getStore()) return `(SELECT ev.*, ev.profile_id AS distinct_id FROM events ev)`;
  const { person, join } = personJoin(projectParam, "po", "ev.profile_id");
  return `(SELECT ev.* REPLACE (${person} AS profile_id), ev.profile_id AS distinct_id FROM events ev ${join})`;
}

/** The person of an id as sent: `person` is its SQL, given `join` in the FROM clause. */
export function personJoin(projectParam: string, alias: string, idColumn: string): { person: string; join: string } {
  if (withoutOverrides.getStore()) return { person: idColumn, join: "" };
  return {
    person: `coalesce(${alias}.person_id, ${idColumn})`,
    join: `LEFT JOIN person_overrides ${alias} ON ${alias}.project_id = ${projectParam} AND ${alias}.distinct_id = ${idColumn}`,
  };
}

/** The ids (as sent) of the person `profileId` belongs to: its person, and every id merged into it. */
export function personIds(params: Params, projectParam: string, profileId: string): string {
  const id = params.add(profileId);
  const person = `coalesce((SELECT person_id FROM person_overrides WHERE project_id = ${projectParam} AND distinct_id = ${id}), ${id})`;
  return `(SELECT ${person} UNION ALL SELECT distinct_id FROM person_overrides WHERE project_id = ${projectParam} AND person_id = ${person})`;
}
