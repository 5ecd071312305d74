/** Test support: writes reference data into the real analytics tables of a DuckDB instance. */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll } from "vitest";
import { rebuildEventCounts } from "../sink/rollups";
import { ensureAnalyticsSchema } from "../sink/schema";
import type { Json, RefData, RefEvent } from "./reference";
import { QueryRunner } from "./runner";

export interface AnalyticsTestDb {
  readonly connection: DuckDBConnection;
  readonly runner: QueryRunner;
  run(query: Parameters<QueryRunner["all"]>[0]): ReturnType<QueryRunner["all"]>;
  /** Replaces the events and profiles with `data`'s. */
  seed(data: RefData): Promise<void>;
}

/** Rows of one SQL statement as JSON objects, on a connection of its own (for tests reading what the sink stored). */
export async function queryDuckDB(duckdb: DuckDBInstance, sql: string, values: string[] = []): Promise<Record<string, Json>[]> {
  const connection = await duckdb.connect();
  try {
    return (await connection.runAndReadAll(sql, values)).getRowObjectsJson() as Record<string, Json>[];
  } finally {
    connection.closeSync();
  }
}

/** One in-memory DuckDB with the real DDL for a test file, opened before its tests and closed after. */
export function analyticsTestDb(): AnalyticsTestDb {
  let duckdb: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  let runner: QueryRunner | undefined;
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("analyticsTestDb is used before its beforeAll ran");
    return value;
  };
  beforeAll(async () => {
    duckdb = await DuckDBInstance.create(":memory:");
    connection = await duckdb.connect();
    await ensureAnalyticsSchema(connection);
    runner = new QueryRunner(duckdb);
  });
  afterAll(() => {
    connection?.closeSync();
    duckdb?.closeSync();
  });
  return {
    get connection() {
      return opened(connection);
    },
    get runner() {
      return opened(runner);
    },
    run: (query) => opened(runner).all(query),
    async seed(data) {
      const db = opened(connection);
      await db.run("DELETE FROM events");
      await db.run("DELETE FROM profiles");
      await insertEvents(db, data.events);
      await insertProfiles(db, data.profiles);
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function insertEvents(
  connection: DuckDBConnection,
  events: RefEvent[],
  profilePropsAtEvent: (event: RefEvent) => Record<string, Json> = () => ({}),
): Promise<void> {
  for (let start = 0; start < events.length; start += 200) {
    const batch = events.slice(start, start + 200);
    const params: Array<string | null> = [];
    const rows = batch.map((event) => {
      const base = params.length;
      params.push(
        event.project_id,
        event.event_id,
        event.event_name,
        event.profile_id,
        iso(event.ts),
        iso(event.ts),
        JSON.stringify(event.props),
        JSON.stringify(event.ctx),
        JSON.stringify(profilePropsAtEvent(event)),
        event.browser,
        event.os,
        event.device_type,
      );
      const p = (offset: number) => `$${base + offset}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, CAST(${p(5)} AS TIMESTAMPTZ), CAST(${p(6)} AS TIMESTAMPTZ), ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, NULL)`;
    });
    if (rows.length > 0) await connection.run(`INSERT INTO events VALUES ${rows.join(", ")}`, params);
  }
  // The sink keeps the hourly counts trends read; rows inserted here are counted too.
  await rebuildEventCounts(connection);
}

export async function insertProfiles(connection: DuckDBConnection, profiles: RefData["profiles"], at = Date.parse("2024-01-01T00:00:00Z")): Promise<void> {
  for (const [key, props] of profiles) {
    const [projectId, profileId] = key.split("\u0000") as [string, string];
    await connection.run(`INSERT INTO profiles VALUES ($1, $2, $3, CAST($4 AS TIMESTAMPTZ), CAST($4 AS TIMESTAMPTZ))`, [
      projectId,
      profileId,
      JSON.stringify(props),
      iso(at),
    ]);
  }
}
