/**
 * Compaction moves rows, never changes them: the table holds exactly the same rows afterwards
 * (none lost, none doubled), a reader's snapshot is unchanged while it runs, a write committed
 * meanwhile survives, and a small project's rows end up in a few row groups instead of all of them.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactEvents, nextCompaction } from "./compaction";
import { ensureAnalyticsSchema } from "./schema";

const ROWS = 400_000;
const DAY = 86_400_000;
const START = Date.parse("2024-01-01T00:00:00Z");
const ROW_GROUP = 122_880;

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  // Arrival order, projects interleaved: 1 % small, the rest big; 40 days.
  await connection.run(`INSERT INTO events SELECT CASE WHEN i % 100 = 7 THEN 'small' WHEN i % 3 = 0 THEN 'mid' ELSE 'big' END, 'e' || i,
      ['a', 'b', 'c'][i % 3 + 1], 'u' || (i % 97), arrived - to_minutes(CAST(i % 5 AS INTEGER)), arrived, json_object('n', i), '{}', '{}', NULL, NULL, NULL, NULL
    FROM (SELECT i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * ${Math.floor((40 * DAY * 1000) / ROWS)}) AS arrived FROM range(${ROWS}) t(i))`);
  await connection.run("CREATE TEMP TABLE original AS SELECT * FROM events");
});
afterAll(() => {
  connection.closeSync();
  duckdb.closeSync();
});

const one = async (sql: string): Promise<unknown> => Object.values((await connection.runAndReadAll(sql)).getRowObjectsJS()[0] ?? {})[0];
const rowGroupsOf = (project: string) => one(`SELECT count(DISTINCT rowid // ${ROW_GROUP}) FROM events WHERE project_id = '${project}'`);

describe("events compaction", () => {
  it("keeps every row exactly once, leaves readers' snapshots alone and lets concurrent writes through", async () => {
    expect(Number(await rowGroupsOf("small"))).toBe(Math.ceil(ROWS / ROW_GROUP));
    const reader = await duckdb.connect();
    await reader.run("BEGIN TRANSACTION");
    const readerCount = async () => Number((await reader.runAndReadAll("SELECT count(*) AS n FROM events WHERE project_id = 'small'")).getRowObjectsJS()[0]!.n);
    const seen = await readerCount();

    // A late row of a closed day, written while compaction runs.
    const writer = await duckdb.connect();
    const now = START + 45 * DAY;
    const [steps] = await Promise.all([
      compactEvents(duckdb, { now }),
      writer.run(
        `INSERT INTO events SELECT 'small', 'late', 'a', 'u1', TIMESTAMPTZ '2024-01-03 10:00:00+00', TIMESTAMPTZ '2024-01-03 10:00:00+00', '{}', '{}', '{}', NULL, NULL, NULL, NULL`,
      ),
    ]);
    writer.closeSync();
    expect(await readerCount()).toBe(seen);
    await reader.run("COMMIT");
    reader.closeSync();

    // The closed four weeks first (spans are epoch-aligned), then the closed weeks and days after them.
    expect(steps.map((step) => step.level)).toEqual([...steps.map((step) => step.level)].sort().reverse());
    expect(steps[0]!.level).toBe(3);
    expect(steps.reduce((sum, step) => sum + step.rows, 0)).toBeGreaterThanOrEqual(ROWS);
    expect(await one("SELECT count(*) FROM (SELECT * FROM events WHERE event_id <> 'late' EXCEPT ALL SELECT * FROM original)")).toBe(0n);
    expect(await one("SELECT count(*) FROM (SELECT * FROM original EXCEPT ALL SELECT * FROM events)")).toBe(0n);
    expect(await one("SELECT count(*) FROM events")).toBe(BigInt(ROWS + 1));
    expect(await one("SELECT count(*) FROM events WHERE event_id = 'late'")).toBe(1n);
    // The small project's rows fill about one row group per span now, not every row group.
    expect(Number(await rowGroupsOf("small"))).toBeLessThanOrEqual(steps.length + 1);
    expect(Number(await rowGroupsOf("small"))).toBeLessThan(Math.ceil(ROWS / ROW_GROUP));
    // Nothing closed is left; a second run does nothing.
    expect(await nextCompaction(connection, { now })).toBeNull();
    expect(await compactEvents(duckdb, { now })).toEqual([]);
  }, 120_000);

  it("leaves spans that are not closed yet", async () => {
    const now = START + 45 * DAY;
    const fresh = await DuckDBInstance.create(":memory:");
    const c = await fresh.connect();
    await ensureAnalyticsSchema(c);
    const at = new Date(now - 3600_000).toISOString();
    await c.run(`INSERT INTO events SELECT 'p', 'e1', 'a', NULL, CAST($1 AS TIMESTAMPTZ), CAST($1 AS TIMESTAMPTZ), '{}', '{}', '{}', NULL, NULL, NULL, NULL`, [
      at,
    ]);
    expect(await nextCompaction(c, { now })).toBeNull();
    // A day later its span is closed: the four weeks ending at midnight after it.
    expect(await nextCompaction(c, { now: now + DAY })).toMatchObject({ level: 3, to: now });
    c.closeSync();
    fresh.closeSync();
  });
});
