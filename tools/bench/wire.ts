/**
 * `npm run bench:wire`: the internal topics' wire format, before (JSON, uncompressed) and after
 * (Avro in zstd batches), on the worker benchmark's workload (its events and 20 rules).
 *
 * 1. CPU per event in this process, A/B rounds interleaved, medians:
 *    - processor: the pure steps writing an event's outputs (its enriched record and its share of
 *      firings), in each format; the difference is the encoding;
 *    - sink: reading those outputs back (decodeForSink: JSON.parse + zod, or Avro);
 *    - zstd: compressing (the producer) and decompressing (the consumer) them in batches of 125
 *      records, as kafkajs sends a partition's share of a 500-record request; without zstd, neither.
 * 2. Bytes on the broker: the same outputs produced through the Kafka bus to fresh 4-partition
 *    topics, one per format and compression, and the size of their log segments on disk.
 *    The broker is started here, or KAFKA_BROKERS with BENCH_KAFKA_DATA_DIR (its log.dirs).
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { compress, decompress } from "@mongodb-js/zstd";
import { Kafka, logLevel } from "kafkajs";
import { TOPIC, kafkaKeyOf } from "../../src/core/events";
import { projectTriggers } from "../../src/core/processing";
import { compileRule } from "../../src/core/rules";
import { encodeValue, type RecordFormat } from "../../src/contracts/wire/codec";
import type { WireRecordKind } from "../../src/contracts/wire/schemas";
import { createKafkaBus, type KafkaCompression } from "../../workers/bus/kafka-bus";
import type { BusMessage, ProduceRecord } from "../../workers/bus/types";
import { SAME_PERSON } from "../../workers/processor/identity";
import type { LoadedTrigger } from "../../workers/processor/rule-registry";
import type { ProfileState } from "../../workers/processor/state-store";
import { decodeBatch, dropSeen, processRecords, type Decoded } from "../../workers/processor/steps";
import { createUserAgentParser } from "../../workers/processor/user-agent";
import { decodeForSink } from "../../workers/sink/writer";
import { startLocalBroker } from "../kafka/local-broker";
import { BENCH_PROJECT, benchEvents, benchRules } from "./workload";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 5000;
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const µs = (ms: number) => `${((ms * 1000) / EVENTS).toFixed(2)} µs`;

function asMessages(records: ProduceRecord[]): BusMessage[] {
  return records.map((record, i) => ({
    topic: record.topic,
    partition: 0,
    offset: String(i),
    key: record.key ?? null,
    value: record.value,
    headers: record.headers ?? {},
    timestamp: 0,
    ...(record.bytes ? { bytes: record.bytes } : {}),
  }));
}

const valueBytes = (record: ProduceRecord) => (record.bytes ? Buffer.from(record.bytes) : Buffer.from(record.value));

async function logBytes(dataDir: string, topic: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dataDir)) {
    if (!entry.startsWith(`${topic}-`) || !/-\d+$/.test(entry)) continue;
    for (const file of await readdir(path.join(dataDir, entry))) if (file.endsWith(".log")) total += (await stat(path.join(dataDir, entry, file))).size;
  }
  return total;
}

async function main() {
  const triggers: LoadedTrigger[] = benchRules().map((rule, index) => ({
    id: `rule-${index + 1}`,
    projectId: BENCH_PROJECT,
    name: `rule ${index + 1}`,
    version: 1,
    cooldownMs: 0,
    actions: [],
    rule: compileRule(rule, []),
  }));
  const rules = projectTriggers(triggers);
  const parseUserAgent = createUserAgentParser();
  const next = benchEvents();
  const now = Date.now();
  const batches: Decoded[][] = [];
  for (let start = 0; start < EVENTS; start += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, EVENTS - start) }, (_, i) => next(now + Math.floor((start + i) / 50)));
    const messages = asMessages(events.map((event) => ({ topic: TOPIC.raw, key: kafkaKeyOf(event), value: JSON.stringify(event) })));
    batches.push(dropSeen(decodeBatch(messages), new Set()).handled);
  }

  const outputsOf = (format: RecordFormat) => {
    const states = new Map<string, ProfileState>();
    const began = performance.now();
    const outputs = batches.flatMap((handled) => processRecords(handled, states, () => rules, parseUserAgent, SAME_PERSON, format).outputs);
    return { outputs, ms: performance.now() - began };
  };

  const cpu: Record<RecordFormat, { processor: number[]; sink: number[]; compress: number[]; decompress: number[] }> = {
    json: { processor: [], sink: [], compress: [], decompress: [] },
    avro: { processor: [], sink: [], compress: [], decompress: [] },
  };
  const outputs: Record<RecordFormat, ProduceRecord[]> = { json: [], avro: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const format of round % 2 === 0 ? (["json", "avro"] as const) : (["avro", "json"] as const)) {
      const produced = outputsOf(format);
      outputs[format] = produced.outputs;
      cpu[format].processor.push(produced.ms);
      const messages = asMessages(produced.outputs);
      let began = performance.now();
      let undecodable = 0;
      for (const message of messages) if (decodeForSink(message).kind === "undecodable") undecodable++;
      cpu[format].sink.push(performance.now() - began);
      if (undecodable > 0) throw new Error(`${undecodable} ${format} records did not decode`);
      const plain: Buffer[] = [];
      for (let start = 0; start < produced.outputs.length; start += 125) plain.push(Buffer.concat(produced.outputs.slice(start, start + 125).map(valueBytes)));
      began = performance.now();
      const packed: Buffer[] = [];
      for (const batch of plain) packed.push(await compress(batch, 3));
      cpu[format].compress.push(performance.now() - began);
      began = performance.now();
      for (const batch of packed) await decompress(batch);
      cpu[format].decompress.push(performance.now() - began);
    }
  }
  // Encoding alone, the part of the processor's figure the format changes (rule evaluation dominates the rest).
  const typed = outputs.json.map((record) => {
    const value = JSON.parse(record.value) as { type?: string; kind?: string };
    const kind =
      record.topic === TOPIC.triggered
        ? (value.kind as "firing" | "action_result")
        : value.type === "event"
          ? "enriched_event"
          : value.type === "profile"
            ? "profile_change"
            : "person_merge";
    return { kind: kind as WireRecordKind, value };
  });
  const encodeMs: Record<RecordFormat, number[]> = { json: [], avro: [] };
  for (let round = 0; round < ROUNDS * 2; round++) {
    for (const format of round % 2 === 0 ? (["json", "avro"] as const) : (["avro", "json"] as const)) {
      const began = performance.now();
      for (const { kind, value } of typed) encodeValue(format, kind, value as never);
      encodeMs[format].push(performance.now() - began);
    }
  }
  const firings = outputs.json.filter((record) => record.topic === TOPIC.triggered).length;
  const size = (format: RecordFormat) => outputs[format].reduce((sum, record) => sum + valueBytes(record).length, 0);

  say(`Wire format: ${EVENTS.toLocaleString("en")} events, 20 rules, ${firings.toLocaleString("en")} firings; ${ROUNDS} interleaved rounds, medians per event`);
  say("| figure | JSON (before) | Avro (after) | ratio |");
  say("| --- | --- | --- | --- |");
  say(
    `| encoding the outputs alone | ${µs(median(encodeMs.json))} | ${µs(median(encodeMs.avro))} | ${(median(encodeMs.avro) / median(encodeMs.json)).toFixed(2)}× |`,
  );
  for (const [name, key] of [
    ["processor steps, writing the outputs", "processor"],
    ["sink, reading the outputs (decodeForSink)", "sink"],
    ["zstd compress (producer), 125-record batches", "compress"],
    ["zstd decompress (consumer)", "decompress"],
  ] as const) {
    const before = median(cpu.json[key]);
    const after = median(cpu.avro[key]);
    say(`| ${name} | ${µs(before)} | ${µs(after)} | ${(after / before).toFixed(2)}× |`);
  }
  say(
    `| record values per event, uncompressed | ${(size("json") / EVENTS).toFixed(0)} B | ${(size("avro") / EVENTS).toFixed(0)} B | ${(size("avro") / size("json")).toFixed(2)}× |`,
  );

  // 2. Bytes on the broker.
  let brokers = process.env.KAFKA_BROKERS;
  let dataDir = process.env.BENCH_KAFKA_DATA_DIR;
  let stopBroker: (() => Promise<void>) | undefined;
  if (!brokers || !dataDir) {
    dataDir = path.join((await import("node:os")).tmpdir(), `prism-bench-wire-${Date.now()}`);
    const broker = await startLocalBroker({ dataDir });
    brokers = broker.brokers.join(",");
    stopBroker = broker.stop;
  }
  try {
    const admin = new Kafka({ clientId: "bench-wire", brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const run = Date.now();
    const configs: Array<{ format: RecordFormat; compression: KafkaCompression }> = [
      { format: "json", compression: "none" },
      { format: "json", compression: "zstd" },
      { format: "avro", compression: "none" },
      { format: "avro", compression: "zstd" },
    ];
    const topicOf = (config: (typeof configs)[number]) => `bench.wire.${run}.${config.format}.${config.compression}`;
    await admin.createTopics({ topics: configs.map((config) => ({ topic: topicOf(config), numPartitions: 4, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();
    const onDisk: number[] = [];
    for (const config of configs) {
      const bus = createKafkaBus({
        brokers: brokers.split(","),
        clientId: "bench-wire",
        logLevel: "error",
        recordFormat: config.format,
        compression: config.compression,
      });
      const topic = topicOf(config);
      const records = outputs[config.format].map((record) => ({ ...record, topic }));
      // The processor produces each batch's outputs in one call.
      const perBatch = Math.ceil(records.length / batches.length);
      for (let start = 0; start < records.length; start += perBatch) await bus.produce(records.slice(start, start + perBatch));
      await bus.close();
      onDisk.push(await logBytes(dataDir, topic));
    }
    say("");
    say(`Bytes on the broker (log segments, 4 partitions, ${outputs.json.length.toLocaleString("en")} records of event.enriched and event.triggered):`);
    say("| format | bytes per event | ratio to JSON, uncompressed |");
    say("| --- | --- | --- |");
    configs.forEach((config, i) =>
      say(`| ${config.format}, ${config.compression} | ${(onDisk[i]! / EVENTS).toFixed(0)} B | ${(onDisk[i]! / onDisk[0]!).toFixed(2)}× |`),
    );
  } finally {
    await stopBroker?.();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
