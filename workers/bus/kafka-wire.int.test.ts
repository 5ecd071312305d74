/**
 * The production wire format through a real broker: the processor's records go out as Avro in
 * zstd-compressed batches and come back as the same records; JSON written before the switch (or by
 * a producer rolled back to it) shares the topic and is read too.
 */
import kafkajs from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { EnrichedEvent } from "../../src/core/pipeline";
import type { FiringRecord } from "../../src/contracts/records";
import { encodeValue, isAvroRecord } from "../../src/contracts/wire/codec";
import { decodeForSink } from "../sink/writer";
import { createKafkaBus, type KafkaBus } from "./kafka-bus";
import type { BusMessage } from "./types";

const { CompressionCodecs, CompressionTypes } = kafkajs;
const brokers = inject("kafkaBrokers")
  .split(",")
  .map((broker) => broker.trim())
  .filter(Boolean);

const run = `wire-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const event = (i: number): EnrichedEvent => ({
  type: "event",
  event_id: `${run}-e${i}`,
  project_id: run,
  event_name: "purchase",
  cts: 1_700_000_000_000 + i,
  sts: 1_700_000_000_500 + i,
  profile_id: `user-${i % 7}`,
  props: { amount: i * 1.5, sku: `sku-${i % 13}`, tags: ["a", "b"] },
  ctx: { user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", country: "FR", source_format: "internal" },
  profile_props: { plan: i % 2 ? "pro" : "free" },
  browser: "Firefox",
  os: "Linux",
  device_type: "desktop",
});
const firing = (i: number): FiringRecord => ({
  kind: "firing",
  firing_id: `${run}-f${i}`,
  project_id: run,
  trigger_id: "t1",
  trigger_version: 2,
  trigger_name: "Big purchase",
  event_id: `${run}-e${i}`,
  event_name: "purchase",
  profile_id: `user-${i % 7}`,
  fired_at: 1_700_000_000_500 + i,
  event_ts: 1_700_000_000_000 + i,
  result: "fired",
  error: null,
  // No actions: other tests' action runners on a shared broker read this topic from the beginning.
  actions: [],
  event: event(i),
});

/** Counts the zstd codec's calls in this process, around the bus's own registration. */
function countZstd(): { compressed: number; decompressed: number } {
  const counts = { compressed: 0, decompressed: 0 };
  const inner = CompressionCodecs[CompressionTypes.ZSTD]();
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => (counts.compressed++, inner.compress(encoder)),
    decompress: (buffer: Buffer) => (counts.decompressed++, inner.decompress(buffer)),
  });
  return counts;
}

let bus: KafkaBus | undefined;
afterAll(async () => bus?.close());

describe("Avro in zstd batches on a real broker", () => {
  it("carries the processor's records and reads them back with JSON ones on the same topics", async () => {
    bus = createKafkaBus({ brokers, clientId: "prism-wire-test", logLevel: "nothing", consumer: { maxWaitTimeMs: 250 } });
    expect(bus.recordFormat).toBe("avro");
    const zstd = countZstd();

    const avro = Array.from({ length: 40 }, (_, i) => [
      { topic: TOPIC.enriched, key: `${run}:user-${i % 7}`, ...encodeValue("avro", "enriched_event", event(i)) },
      { topic: TOPIC.triggered, key: `${run}:user-${i % 7}`, ...encodeValue("avro", "firing", firing(i)) },
    ]).flat();
    // Written by a producer still on JSON: the consumers read it beside the Avro.
    const json = [
      { topic: TOPIC.enriched, key: `${run}:json`, ...encodeValue("json", "enriched_event", event(100)) },
      { topic: TOPIC.triggered, key: `${run}:json`, ...encodeValue("json", "firing", firing(100)) },
    ];
    await bus.produce([...avro, ...json]);
    expect(zstd.compressed).toBeGreaterThan(0);

    const received: BusMessage[] = [];
    const expected = avro.length + json.length;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const subscription = await bus.subscribe({
      groupId: `${run}-reader`,
      topics: [TOPIC.enriched, TOPIC.triggered],
      fromBeginning: true,
      concurrentPartitions: 4,
      handleBatch: async ({ messages }) => {
        for (const message of messages) if (message.key?.startsWith(`${run}:`)) received.push(message);
        if (received.length >= expected) done();
      },
    });
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`read ${received.length} of ${expected}`)), 60_000))]);
    await subscription.stop();
    expect(zstd.decompressed).toBeGreaterThan(0);

    expect(received.filter((message) => isAvroRecord(message.bytes))).toHaveLength(avro.length);
    const decoded = received.map(decodeForSink);
    const events = decoded.flatMap((record) => (record.kind === "event" ? [record.event] : []));
    const firings = decoded.flatMap((record) => (record.kind === "firing" ? [record.firing] : []));
    expect(decoded.filter((record) => record.kind === "undecodable")).toEqual([]);
    const byId = <T extends { event_id: string }>(records: T[]) => [...records].sort((a, b) => a.event_id.localeCompare(b.event_id));
    const viaJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    expect(viaJson(byId(events))).toEqual(viaJson(byId([...Array.from({ length: 40 }, (_, i) => event(i)), event(100)])));
    expect(viaJson(byId(firings))).toEqual(viaJson(byId([...Array.from({ length: 40 }, (_, i) => firing(i)), firing(100)])));
  }, 120_000);
});

describe("packs of Avro records on a real broker", () => {
  it("put a produce's records for one partition in one message, and hand them back one by one, in order, never split across batches", async () => {
    bus ??= createKafkaBus({ brokers, clientId: "prism-wire-test", logLevel: "nothing", consumer: { maxWaitTimeMs: 250 } });
    const packRun = `${run}-pack`;
    const records = Array.from({ length: 300 }, (_, i) => ({
      topic: TOPIC.enriched,
      key: `${packRun}:user-${i % 7}`,
      ...encodeValue("avro", "enriched_event", { ...event(i), project_id: packRun, event_id: `${packRun}-e${i}` }),
      headers: (i % 2 ? { "x-seq": String(i) } : {}) as Record<string, string>,
    }));
    // The same keys as JSON (never packed): where kafkajs's own partitioner puts each key.
    const plain = Array.from({ length: 7 }, (_, i) => ({
      topic: TOPIC.enriched,
      key: `${packRun}:user-${i}`,
      ...encodeValue("json", "enriched_event", { ...event(1000 + i), project_id: packRun, event_id: `${packRun}-j${i}` }),
    }));
    const packed = await bus.produce(records);
    const unpacked = await bus.produce(plain);
    const partitionOfKey = new Map(plain.map((record, i) => [record.key, unpacked[i]!.partition]));
    expect(packed.map((offset) => offset.partition)).toEqual(records.map((record) => partitionOfKey.get(record.key)));
    const messages = new Set(packed.map((offset) => `${offset.partition}:${offset.offset}`));
    expect(messages.size).toBeLessThanOrEqual(new Set(packed.map((offset) => offset.partition)).size);

    const received: BusMessage[] = [];
    const batchesOfOffset = new Map<string, Set<number>>();
    let batches = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const subscription = await bus.subscribe({
      groupId: `${packRun}-reader`,
      topics: [TOPIC.enriched],
      fromBeginning: true,
      maxBatchSize: 7,
      handleBatch: async ({ messages: batch }) => {
        batches++;
        for (const message of batch) {
          const at = `${message.partition}:${message.offset}`;
          batchesOfOffset.set(at, (batchesOfOffset.get(at) ?? new Set()).add(batches));
          if (message.key?.startsWith(`${packRun}:`)) received.push(message);
        }
        if (received.length >= records.length + plain.length) done();
      },
    });
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`read ${received.length}`)), 60_000))]);
    await subscription.stop();

    for (const offset of messages) expect(batchesOfOffset.get(offset)?.size).toBe(1);
    const packedReceived = received.filter((message) => message.index !== undefined);
    expect(packedReceived).toHaveLength(records.length);
    const decoded = packedReceived.map((message) => ({ message, record: decodeForSink(message) }));
    for (let user = 0; user < 7; user++) {
      const mine = decoded.filter(({ message }) => message.key === `${packRun}:user-${user}`);
      const ids = mine.map(({ record }) => (record.kind === "event" ? record.event.event_id : record.kind));
      expect(ids).toEqual(records.flatMap((_, i) => (i % 7 === user ? [`${packRun}-e${i}`] : [])));
      for (const { message, record } of mine) {
        const i = Number((record.kind === "event" ? record.event.event_id : "").split("-e").pop());
        expect(message.headers).toEqual(i % 2 ? { "x-seq": String(i) } : {});
      }
    }
  }, 120_000);
});
