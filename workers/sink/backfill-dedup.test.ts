import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { EnrichedEvent } from "../../src/core/pipeline";
import type { BusMessage } from "../bus/types";
import { SinkWriter } from "./writer";

const DAY = 86_400_000;
let offset = 0;
const message = (value: EnrichedEvent): BusMessage => ({
  topic: TOPIC.enriched,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: JSON.stringify(value),
  headers: {},
  timestamp: Date.now(),
});

const imported = (id: string, cts: number, sts: number, backfill = true): EnrichedEvent => ({
  type: "event",
  event_id: id,
  project_id: "proj_a",
  event_name: "purchase",
  cts,
  sts,
  profile_id: "alice",
  props: { amount: 3 },
  ctx: {},
  profile_props: {},
  browser: null,
  os: null,
  device_type: null,
  ...(backfill ? { backfill: { job_id: "imp_1", fire_actions: false } } : {}),
});

describe("SinkWriter and imported events", () => {
  let duckdb: DuckDBInstance;
  let writer: SinkWriter;
  beforeEach(async () => {
    duckdb = await DuckDBInstance.create(":memory:");
    writer = new SinkWriter(duckdb);
  });
  afterEach(() => {
    writer.close();
    duckdb.closeSync();
  });

  async function ids() {
    const connection = await duckdb.connect();
    try {
      return (await connection.runAndReadAll("SELECT event_id FROM events ORDER BY event_id")).getRowObjectsJson().map((row) => row.event_id);
    } finally {
      connection.closeSync();
    }
  }

  it("stores a file imported again a week later once: the second copy arrives with another received_at but the same event time", async () => {
    const importedAt = Date.UTC(2026, 5, 1);
    const first = [imported("mp-1", importedAt - 400 * DAY, importedAt), imported("mp-2", importedAt - 30 * DAY, importedAt)];
    await writer.write(first.map(message));
    const again = first.map((event) => ({ ...event, sts: importedAt + 7 * DAY }));
    await writer.write([...again.map(message), message(imported("mp-3", importedAt - 20 * DAY, importedAt + 7 * DAY))]);
    expect(await ids()).toEqual(["mp-1", "mp-2", "mp-3"]);
  });
});
