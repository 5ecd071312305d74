import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TOPIC, type JsonObject, type JsonValue } from "../../src/core/events";
import type { EnrichedEvent, Firing, ProfileChange } from "../../src/core/pipeline";
import type { BusMessage } from "../bus/types";
import { HOUR_OF_TS } from "./rollups";
import { decodeForSink, SinkWriter } from "./writer";

/**
 * The sink must never get stuck: whatever lands on its topics (well-formed, odd, damaged or
 * hostile records), each write succeeds, stores every record the decoder accepts exactly once and
 * hands every other one back for `event.dlq`. A write that throws would be retried forever.
 */

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", "é", "a'b", 'q"uote', "\\", "\u2028", "😀", "__proto__", "x".repeat(130)));
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    text,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(text, tie("value"), { maxKeys: 3 }),
  ),
})).value;
const object = fc.dictionary(fc.oneof(text, fc.constantFrom("__proto__", "constructor", "amount")), json, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;
/** Mostly what the processor writes, sometimes an edge case. */
const usually = <T, U>(typical: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ arbitrary: typical, weight: 4 }, { arbitrary: odd, weight: 1 });
const name = fc.stringMatching(/^[a-z_]{1,12}$/);
const ms = usually(
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(-1, 1.5, 253402300799999, 253402300800000)),
);

const event: fc.Arbitrary<EnrichedEvent> = fc.record({
  type: fc.constant("event" as const),
  event_id: usually(fc.uuid(), text),
  project_id: fc.constantFrom("proj_a", "proj_b", ""),
  event_name: usually(fc.constantFrom("purchase", "login"), text),
  cts: ms,
  sts: ms,
  profile_id: fc.option(usually(fc.constantFrom("alice", "bob"), text)),
  props: object,
  ctx: fc.oneof(
    fc.record({ user_agent: fc.string({ maxLength: 40 }), ip: fc.constantFrom("1.2.3.4") }, { requiredKeys: [] }),
    fc.record({ country: text, source_format: fc.constantFrom("internal", "segment", "csv") }, { requiredKeys: [] }),
    object,
  ),
  profile_props: object,
  browser: fc.option(usually(name, text)),
  os: fc.option(usually(name, text)),
  device_type: fc.option(fc.constantFrom("desktop", "mobile")),
}) as fc.Arbitrary<EnrichedEvent>;

const change: fc.Arbitrary<ProfileChange> = fc.record({
  type: fc.constant("profile" as const),
  project_id: fc.constantFrom("proj_a", "proj_b"),
  profile_id: usually(fc.constantFrom("alice", "bob"), text),
  change_id: usually(fc.uuid(), text),
  changed_at: ms,
  set: object,
  set_once: object,
  unset: usually(fc.constant<string[]>([]), fc.array(text, { maxLength: 2 })),
  props: object,
  created_at: ms,
  updated_at: ms,
});

const firing: fc.Arbitrary<Firing> = fc.record({
  firing_id: usually(fc.uuid(), text),
  project_id: fc.constantFrom("proj_a", "proj_b"),
  trigger_id: fc.constantFrom("t1", "t2"),
  trigger_version: usually(fc.integer({ min: 1, max: 5 }), fc.constantFrom(2 ** 31, -1)),
  trigger_name: usually(name, text),
  event_id: usually(fc.uuid(), text),
  event_name: usually(name, text),
  profile_id: fc.option(usually(name, text)),
  fired_at: ms,
  result: fc.constantFrom("fired" as const, "error" as const),
  error: fc.option(text),
  actions: usually(fc.constant([]), fc.constant([{ type: "notification" as const, title: "Big", body: "" }])),
}) as fc.Arbitrary<Firing>;

/** A record damaged the way a buggy or hostile producer might: a field dropped, retyped or added. */
const damaged = (record: fc.Arbitrary<object>) =>
  fc.tuple(record, fc.nat(), fc.constantFrom<JsonValue | undefined>(undefined, 5, "5", null, {}, [], 1.5, true)).map(([value, pick, replacement]) => {
    const entries = Object.entries(value);
    const [key] = entries[pick % entries.length]!;
    const copy: Record<string, unknown> = { ...value };
    if (replacement === undefined) delete copy[key];
    else copy[key] = replacement;
    return copy;
  });

const recordText = fc.oneof(
  { arbitrary: event.map((value) => ({ topic: TOPIC.enriched, value: JSON.stringify(value) })), weight: 4 },
  { arbitrary: change.map((value) => ({ topic: TOPIC.enriched, value: JSON.stringify(value) })), weight: 2 },
  { arbitrary: firing.map((value) => ({ topic: TOPIC.triggered, value: JSON.stringify(value) })), weight: 2 },
  { arbitrary: damaged(event).map((value) => ({ topic: TOPIC.enriched, value: JSON.stringify(value) })), weight: 2 },
  { arbitrary: damaged(change).map((value) => ({ topic: TOPIC.enriched, value: JSON.stringify(value) })), weight: 1 },
  { arbitrary: damaged(firing).map((value) => ({ topic: TOPIC.triggered, value: JSON.stringify(value) })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom("{not json", "[1]", "null", '"event"', "{}", '{"type":"event"}', '{"kind":"action_result"}')
      .map((value) => ({ topic: TOPIC.enriched, value })),
    weight: 1,
  },
);

/**
 * The sink's input contract: an event_id (firing_id) stands for one record, whose time is fixed (the
 * processor drops a client's resend before the sink, so only redeliveries of the same record come
 * twice). A later generated record that reuses a stored id becomes that record again.
 */
function oneRecordPerId(batches: { topic: string; value: string }[][]): { topic: string; value: string }[][] {
  const first = new Map<string, string>();
  const wellFormed = (text: unknown) => (String(text) as string & { toWellFormed(): string }).toWellFormed();
  return batches.map((batch) =>
    batch.map((record) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(record.value);
      } catch {
        return record;
      }
      if (typeof parsed !== "object" || parsed === null) return record;
      const { project_id, event_id, firing_id, type } = parsed as Record<string, unknown>;
      const id = record.topic === TOPIC.enriched && type === "event" ? event_id : record.topic === TOPIC.triggered ? firing_id : undefined;
      if (id === undefined) return record;
      const key = JSON.stringify([record.topic, wellFormed(project_id), wellFormed(id)]);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, record.value);
      return earlier === undefined ? record : { ...record, value: earlier };
    }),
  );
}

const asMessages = (records: { topic: string; value: string }[]): BusMessage[] =>
  records.map((record, i) => ({ ...record, partition: 0, offset: String(i), key: null, headers: { "trace-id": `t${i}` }, timestamp: 1_700_000_000_000 }));

async function stored(duckdb: DuckDBInstance) {
  const connection = await duckdb.connect();
  try {
    const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson().map((row) => JSON.stringify(Object.values(row)));
    return {
      events: await read("SELECT project_id, event_id FROM events ORDER BY ALL"),
      changes: await read("SELECT project_id, change_id FROM profile_changes ORDER BY ALL"),
      firings: await read("SELECT project_id, firing_id FROM trigger_logs ORDER BY ALL"),
      // The hourly counts the sink keeps, and the same counted from the stored events.
      counts: await read("SELECT project_id, event_name, hour, events FROM event_counts ORDER BY ALL"),
      recounted: await read(`SELECT project_id, event_name, ${HOUR_OF_TS} AS hour, count(*) AS events FROM events GROUP BY ALL ORDER BY ALL`),
    };
  } finally {
    connection.closeSync();
  }
}

/** What the decoder accepts, keyed like the tables, with lone surrogates stored as U+FFFD. */
function expected(messages: BusMessage[]) {
  const key = (...parts: string[]) => JSON.stringify(parts.map((part) => (part as string & { toWellFormed(): string }).toWellFormed()));
  const events = new Set<string>();
  const changes = new Set<string>();
  const firings = new Set<string>();
  for (const message of messages) {
    const decoded = decodeForSink(message);
    if (decoded.kind === "event") events.add(key(decoded.event.project_id, decoded.event.event_id));
    if (decoded.kind === "profile") changes.add(key(decoded.change.project_id, decoded.change.change_id));
    if (decoded.kind === "firing") firings.add(key(decoded.firing.project_id, decoded.firing.firing_id));
  }
  const sorted = (set: Set<string>) => [...set].sort();
  return { events: sorted(events), changes: sorted(changes), firings: sorted(firings) };
}

async function withWriter<T>(test: (writer: SinkWriter, duckdb: DuckDBInstance) => Promise<T>): Promise<T> {
  const duckdb = await DuckDBInstance.create(":memory:");
  const writer = new SinkWriter(duckdb);
  try {
    return await test(writer, duckdb);
  } finally {
    writer.close();
    duckdb.closeSync();
  }
}

describe("SinkWriter with any records", () => {
  it("never fails a write, stores each accepted record once, counts each stored event once by hour, and refuses the rest", async () => {
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(recordText, { maxLength: 12 }), { minLength: 1, maxLength: 3 }), async (batches) => {
        await withWriter(async (writer, duckdb) => {
          const messages = oneRecordPerId(batches).map(asMessages);
          for (const batch of messages) {
            const result = await writer.write(batch);
            expect(result.events + result.profileChanges + result.firings + result.deadLetters + result.undecodable.length).toBe(batch.length);
            refused += result.undecodable.length;
            accepted += result.events + result.profileChanges + result.firings;
          }
          // Redelivery adds nothing.
          await writer.write(messages.flat());
          const tables = await stored(duckdb);
          const want = expected(messages.flat());
          expect([...tables.events].sort()).toEqual(want.events);
          expect([...tables.changes].sort()).toEqual(want.changes);
          expect([...tables.firings].sort()).toEqual(want.firings);
          expect(tables.counts).toEqual(tables.recounted);
        });
      }),
      { numRuns: 100 },
    );
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(100);
    // A hundred DuckDB instances: longer than the default on a busy machine.
  }, 300_000);

  it("stores a lone surrogate (legal in a JSON escape) as U+FFFD instead of failing the batch", async () => {
    await withWriter(async (writer, duckdb) => {
      const event: EnrichedEvent = {
        type: "event",
        event_id: "e1",
        project_id: "proj_a",
        event_name: "purchase",
        cts: 1_700_000_000_000,
        sts: 1_700_000_000_001,
        profile_id: "user-\ud800",
        props: { note: "\udc00" },
        ctx: {},
        profile_props: {},
        browser: null,
        os: null,
        device_type: null,
      };
      const batch = asMessages([
        { topic: TOPIC.enriched, value: JSON.stringify(event) },
        { topic: TOPIC.enriched, value: JSON.stringify({ ...event, event_id: "e2", profile_id: "bob" }) },
        { topic: TOPIC.enriched, value: JSON.stringify({ ...event, event_id: "e3-\udfff" }) },
      ]);
      const result = await writer.write(batch);
      expect(result.events).toBe(3);
      // A redelivery finds the stored ids although they now read U+FFFD.
      await writer.write(batch);
      const connection = await duckdb.connect();
      const rows = (await connection.runAndReadAll("SELECT event_id, profile_id, props::VARCHAR AS props FROM events ORDER BY event_id")).getRowObjectsJson();
      connection.closeSync();
      expect(rows).toEqual([
        { event_id: "e1", profile_id: "user-\ufffd", props: '{"note":"\\udc00"}' },
        { event_id: "e2", profile_id: "bob", props: '{"note":"\\udc00"}' },
        { event_id: "e3-\ufffd", profile_id: "user-\ufffd", props: '{"note":"\\udc00"}' },
      ]);
    });
  });

  it("refuses firings and action results whose numbers do not fit the table, and keeps writing", async () => {
    await withWriter(async (writer) => {
      const firing: Firing = {
        firing_id: "fir_1",
        project_id: "proj_a",
        trigger_id: "t1",
        trigger_version: 2 ** 31,
        trigger_name: "Big purchase",
        event_id: "e1",
        event_name: "purchase",
        profile_id: "alice",
        fired_at: 1_700_000_000_001,
        result: "fired",
        error: null,
        actions: [],
      };
      const result = await writer.write(
        asMessages([
          { topic: TOPIC.triggered, value: JSON.stringify(firing) },
          { topic: TOPIC.triggered, value: JSON.stringify({ ...firing, firing_id: "fir_2", trigger_version: 3 }) },
        ]),
      );
      expect(result.firings).toBe(1);
      expect(result.undecodable).toHaveLength(1);
      expect(result.undecodable[0]!.value).toContain("trigger_version");
      const actionResult = {
        kind: "action_result",
        project_id: "proj_a",
        firing_id: "fir_2",
        action_index: 2 ** 40,
        action_type: "webhook",
        status: "succeeded",
        detail: "",
        at: 1,
      };
      const next = await writer.write(
        asMessages([
          { topic: TOPIC.triggered, value: JSON.stringify(actionResult) },
          { topic: TOPIC.triggered, value: JSON.stringify({ ...actionResult, action_index: 0 }) },
        ]),
      );
      expect(next.undecodable).toHaveLength(1);
      expect(next.undecodable[0]!.value).toContain("action_index");
    });
  });
});
