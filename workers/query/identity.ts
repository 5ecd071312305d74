/**
 * Identity merge at query time (src/core/identity.ts): events keep the id they were sent under;
 * reports read them through `person_overrides` (written by the sink), so an anonymous id merged into
 * a user counts as that user everywhere, its events from before the identify included.
 */
import type { Params } from "./sql";

/**
 * The events table with `profile_id` resolved to the event's person and the id it was sent under
 * kept as `distinct_id`. Filters on the other columns push down into the scan; the overrides are a
 * small hash table built once per query.
 */
export function personEvents(projectParam: string): string {
  return `(SELECT ev.* REPLACE (coalesce(po.person_id, ev.profile_id) AS profile_id), ev.profile_id AS distinct_id
      FROM events ev LEFT JOIN person_overrides po ON po.project_id = ${projectParam} AND po.distinct_id = ev.profile_id)`;
}

/** The ids (as sent) of the person `profileId` belongs to: its person, and every id merged into it. */
export function personIds(params: Params, projectParam: string, profileId: string): string {
  const id = params.add(profileId);
  const person = `coalesce((SELECT person_id FROM person_overrides WHERE project_id = ${projectParam} AND distinct_id = ${id}), ${id})`;
  return `(SELECT ${person} UNION ALL SELECT distinct_id FROM person_overrides WHERE project_id = ${projectParam} AND person_id = ${person})`;
}
