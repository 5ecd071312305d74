/**
 * Runs built queries on the sink's DuckDB instance: one short-lived connection per query (DuckDB
 * runs readers concurrently with the sink's writer inside one process), a time limit enforced with
 * `connection.interrupt()`, and a row cap.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from "@duckdb/node-api";
import type { BuiltQuery } from "./sql";

export interface QueryLimits {
  /** Per query; the query is interrupted after this. */
  timeoutMs: number;
  /** Rows a report query may return before it is refused. */
  maxRows: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { timeoutMs: 10_000, maxRows: 100_000 };

export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`This query took longer than ${formatSeconds(timeoutMs)}; narrow the date range, add filters or choose a larger interval.`);
  }
}

export class RowCapError extends Error {
  constructor(readonly maxRows: number) {
    super(`This query returns more than ${maxRows.toLocaleString("en-US")} rows; add filters or group by fewer fields (exports have no such limit).`);
  }
}

export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export type ResultRow = Record<string, unknown>;

export class QueryRunner {
  /** Connections open right now (duckdb_connection_pool_active). */
  private open = 0;

  constructor(
    private readonly duckdb: DuckDBInstance,
    readonly limits: QueryLimits = DEFAULT_QUERY_LIMITS,
    /** Told each time a connection opens (+1) or closes (-1). */
    private readonly onConnections: (delta: 1 | -1) => void = () => undefined,
  ) {}

  get activeConnections(): number {
    return this.open;
  }

  private async connect(): Promise<DuckDBConnection> {
    const connection = await this.duckdb.connect();
    this.open++;
    this.onConnections(1);
    return connection;
  }

  private release(connection: DuckDBConnection): void {
    connection.closeSync();
    this.open--;
    this.onConnections(-1);
  }

  /** Runs `work` on a fresh connection that is interrupted when the time limit passes. */
  private async withConnection<T>(timeoutMs: number, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, timeoutMs);
    try {
      return await work(connection);
    } catch (error) {
      if (timedOut) throw new QueryTimeoutError(timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
      this.release(connection);
    }
  }

  /** All rows of a query (JS values), or RowCapError past `maxRows`. */
  async all(query: BuiltQuery, limits: Partial<QueryLimits> = {}): Promise<ResultRow[]> {
    const maxRows = limits.maxRows ?? this.limits.maxRows;
    return this.withConnection(limits.timeoutMs ?? this.limits.timeoutMs, async (connection) => {
      const reader = await connection.streamAndReadUntil(query.sql, maxRows + 1, query.params);
      if (reader.currentRowCount > maxRows) throw new RowCapError(maxRows);
      return reader.getRowObjectsJS() as ResultRow[];
    });
  }

  /** Runs a statement that changes data and answers how many rows it changed. */
  async change(query: BuiltQuery): Promise<number> {
    return this.withConnection(this.limits.timeoutMs, async (connection) => {
      const result = await connection.run(query.sql, query.params);
      return Number(result.rowsChanged);
    });
  }

  /** Runs statements that change data in one transaction, all or none; answers each one's changed rows. */
  async transaction(queries: BuiltQuery[]): Promise<number[]> {
    return this.withConnection(this.limits.timeoutMs, async (connection) => {
      await connection.run("BEGIN TRANSACTION");
      try {
        const changed: number[] = [];
        for (const query of queries) changed.push(Number((await connection.run(query.sql, query.params)).rowsChanged));
        await connection.run("COMMIT");
        return changed;
      } catch (error) {
        await connection.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Streams a query's rows chunk by chunk (about 2048 rows each) to `onRows`, never holding the
   * whole result. `onRows` may wait (back-pressure). The time limit applies to each chunk's fetch,
   * not to the whole export, since a slow client must not abort a healthy query.
   */
  async stream(query: BuiltQuery, onColumns: (names: string[]) => void, onRows: (rows: unknown[][]) => Promise<void>): Promise<number> {
    const connection = await this.connect();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, this.limits.timeoutMs);
    };
    try {
      arm();
      const result: DuckDBResult = await connection.stream(query.sql, query.params);
      onColumns(result.columnNames());
      let rows = 0;
      for (;;) {
        arm();
        const chunk = await result.fetchChunk();
        clearTimeout(timer);
        if (!chunk || chunk.rowCount === 0) break;
        rows += chunk.rowCount;
        await onRows(chunk.getRows() as unknown[][]);
      }
      return rows;
    } catch (error) {
      if (timedOut) throw new QueryTimeoutError(this.limits.timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
      this.release(connection);
    }
  }
}
