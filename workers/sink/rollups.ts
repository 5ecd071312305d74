/**
 * `event_counts`: how many events each project stored per event name and UTC hour of `ts`, kept by
 * the sink in the same transaction as the events themselves, so a count trend reads a few thousand
 * rows instead of scanning millions (workers/query/rollups.ts decides when it may). Counts only:
 * unique profiles depend on person overrides that change after the fact, and sums on whichever
 * property a report names, so those reports scan the events.
 *
 * Everything that adds or removes events keeps the counts in step: the sink adds the rows it
 * appended (after de-duplication), and deletions go through `deleteEventsCounted`. Rows inserted
 * any other way (tests, benchmarks) are counted with `rebuildEventCounts`.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

export const HOUR_MS = 3_600_000;

export const EVENT_COUNTS_DDL = `CREATE TABLE IF NOT EXISTS event_counts (
    project_id VARCHAR NOT NULL,
    event_name VARCHAR NOT NULL,
    hour BIGINT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (project_id, event_name, hour)
  )`;

/** Hours since the epoch of an event's ts, as SQL (floor, for instants before 1970 too). */
export const HOUR_OF_TS = `CAST(floor(epoch_us(ts) / ${HOUR_MS * 1000}) AS BIGINT)`;

const COUNT_EVENTS = `SELECT project_id, event_name, ${HOUR_OF_TS} AS hour, count(*) AS events FROM events`;

/**
 * Creates the table; a file from before it existed has its events counted once, in the same
 * transaction, so the counts are never seen incomplete.
 */
export async function ensureEventCounts(connection: DuckDBConnection): Promise<void> {
  const exists = await connection.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'event_counts'`);
  if (exists.currentRowCount > 0) return;
  await inTransaction(connection, async () => {
    await connection.run(EVENT_COUNTS_DDL);
    await connection.run(`INSERT INTO event_counts ${COUNT_EVENTS} GROUP BY ALL`);
  });
}

/** Counts every stored event again (after rows were inserted without the sink). */
export async function rebuildEventCounts(connection: DuckDBConnection): Promise<void> {
  await connection.run(EVENT_COUNTS_DDL);
  await inTransaction(connection, async () => {
    await connection.run("DELETE FROM event_counts");
    await connection.run(`INSERT INTO event_counts ${COUNT_EVENTS} GROUP BY ALL`);
  });
}

/** A write's events counted by project, name and hour, in JS: a few rows for thousands of events. */
export class HourlyCounts {
  private readonly counts = new Map<string, { projectId: string; eventName: string; hour: number; events: number }>();

  add(projectId: string, eventName: string, tsMs: number): void {
    const hour = Math.floor(Math.trunc(tsMs) / HOUR_MS);
    const key = `${projectId}\u0000${eventName}\u0000${hour}`;
    const entry = this.counts.get(key);
    if (entry) entry.events++;
    else this.counts.set(key, { projectId, eventName, hour, events: 1 });
  }

  get size(): number {
    return this.counts.size;
  }

  rows(): Array<{ projectId: string; eventName: string; hour: number; events: number }> {
    return [...this.counts.values()];
  }
}

/** Adds a write's counts; call inside the write's transaction. */
export async function addEventCounts(connection: DuckDBConnection, counts: HourlyCounts): Promise<void> {
  const rows = counts.rows();
  for (let start = 0; start < rows.length; start += 250) {
    const chunk = rows.slice(start, start + 250);
    const params: Array<string | number> = [];
    const values = chunk.map((row) => {
      params.push(row.projectId, row.eventName, String(row.hour), row.events);
      const base = params.length - 4;
      return `($${base + 1}, $${base + 2}, CAST($${base + 3} AS BIGINT), CAST($${base + 4} AS BIGINT))`;
    });
    await connection.run(
      `INSERT INTO event_counts VALUES ${values.join(", ")}
       ON CONFLICT (project_id, event_name, hour) DO UPDATE SET events = event_counts.events + excluded.events`,
      params,
    );
  }
}

/**
 * Deletes a project's events matching `where` (SQL over the events' columns, `$1` the project id)
 * and takes them off the counts, in one transaction. Returns the events deleted.
 */
export async function deleteEventsCounted(connection: DuckDBConnection, where: string, values: string[]): Promise<number> {
  return inTransaction(connection, async () => {
    await connection.run(
      `INSERT INTO event_counts SELECT project_id, event_name, ${HOUR_OF_TS} AS hour, -count(*) AS events FROM events WHERE project_id = $1 AND (${where}) GROUP BY ALL
       ON CONFLICT (project_id, event_name, hour) DO UPDATE SET events = event_counts.events + excluded.events`,
      values,
    );
    const deleted = await connection.run(`DELETE FROM events WHERE project_id = $1 AND (${where})`, values);
    await connection.run(`DELETE FROM event_counts WHERE project_id = $1 AND events <= 0`, [values[0]!]);
    return Number(deleted.rowsChanged);
  });
}

async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run("BEGIN TRANSACTION");
  try {
    const result = await work();
    await connection.run("COMMIT");
    return result;
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
