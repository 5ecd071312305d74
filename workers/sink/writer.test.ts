import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { EnrichedEvent, Firing, ProfileChange } from "../../src/core/pipeline";
import { decodeAvro, encodeAvro } from "../../src/contracts/wire/codec";
import type { BusMessage } from "../bus/types";
import { ANALYTICS_DDL } from "./schema";
import { SinkWriter } from "./writer";

let offset = 0;
const message = (topic: string, value: unknown): BusMessage => ({
  topic,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: typeof value === "string" ? value : JSON.stringify(value),
  headers: {},
  timestamp: Date.now(),
});

const event = (id: string, overrides: Partial<EnrichedEvent> = {}): EnrichedEvent => ({
  type: "event",
  event_id: id,
  project_id: "proj_a",
  event_name: "purchase",
  cts: 1_700_000_000_000,
  sts: 1_700_000_000_500,
  profile_id: "alice",
  props: { amount: 12.5, "it's": "quoted" },
  ctx: { user_agent: "curl" },
  profile_props: { vip_level: 3 },
  browser: null,
  os: null,
  device_type: null,
  ...overrides,
});

const firing: Firing = {
  firing_id: "fir_1",
  project_id: "proj_a",
  trigger_id: "t1",
  trigger_version: 1,
  trigger_name: "Big purchase",
  event_id: "e1",
  event_name: "purchase",
  profile_id: "alice",
  fired_at: 1_700_000_000_500,
  result: "fired",
  error: null,
  actions: [{ type: "notification", title: "Big", body: "" }],
  event: event("e1"),
};

const change = (id: string, at: number, props: ProfileChange["props"]): ProfileChange => ({
  type: "profile",
  project_id: "proj_a",
  profile_id: "alice",
  change_id: id,
  changed_at: at,
  set: props,
  set_once: {},
  unset: [],
  props,
  created_at: 1000,
  updated_at: at,
});

describe("SinkWriter", () => {
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

  async function rows(sql: string) {
    const connection = await duckdb.connect();
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJson();
    } finally {
      connection.closeSync();
    }
  }

  it("writes each event once, however often it is delivered", async () => {
    await writer.write([message(TOPIC.enriched, event("e1")), message(TOPIC.enriched, event("e2")), message(TOPIC.enriched, event("e1"))]);
    await writer.write([message(TOPIC.enriched, event("e2")), message(TOPIC.enriched, event("e3"))]);
    expect(await rows("SELECT event_id, props->>'$.\"it''s\"' AS quoted, epoch_ms(ts) AS ts FROM events ORDER BY event_id")).toEqual([
      { event_id: "e1", quoted: "quoted", ts: "1700000000000" },
      { event_id: "e2", quoted: "quoted", ts: "1700000000000" },
      { event_id: "e3", quoted: "quoted", ts: "1700000000000" },
    ]);
  });

  it("keeps the latest profile state and every change once, even when changes arrive late", async () => {
    await writer.write([message(TOPIC.enriched, change("c1", 2000, { plan: "free" })), message(TOPIC.enriched, change("c3", 4000, { plan: "team" }))]);
    await writer.write([message(TOPIC.enriched, change("c2", 3000, { plan: "pro" })), message(TOPIC.enriched, change("c1", 2000, { plan: "free" }))]);
    expect(await rows("SELECT props::VARCHAR AS props FROM profiles")).toEqual([{ props: '{"plan":"team"}' }]);
    expect(await rows("SELECT change_id FROM profile_changes ORDER BY change_id")).toEqual([{ change_id: "c1" }, { change_id: "c2" }, { change_id: "c3" }]);
  });

  it("logs each firing once and hands back undecodable records for the dead-letter topic", async () => {
    const result = await writer.write([
      message(TOPIC.triggered, firing),
      message(TOPIC.triggered, firing),
      message(TOPIC.enriched, "{not json"),
      message(TOPIC.enriched, { type: "event", event_id: 5 }),
    ]);
    expect(result.firings).toBe(2);
    expect(result.undecodable.map((record) => record.topic)).toEqual([TOPIC.dlq, TOPIC.dlq]);
    expect(result.undecodable[1]!.value).toContain("sink could not decode");
    expect(await rows("SELECT firing_id, trigger_name FROM trigger_logs")).toEqual([{ firing_id: "fir_1", trigger_name: "Big purchase" }]);
  });

  it("keeps a firing's event time beside its processing time, and falls back to the processing time without one", async () => {
    const backfilled = { ...firing, firing_id: "fir_2", event_id: "e2", event_ts: 1_699_000_000_000 };
    await writer.write([message(TOPIC.triggered, backfilled), message(TOPIC.triggered, firing)]);
    expect(
      await rows("SELECT firing_id, epoch_ms(event_ts)::DOUBLE AS event_ms, epoch_ms(fired_at)::DOUBLE AS fired_ms FROM trigger_logs ORDER BY firing_id"),
    ).toEqual([
      { firing_id: "fir_1", event_ms: 1_700_000_000_500, fired_ms: 1_700_000_000_500 },
      { firing_id: "fir_2", event_ms: 1_699_000_000_000, fired_ms: 1_700_000_000_500 },
    ]);
  });

  it("stores an Avro record's JSON text as stringifying its parsed fields did, and the same instants", async () => {
    // JSON.parse makes an own `__proto__` key; lone surrogates stay escaped; big numbers keep their spelling.
    const tricky = JSON.parse(
      '{"__proto__":{"x":1},"big":12345678901234567890,"tiny":5e-324,"neg":-0,"lone":"\\udc00a\\ud800","2":"integer key","nested":[{"__proto__":null}]}',
    ) as EnrichedEvent["props"];
    const wild = event("e\ud800", {
      props: tricky,
      ctx: { user_agent: "x\udfff", country: "FR" },
      profile_props: tricky,
      violations: [{ type: "unplanned_event", message: "\ud83d" }],
      cts: -1_234_567,
      sts: 1_700_000_000_999,
    });
    const quiet = event("e2", { violations: [], props: {}, profile_props: {} });
    const trickyFiring = {
      kind: "firing" as const,
      ...firing,
      firing_id: "fir_\ud800",
      actions: JSON.parse('[{"type":"webhook","url":"x","__proto__":{"y":2}}]'),
    };
    const avro = (topic: string, bytes: Buffer): BusMessage => ({ ...message(topic, ""), value: "", bytes });
    const records = [avro(TOPIC.enriched, encodeAvro("enriched_event", wild)), avro(TOPIC.enriched, encodeAvro("enriched_event", quiet))];
    const firingBytes = encodeAvro("firing", trickyFiring);
    await writer.write([...records, avro(TOPIC.triggered, firingBytes)]);

    // What the sink stored before it kept the text: JSON.stringify of what decodeAvro parsed.
    const before = records.map((record) => {
      const decoded = decodeAvro(record.bytes!);
      if (!decoded.ok || decoded.kind !== "enriched_event") throw new Error("does not decode");
      const { props, ctx, profile_props, violations } = decoded.record;
      return {
        props: JSON.stringify(props),
        ctx: JSON.stringify(ctx),
        profile_props: JSON.stringify(profile_props),
        violations: violations && violations.length > 0 ? JSON.stringify(violations) : null,
      };
    });
    const stored = await rows(
      "SELECT props::VARCHAR AS props, ctx::VARCHAR AS ctx, profile_props::VARCHAR AS profile_props, violations::VARCHAR AS violations FROM events ORDER BY ts",
    );
    expect(stored).toEqual(before);
    expect(stored[0]!.props).toContain('"__proto__":{"x":1}');
    expect(stored[0]!.props).toContain("\\udc00a\\ud800");
    expect(await rows("SELECT epoch_us(ts)::VARCHAR AS ts, epoch_us(received_at)::VARCHAR AS received FROM events ORDER BY ts")).toEqual([
      { ts: "-1234567000", received: "1700000000999000" },
      { ts: "1700000000000000", received: "1700000000500000" },
    ]);
    const decodedFiring = decodeAvro(firingBytes);
    expect(await rows("SELECT actions::VARCHAR AS actions FROM trigger_logs")).toEqual([
      { actions: JSON.stringify(decodedFiring.ok && decodedFiring.kind === "firing" && decodedFiring.record.actions) },
    ]);
  });

  it("stores dead letters keyed by their position, so a redelivery adds nothing", async () => {
    const letter = {
      project_id: "proj_a",
      received_at: 1000,
      reason: "datatype_mismatch",
      violations: [{ type: "datatype_mismatch", message: "amount" }],
      payload: { a: 1 },
    };
    const dead = message(TOPIC.dlq, letter);
    await writer.write([dead]);
    await writer.write([dead]);
    expect(await rows("SELECT reason, payload::VARCHAR AS payload FROM dead_letters")).toEqual([{ reason: "datatype_mismatch", payload: '{"a":1}' }]);
  });

  it("commits nothing of a failed write, and the retry stores every record once", async () => {
    await writer.write([message(TOPIC.enriched, event("e0"))]);
    const admin = await duckdb.connect();
    // A table the write needs disappears, as a full disk or a bad file would fail it half-way.
    await admin.run("DROP TABLE profiles");
    const batch = [
      message(TOPIC.enriched, event("e1")),
      message(TOPIC.triggered, { ...firing, firing_id: "fir_9", event_id: "e1" }),
      message(TOPIC.enriched, change("c1", 2000, { plan: "pro" })),
      message(TOPIC.enriched, event("e2")),
    ];
    await expect(writer.write(batch)).rejects.toThrow(/profiles/);
    expect(await rows("SELECT event_id FROM events ORDER BY event_id")).toEqual([{ event_id: "e0" }]);
    expect(await rows("SELECT count(*)::INTEGER AS n FROM trigger_logs")).toEqual([{ n: 0 }]);

    await admin.run(ANALYTICS_DDL.find((statement) => statement.includes("TABLE IF NOT EXISTS profiles"))!);
    admin.closeSync();
    await writer.write(batch);
    await writer.write(batch);
    expect(await rows("SELECT event_id FROM events ORDER BY event_id")).toEqual([{ event_id: "e0" }, { event_id: "e1" }, { event_id: "e2" }]);
    expect(await rows("SELECT firing_id FROM trigger_logs")).toEqual([{ firing_id: "fir_9" }]);
    expect(await rows("SELECT props::VARCHAR AS props FROM profiles")).toEqual([{ props: '{"plan":"pro"}' }]);
  });
});

describe("the analytics schema", () => {
  it("rebuilds a trigger_logs table of an older file without its primary key, keeping its rows", async () => {
    const duckdb = await DuckDBInstance.create(":memory:");
    const connection = await duckdb.connect();
    await connection.run(`CREATE TABLE trigger_logs (project_id VARCHAR NOT NULL, firing_id VARCHAR NOT NULL, trigger_id VARCHAR NOT NULL,
      trigger_version INTEGER NOT NULL, trigger_name VARCHAR NOT NULL, event_id VARCHAR NOT NULL, event_name VARCHAR NOT NULL, profile_id VARCHAR,
      fired_at TIMESTAMPTZ NOT NULL, result VARCHAR NOT NULL, error VARCHAR, actions JSON NOT NULL, PRIMARY KEY (project_id, firing_id))`);
    await connection.run(`INSERT INTO trigger_logs VALUES ('proj_a', 'fir_old', 't1', 1, 'Big', 'e1', 'purchase', 'alice', '2026-01-01', 'fired', NULL, '[]')`);
    const writer = new SinkWriter(duckdb);
    await writer.write([message(TOPIC.triggered, firing), message(TOPIC.triggered, firing)]);
    const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
    expect(await read("SELECT firing_id FROM trigger_logs ORDER BY firing_id")).toEqual([{ firing_id: "fir_1" }, { firing_id: "fir_old" }]);
    expect(await read("SELECT count(*)::INTEGER AS n FROM duckdb_constraints() WHERE table_name = 'trigger_logs' AND constraint_type = 'PRIMARY KEY'")).toEqual(
      [{ n: 0 }],
    );
    writer.close();
    connection.closeSync();
    duckdb.closeSync();
  });
});
