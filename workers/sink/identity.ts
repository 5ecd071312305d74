/**
 * The sink's copy of the person overrides (src/core/identity.ts), which reports, funnels, retention
 * and the profile timeline resolve events through at query time. Written from the processor's merge
 * records, in order, inside the write's transaction; history (events.profile_id) is never rewritten.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PersonMerge } from "../../src/core/identity";

export const PERSON_OVERRIDES_DDL = `CREATE TABLE IF NOT EXISTS person_overrides (
    project_id VARCHAR NOT NULL,
    distinct_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, distinct_id)
  )`;

/**
 * Applies merges as the processor did: the merged person's ids follow it, then its own override.
 * Idempotent: a redelivered merge re-points nothing new and upserts the same row.
 */
export async function applyPersonMerges(connection: DuckDBConnection, merges: readonly PersonMerge[]): Promise<void> {
  for (const merge of merges) {
    await connection.run(`UPDATE person_overrides SET person_id = $3 WHERE project_id = $1 AND person_id = $2`, [
      merge.project_id,
      merge.distinct_id,
      merge.person_id,
    ]);
    await connection.run(
      `INSERT INTO person_overrides VALUES ($1, $2, $3, to_timestamp(CAST($4 AS DOUBLE) / 1000))
       ON CONFLICT (project_id, distinct_id) DO UPDATE SET person_id = excluded.person_id`,
      [merge.project_id, merge.distinct_id, merge.person_id, merge.merged_at],
    );
  }
}
