import type { DuckDBConnection } from "@duckdb/node-api";
import { EVENT_COMPACTIONS_DDL } from "./compaction";
import { PERSON_OVERRIDES_DDL } from "./identity";
import { ensureEventCounts } from "./rollups";

/**
 * The analytics tables, owned by the sink. Times are TIMESTAMPTZ (UTC instants); reports bucket them
 * in the project's timezone with `timezone(tz, ts)`. Props are JSON text; `profile_props` is the
 * profile as the processor saw it when the event arrived, so a report can segment by the profile
 * at event time, and `profiles` holds each profile's latest state.
 *
 * No primary key on `events`: an ART index over tens of millions of ids costs more memory than the
 * machine has to spare. The sink de-duplicates by event_id against the rows of the same `received_at`
 * range instead (redelivered records carry the same `received_at`).
 */
export const ANALYTICS_DDL = [
  `CREATE TABLE IF NOT EXISTS events (
    project_id VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    event_name VARCHAR NOT NULL,
    profile_id VARCHAR,
    ts TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    props JSON NOT NULL,
    ctx JSON NOT NULL,
    profile_props JSON NOT NULL,
    browser VARCHAR,
    os VARCHAR,
    device_type VARCHAR,
    violations JSON
  )`,
  `CREATE TABLE IF NOT EXISTS profiles (
    project_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    props JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, profile_id)
  )`,
  `CREATE TABLE IF NOT EXISTS profile_changes (
    project_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    change_id VARCHAR NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    "set" JSON NOT NULL,
    set_once JSON NOT NULL,
    "unset" JSON NOT NULL,
    props JSON NOT NULL,
    PRIMARY KEY (project_id, change_id)
  )`,
  /** Static cohorts' members (src/core/cohorts.ts), as uploaded: ids as sent, read through person overrides. */
  `CREATE TABLE IF NOT EXISTS cohort_members (
    project_id VARCHAR NOT NULL,
    cohort_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, cohort_id, profile_id)
  )`,
  `CREATE TABLE IF NOT EXISTS trigger_logs (
    project_id VARCHAR NOT NULL,
    firing_id VARCHAR NOT NULL,
    trigger_id VARCHAR NOT NULL,
    trigger_version INTEGER NOT NULL,
    trigger_name VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    event_name VARCHAR NOT NULL,
    profile_id VARCHAR,
    fired_at TIMESTAMPTZ NOT NULL,
    result VARCHAR NOT NULL,
    error VARCHAR,
    actions JSON NOT NULL,
    event_ts TIMESTAMPTZ
  )`,
  `CREATE TABLE IF NOT EXISTS action_results (
    project_id VARCHAR NOT NULL,
    firing_id VARCHAR NOT NULL,
    action_index INTEGER NOT NULL,
    action_type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, firing_id, action_index)
  )`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
    project_id VARCHAR,
    dlq_id VARCHAR NOT NULL PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL,
    reason VARCHAR NOT NULL,
    violations JSON NOT NULL,
    payload JSON NOT NULL,
    source VARCHAR NOT NULL,
    replayed_at TIMESTAMPTZ,
    stage VARCHAR,
    error VARCHAR,
    payload_encoding VARCHAR,
    origin JSON,
    discarded_at TIMESTAMPTZ
  )`,
];

export async function ensureAnalyticsSchema(connection: DuckDBConnection): Promise<void> {
  for (const statement of ANALYTICS_DDL) await connection.run(statement);
  await connection.run(PERSON_OVERRIDES_DDL);
  await connection.run(EVENT_COMPACTIONS_DDL);
  await ensureEventCounts(connection);
  await dropTriggerLogsKey(connection);
  // Files from before consumers dead-lettered poison records: ingest's letters have no stage, error or origin.
  for (const column of ["stage VARCHAR", "error VARCHAR", "payload_encoding VARCHAR", "origin JSON", "discarded_at TIMESTAMPTZ"])
    await connection.run(`ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS ${column}`);
  // Files from before firings kept their event's time; their rows fall back to fired_at when read.
  await connection.run("ALTER TABLE trigger_logs ADD COLUMN IF NOT EXISTS event_ts TIMESTAMPTZ");
}

/**
 * Files written before the sink de-duplicated firings itself carry a primary key on trigger_logs.
 * DuckDB cannot drop a constraint, so the table is rebuilt once, in one transaction.
 */
async function dropTriggerLogsKey(connection: DuckDBConnection): Promise<void> {
  const keyed = await connection.runAndReadAll(
    `SELECT 1 FROM duckdb_constraints() WHERE schema_name = 'main' AND table_name = 'trigger_logs' AND constraint_type = 'PRIMARY KEY'`,
  );
  if (keyed.currentRowCount === 0) return;
  await connection.run("BEGIN TRANSACTION");
  try {
    await connection.run("CREATE TABLE trigger_logs_unkeyed AS SELECT * FROM trigger_logs ORDER BY fired_at");
    await connection.run("DROP TABLE trigger_logs");
    await connection.run("ALTER TABLE trigger_logs_unkeyed RENAME TO trigger_logs");
    await connection.run("COMMIT");
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
