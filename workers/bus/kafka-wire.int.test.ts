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
