/**
 * Key numbers and the firing log over a real DuckDB with the real DDL: "today" is the project's
 * day, and a firing belongs to the day its event happened, not the minute it was processed.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/platform/logger";
import { ensureAnalyticsSchema } from "../sink/schema";
import { createQueryCaller } from "./router";
import { QueryRunner } from "./runner";
import { insertEvents } from "./testing";

// UTC+14 all year (no DST): its day differs from the UTC day for most hours, so a UTC "today" cannot pass.
const ZONE = "Etc/GMT-14";
const OFFSET = 14 * 3_600_000;
const DAY = 86_400_000;

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
let caller: ReturnType<typeof createQueryCaller>;
const now = Date.now();
const midnight = Math.floor((now + OFFSET) / DAY) * DAY - OFFSET;

async function insertFiring(id: string, eventMs: number | null, firedMs: number, result = "fired", trigger = "t1"): Promise<void> {
  await connection.run(
    `INSERT INTO trigger_logs (project_id, firing_id, trigger_id, trigger_version, trigger_name, event_id, event_name, profile_id, fired_at, result, error, actions, event_ts)
     VALUES ('p1', $1, $2, 1, 'Big purchase', $1, 'purchase', 'u1', make_timestamptz($3::BIGINT * 1000), $4, NULL, '[]',
             CASE WHEN $5::BIGINT IS NULL THEN NULL ELSE make_timestamptz($5::BIGINT * 1000) END)`,
    [id, trigger, firedMs, result, eventMs],
  );
}

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  caller = createQueryCaller({ runner: new QueryRunner(duckdb), log: createLogger("browse-test", "silent") });
  const ev = (id: string, ts: number) => ({
    project_id: "p1",
    event_id: id,
    event_name: "purchase",
    profile_id: id,
    ts,
    props: {},
    ctx: {},
    browser: null,
    os: null,
    device_type: null,
  });
  await insertEvents(connection, [ev("today-1", midnight + 1000), ev("today-2", midnight + 2000), ev("yesterday", midnight - 1000), ev("old", now - 3 * DAY)]);
  // All processed just now, as when sample data is loaded: only the event time tells them apart.
  await insertFiring("today-1", midnight + 1000, now);
  await insertFiring("today-2", midnight + 2000, now, "fired", "t2");
  await insertFiring("yesterday", midnight - 1000, now);
  await insertFiring("old", now - 3 * DAY, now);
  await insertFiring("today-error", midnight + 3000, now, "error");
  // A row written before firings kept their event time counts by its processing time.
  await insertFiring("legacy", null, now - 3 * DAY);
});

afterAll(() => {
  connection?.closeSync();
  duckdb?.closeSync();
});

describe("key numbers", () => {
  it("counts today's events and the firings of today's events in the project's time zone", async () => {
    const numbers = await caller.stats.keyNumbers({ projectId: "p1", timezone: ZONE });
    expect(numbers).toMatchObject({ eventsToday: 2, activeProfilesToday: 2, triggersFiredToday: 2 });
    // Firings today can never outnumber what happened today when every rule fires once per event.
    expect(numbers.triggersFiredToday).toBeLessThanOrEqual(numbers.eventsToday);
  });

  it("counts nothing for another project", async () => {
    expect(await caller.stats.keyNumbers({ projectId: "p2", timezone: ZONE })).toEqual({
      eventsToday: 0,
      activeProfilesToday: 0,
      activeProfiles7d: 0,
      triggersFiredToday: 0,
    });
  });

  it("splits today's firings per trigger", async () => {
    expect(await caller.stats.firingsToday({ projectId: "p1", timezone: ZONE })).toEqual({ t1: 1, t2: 1 });
  });
});

describe("the firing log", () => {
  it("lists firings newest event first with the event's time and the processing time, across pages", async () => {
    const first = await caller.triggers.firings({ projectId: "p1", triggerId: "t1", limit: 2 });
    expect(first.items.map((row) => row.firingId)).toEqual(["today-error", "today-1"]);
    expect(first.items[1]).toMatchObject({ eventAt: new Date(midnight + 1000).toISOString(), firedAt: new Date(now).toISOString() });
    const second = await caller.triggers.firings({ projectId: "p1", triggerId: "t1", limit: 2, cursor: first.nextCursor });
    expect(second.items.map((row) => row.firingId)).toEqual(["yesterday", "old"]);
    const third = await caller.triggers.firings({ projectId: "p1", triggerId: "t1", limit: 2, cursor: second.nextCursor });
    expect(third.items.map((row) => row.firingId)).toEqual(["legacy"]);
    expect(third.items[0]!.eventAt).toBe(third.items[0]!.firedAt);
    expect(third.nextCursor).toBeNull();
  });
});
