/**
 * Compaction of the events table. The sink appends events in arrival order, every project's rows
 * interleaved, so DuckDB's zone maps (min/max per row group of 122,880 rows) on project_id prune
 * nothing and a small tenant's report reads everyone's rows. Compaction rewrites closed spans of
 * arrival time (`received_at`) ordered by (project_id, event_name, ts): a project's rows of a span
 * then fill a few row groups of their own, and its reports skip the rest. Within a project rows
 * are grouped by event name (reports filter by name) and then ordered by time (and ranges by ts).
 *
 * Spans are tiered, like a log-structured merge: closed days are compacted first, then whole weeks,
 * then 28-day spans, so a tenant's rows of four weeks end up in one run of row groups while each
 * row is rewritten at most three times. Spans are aligned to the epoch (UTC days). A span is
 * compacted only once it is closed (its end is `graceMs` in the past), and only at a level above
 * the one it already has.
 *
 * Each step is one transaction: the span's rows are inserted again in order and the originals
 * deleted (by rowid: rows inserted in the transaction have rowids no committed row has), and the
 * span is recorded in `event_compactions`. A crash leaves the old rows or the new ones, never both
 * or neither; readers keep their snapshot meanwhile. The sink's concurrent appends touch other rows,
 * so they never conflict; a late row of an already closed span (a sink far behind) is simply left
 * where it is, unsorted, until a larger span takes it in. Retention and profile deletion delete
 * rows: should one of them delete a row of the span at the same moment, one transaction fails with
 * a conflict and is retried (both retry).
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { Logger } from "../../src/platform/logger";

const DAY_MS = 86_400_000;

/** Span lengths, smallest first: level 1 is a day, level 2 a week, level 3 four weeks. */
export const COMPACTION_LEVELS = [DAY_MS, 7 * DAY_MS, 28 * DAY_MS] as const;

/** The order compacted rows are written in; queries never depend on it. */
export const COMPACTED_ORDER = "project_id, event_name, ts, event_id";

export const EVENT_COMPACTIONS_DDL = `CREATE TABLE IF NOT EXISTS event_compactions (
    span_start TIMESTAMPTZ NOT NULL,
    span_end TIMESTAMPTZ NOT NULL,
    level INTEGER NOT NULL,
    rows BIGINT NOT NULL,
    compacted_at TIMESTAMPTZ NOT NULL
  )`;

export interface CompactionStep {
  level: number;
  from: number;
  to: number;
  rows: number;
  ms: number;
}

export interface CompactionOptions {
  /** A span is closed this long after its end: events it may still receive arrive before then. */
  graceMs?: number;
  /** Now, for tests. */
  now?: number;
  /** Stop after this many steps (each is one span, one transaction); the next run goes on. */
  maxSteps?: number;
}

/**
 * The next span to compact: the largest closed span holding rows that is not yet compacted at its
 * level or a higher one, oldest first; null when everything closed is compacted.
 */
export async function nextCompaction(
  connection: DuckDBConnection,
  options: CompactionOptions = {},
): Promise<{ level: number; from: number; to: number } | null> {
  const cutoff = (options.now ?? Date.now()) - (options.graceMs ?? 2 * 3600_000);
  // Days that hold rows (one pass over received_at, a narrow column) and what each day already has.
  const reader = await connection.runAndReadAll(
    `SELECT epoch_ms(received_at) // ${DAY_MS} AS day FROM events WHERE received_at < make_timestamptz(CAST($1 AS BIGINT) * 1000) GROUP BY ALL ORDER BY day`,
    [String(cutoff)],
  );
  const days = reader.getRowObjectsJS().map((row) => Number(row.day));
  if (days.length === 0) return null;
  const done = (
    await connection.runAndReadAll(`SELECT epoch_ms(span_start) AS from_ms, epoch_ms(span_end) AS to_ms, level FROM event_compactions`)
  ).getRowObjectsJS();
  const levelOf = (from: number, to: number) =>
    Math.max(0, ...done.filter((row) => Number(row.from_ms) <= from && Number(row.to_ms) >= to).map((row) => Number(row.level)));
  for (let level = COMPACTION_LEVELS.length; level >= 1; level--) {
    const span = COMPACTION_LEVELS[level - 1]!;
    const seen = new Set<number>();
    for (const day of days) {
      const from = Math.floor((day * DAY_MS) / span) * span;
      if (seen.has(from)) continue;
      seen.add(from);
      const to = from + span;
      if (to > cutoff) continue;
      if (levelOf(from, to) < level) return { level, from, to };
    }
  }
  return null;
}

/** Rewrites one span in order, in one transaction. */
export async function compactSpan(connection: DuckDBConnection, span: { level: number; from: number; to: number }): Promise<CompactionStep> {
  const started = performance.now();
  const range = `received_at >= make_timestamptz(CAST($1 AS BIGINT) * 1000) AND received_at < make_timestamptz(CAST($2 AS BIGINT) * 1000)`;
  const bounds = [String(span.from), String(span.to)];
  let moved = 0;
  await connection.run("BEGIN TRANSACTION");
  try {
    // Rowids of committed rows lie below this; rows this transaction inserts get rowids above every committed one.
    const top = (await connection.runAndReadAll(`SELECT coalesce(max(rowid), -1) AS top FROM events`)).getRowObjectsJS()[0]?.top;
    const inserted = await connection.run(`INSERT INTO events SELECT * FROM events WHERE ${range} ORDER BY ${COMPACTED_ORDER}`, bounds);
    const deleted = await connection.run(`DELETE FROM events WHERE ${range} AND rowid <= CAST($3 AS BIGINT)`, [...bounds, String(top)]);
    if (inserted.rowsChanged !== deleted.rowsChanged) {
      throw new Error(`compaction of ${new Date(span.from).toISOString()} moved ${inserted.rowsChanged} rows but removed ${deleted.rowsChanged}`);
    }
    await connection.run(
      `INSERT INTO event_compactions VALUES (make_timestamptz(CAST($1 AS BIGINT) * 1000), make_timestamptz(CAST($2 AS BIGINT) * 1000), $3, CAST($4 AS BIGINT), now())`,
      [...bounds, span.level, String(inserted.rowsChanged)],
    );
    await connection.run("COMMIT");
    moved = inserted.rowsChanged;
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return { ...span, rows: moved, ms: performance.now() - started };
}

/** Compacts closed spans until none is left (or `maxSteps`), on a connection of its own. */
export async function compactEvents(duckdb: DuckDBInstance, options: CompactionOptions = {}): Promise<CompactionStep[]> {
  const connection = await duckdb.connect();
  const steps: CompactionStep[] = [];
  try {
    await connection.run(EVENT_COMPACTIONS_DDL);
    while (steps.length < (options.maxSteps ?? Infinity)) {
      const span = await nextCompaction(connection, options);
      if (!span) break;
      steps.push(await compactSpan(connection, span));
    }
  } finally {
    connection.closeSync();
  }
  return steps;
}

/** Runs compaction shortly after start and then every `everyMs` (hourly); a failed run (a write conflict) is retried at the next. */
export function scheduleCompaction(duckdb: DuckDBInstance, log: Logger, everyMs = 3600_000): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    compactEvents(duckdb)
      .then((steps) => {
        if (steps.length > 0)
          log.info(
            { steps: steps.map(({ level, from, rows, ms }) => ({ level, from: new Date(from).toISOString(), rows, ms: Math.round(ms) })) },
            "events compacted",
          );
      })
      .catch((error: unknown) => log.warn({ err: error }, "compaction failed; will retry at the next run"))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, 120_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
