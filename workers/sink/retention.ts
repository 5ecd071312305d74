import type { DuckDBInstance } from "@duckdb/node-api";
import type pg from "pg";
import type { Logger } from "../../src/platform/logger";
import { deleteEventsCounted } from "./rollups";

const DAY_MS = 24 * 3600 * 1000;

/** Deletes each project's analytics rows older than its data_retention_days. */
export async function applyRetention(duckdb: DuckDBInstance, pool: pg.Pool, now = Date.now()): Promise<{ projects: number; deleted: number }> {
  const { rows } = await pool.query<{ id: string; data_retention_days: number }>("SELECT id, data_retention_days FROM projects");
  const connection = await duckdb.connect();
  let deleted = 0;
  try {
    for (const project of rows) {
      const cutoff = new Date(now - project.data_retention_days * DAY_MS).toISOString();
      // Events leave the hourly counts in the same transaction.
      deleted += await deleteEventsCounted(connection, "ts < $2::TIMESTAMPTZ", [project.id, cutoff]);
      for (const [table, column] of [
        ["trigger_logs", "fired_at"],
        ["action_results", "recorded_at"],
        ["profile_changes", "changed_at"],
        ["dead_letters", "received_at"],
      ] as const) {
        const result = await connection.run(`DELETE FROM ${table} WHERE project_id = $1 AND ${column} < $2::TIMESTAMPTZ`, [project.id, cutoff]);
        deleted += Number(result.rowsChanged);
      }
    }
  } finally {
    connection.closeSync();
  }
  return { projects: rows.length, deleted };
}

/** Runs retention shortly after start and then daily. */
export function scheduleRetention(duckdb: DuckDBInstance, pool: pg.Pool, log: Logger, everyMs = DAY_MS): () => void {
  const run = () =>
    applyRetention(duckdb, pool)
      .then((result) => log.info(result, "retention applied"))
      .catch((error: unknown) => log.warn({ err: error }, "retention failed; will retry at the next run"));
  const first = setTimeout(run, 60_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
