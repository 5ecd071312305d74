import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { PersonMerge } from "../../src/core/identity";
import type { BusMessage } from "../bus/types";
import { SinkWriter } from "./writer";

let offset = 0;
const message = (value: unknown): BusMessage => ({
  topic: TOPIC.enriched,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: JSON.stringify(value),
  headers: {},
  timestamp: Date.now(),
});
const merge = (from: string, into: string, id: string): PersonMerge => ({
  type: "merge",
  project_id: "proj_a",
  distinct_id: from,
  person_id: into,
  change_id: id,
  merged_at: 1_700_000_000_000,
});

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

async function overrides(): Promise<Array<[string, string]>> {
  const connection = await duckdb.connect();
  const reader = await connection.runAndReadAll("SELECT distinct_id, person_id FROM person_overrides ORDER BY distinct_id");
  connection.closeSync();
  return reader.getRows().map(([distinct, person]) => [String(distinct), String(person)]);
}

describe("the sink's person overrides", () => {
  it("applies merge records in order, re-pointing the ids of a merged person, and a redelivery changes nothing", async () => {
    const batch = [message(merge("anon-1", "user-1", "i1")), message(merge("anon-2", "user-2", "i2")), message(merge("user-1", "user-2", "m1"))];
    await writer.write(batch);
    const expected = [
      ["anon-1", "user-2"],
      ["anon-2", "user-2"],
      ["user-1", "user-2"],
    ];
    expect(await overrides()).toEqual(expected);
    await writer.write(batch);
    expect(await overrides()).toEqual(expected);
  });
});
