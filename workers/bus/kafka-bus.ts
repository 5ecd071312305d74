/**
 * The Bus on Apache Kafka, through kafkajs: one idempotent producer for the process, and one
 * kafkajs consumer per subscription, consuming with eachBatch and committing by hand. Record
 * batches are zstd-compressed (./zstd.ts) and the internal topics carry Avro (src/contracts/wire),
 * the spec's production format; both can be turned back to JSON and no compression.
 */
import { isUtf8 } from "node:buffer";
import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type logCreator,
  type Message,
  type PartitionerArgs,
  type Producer,
  type RecordMetadata,
} from "kafkajs";
import { TOPIC } from "../../src/core/events";
import { isAvroRecord, type RecordFormat } from "../../src/contracts/wire/codec";
import { decodePack, encodePack, isPack, packedSize, type PackedRecord } from "../../src/contracts/wire/pack";
import { deferred } from "./async-util";
import { consoleBusLog, errorFields, type BusLog, type BusLogLevel } from "./log";
import { murmur2 } from "./partitioner";
import { registerZstd } from "./zstd";
import type {
  BatchContext,
  Bus,
  BusMessage,
  PartitionLag,
  ProducedOffset,
  ProduceRecord,
  StopOptions,
  SubscribeOptions,
  Subscription,
  TopicPartition,
} from "./types";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** The least severe kafkajs log entry passed on to `log`. Default "warn". */
  logLevel?: BusLogLevel | "nothing";
  log?: BusLog;
  /** Consumer group tuning; kafkajs's defaults otherwise (session 30 s, heartbeat 3 s). */
  consumer?: {
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    rebalanceTimeoutMs?: number;
    /** How long a fetch waits for records on the broker. Default 1000 ms (kafkajs: 5000), so stops and rebalances are quick. */
    maxWaitTimeMs?: number;
  };
  connectionTimeoutMs?: number;
  /** How the internal topics' records are written (./types.ts `recordFormat`). Default "avro". */
  recordFormat?: RecordFormat;
  /** Compression of produced record batches. Default "zstd"; consumers read either. */
  compression?: KafkaCompression;
  /** Whether Avro records of the internal topics travel in packs (src/contracts/wire/pack.ts). Default true; consumers read either. */
  packRecords?: boolean;
}

export type KafkaCompression = "zstd" | "none";

export interface KafkaBus extends Bus {
  readonly kind: "kafka";
}

const DEFAULT_MAX_BATCH = 500;

const KAFKAJS_LEVELS: Record<BusLogLevel | "nothing", KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

const LEVEL_RANK: Record<BusLogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * Error responses kafkajs logs at ERROR on every rebalance or broker start, then handles by
 * retrying or rejoining; a failure that lasts still surfaces through the consumer or producer.
 */
const ROUTINE_RESPONSE_ERRORS = new Set([
  "The group is rebalancing, so a rejoin is needed",
  "The coordinator is loading and hence can't process requests for this group",
  "The group coordinator is not available",
  "This is not the correct coordinator for this group",
  "There is no leader for this topic-partition as we are in the middle of a leadership election",
]);

function routineResponseError(namespace: string, error: unknown): boolean {
  return namespace === "Connection" && typeof error === "string" && ROUTINE_RESPONSE_ERRORS.has(error);
}

function busLevel(level: KafkaLogLevel): BusLogLevel {
  if (level <= KafkaLogLevel.ERROR) return "error";
  if (level === KafkaLogLevel.WARN) return "warn";
  if (level === KafkaLogLevel.INFO) return "info";
  return "debug";
}

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  return new KafkaJsBus(options);
}

class KafkaJsBus implements KafkaBus {
  readonly kind = "kafka" as const;
  readonly recordFormat: RecordFormat;
  private readonly compression: CompressionTypes;
  private readonly kafka: Kafka;
  private readonly log: BusLog;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly connectProducer: () => Promise<void>;
  private readonly connectAdmin: () => Promise<void>;
  /** The partition kafkajs's partitioner chose for each message object we sent. */
  private readonly chosenPartition = new WeakMap<Message, number>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly waitingSends: Array<{ outgoing: Outgoing[]; resolve: (offsets: string[]) => void; reject: (error: unknown) => void }> = [];
  private sending = false;
  private closing = false;
  private readonly packRecords: boolean;
  /** Partition counts of the packed topics, for placing a pack where its records' keys go. */
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();

  constructor(private readonly options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new Error("createKafkaBus: no brokers");
    registerZstd();
    this.recordFormat = options.recordFormat ?? "avro";
    this.compression = (options.compression ?? "zstd") === "zstd" ? CompressionTypes.ZSTD : CompressionTypes.None;
    this.packRecords = options.packRecords ?? true;
    this.log = options.log ?? consoleBusLog();
    const log = this.log;
    const minimum = options.logLevel ?? "warn";
    const toBusLog: logCreator = () => (entry) => {
      const { message, timestamp: _timestamp, ...fields } = entry.log;
      const level = routineResponseError(entry.namespace, fields.error) ? "debug" : busLevel(entry.level);
      if (minimum === "nothing" || LEVEL_RANK[level] > LEVEL_RANK[minimum]) return;
      log(level, `kafkajs ${entry.namespace}: ${String(message)}`, fields);
    };
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: KAFKAJS_LEVELS[options.logLevel ?? "warn"],
      logCreator: toBusLog,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: () => this.trackingPartitioner(),
    });
    this.admin = this.kafka.admin();
    this.connectProducer = once(() => this.producer.connect());
    this.connectAdmin = once(() => this.admin.connect());
  }

  /**
   * kafkajs's DefaultPartitioner, noting each message's partition so produce() can give every
   * record its offset. A keyed message goes where kafkajs would send it (murmur2 of the key,
   * partitioner.test.ts checks they agree), computed in 32-bit integers instead of kafkajs's Long
   * objects, which cost the processor 6 % of its CPU. A keyless message keeps its first partition
   * when kafkajs retries a send, so the note stays true.
   */
  private trackingPartitioner(): (args: PartitionerArgs) => number {
    const kafkajsDefault = Partitioners.DefaultPartitioner();
    return (args) => {
      const earlier = this.chosenPartition.get(args.message);
      if (earlier !== undefined && earlier < args.partitionMetadata.length) return earlier;
      const { key, partition: given } = args.message;
      const partition =
        given !== null && given !== undefined
          ? given
          : key !== null && key !== undefined
            ? (murmur2(key) & 0x7fffffff) % args.partitionMetadata.length
            : kafkajsDefault(args);
      this.chosenPartition.set(args.message, partition);
      return partition;
    };
  }

  /**
   * Concurrent produce calls are coalesced: calls that arrive while a send is in flight wait and go
   * together in the next one. The idempotent producer keeps one request in flight, so without this
   * N concurrent callers (the gateway under load) would queue N round trips behind each other.
   */
  async produce(records: ProduceRecord[]): Promise<ProducedOffset[]> {
    this.assertOpen();
    if (records.length === 0) return [];
    await this.connectProducer();
    const { outgoing, messageOf, indexInPack } = await this.messagesOf(records);
    const offsets = await new Promise<string[]>((resolve, reject) => {
      this.waitingSends.push({ outgoing, resolve, reject });
      if (!this.sending) void this.sendWaiting();
    });
    return messageOf.map((at, i) => {
      const { topic, message } = outgoing[at]!;
      const index = indexInPack[i];
      return { topic, partition: this.chosenPartition.get(message)!, offset: offsets[at]!, ...(index === undefined ? {} : { index }) };
    });
  }

  /**
   * The Kafka messages of a produce, in order, and the message each record went in: its own, or a
   * pack with the other Avro records for the same partition of a packed topic (those get the pack's
   * offset). A record that is not packed closes its topic's open packs first, so order is kept.
   */
  private async messagesOf(records: ProduceRecord[]): Promise<{ outgoing: Outgoing[]; messageOf: number[]; indexInPack: Array<number | undefined> }> {
    const outgoing: Outgoing[] = [];
    const messageOf: number[] = [];
    const indexInPack: Array<number | undefined> = [];
    const open = new Map<string, { index: number; partition: number; items: PackedRecord[]; bytes: number }>();
    const close = (slot: string) => {
      const pack = open.get(slot)!;
      open.delete(slot);
      outgoing[pack.index]!.message = { key: pack.items[0]!.key, value: encodePack(pack.items, pack.bytes), headers: {}, partition: pack.partition };
    };
    const partitionCounts = new Map<string, number>();
    for (const record of records) {
      if (this.packable(record) && !partitionCounts.has(record.topic)) partitionCounts.set(record.topic, await this.partitionCount(record.topic));
    }
    for (const record of records) {
      if (typeof record.value !== "string") throw new TypeError(`Record for ${record.topic} has no string value`);
      const partitions = this.packable(record) ? partitionCounts.get(record.topic)! : 0;
      if (partitions === 0) {
        for (const slot of [...open.keys()]) if (slot.startsWith(`${record.topic}\u0000`)) close(slot);
        const value = record.bytes ? Buffer.from(record.bytes.buffer, record.bytes.byteOffset, record.bytes.byteLength) : record.value;
        const message: Message = { key: record.key ?? null, value, headers: { ...record.headers } };
        if (record.partition !== undefined && record.partition !== null) message.partition = record.partition;
        messageOf.push(outgoing.length);
        indexInPack.push(undefined);
        outgoing.push({ topic: record.topic, message });
        continue;
      }
      const partition = record.partition ?? (murmur2(record.key!) & 0x7fffffff) % partitions;
      const slot = `${record.topic}\u0000${partition}`;
      const item: PackedRecord = { key: record.key ?? null, headers: record.headers ?? {}, value: record.bytes! };
      const bytes = packedSize(item);
      const current = open.get(slot);
      if (current && (current.items.length >= MAX_PACK_RECORDS || current.bytes + bytes > MAX_PACK_BYTES)) close(slot);
      let pack = open.get(slot);
      if (!pack) {
        pack = { index: outgoing.length, partition, items: [], bytes: 0 };
        open.set(slot, pack);
        outgoing.push({ topic: record.topic, message: { value: null } });
      }
      messageOf.push(pack.index);
      indexInPack.push(pack.items.length);
      pack.items.push(item);
      pack.bytes += bytes;
    }
    for (const slot of [...open.keys()]) close(slot);
    return { outgoing, messageOf, indexInPack };
  }

  private packable(record: ProduceRecord): boolean {
    return this.packRecords && PACKED_TOPICS.has(record.topic) && isAvroRecord(record.bytes) && typeof record.key === "string";
  }

  /** A packed topic's partition count, from the cluster's metadata, at most a minute old. */
  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known && Date.now() - known.at < 60_000) return known.count;
    await this.connectAdmin();
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`Kafka has no partitions for ${topic}`);
    this.partitionCounts.set(topic, { count, at: Date.now() });
    return count;
  }

  private async sendWaiting(): Promise<void> {
    this.sending = true;
    try {
      while (this.waitingSends.length > 0) {
        const calls = this.waitingSends.splice(0, this.waitingSends.length);
        try {
          const offsets = await this.send(calls.flatMap((call) => call.outgoing));
          let at = 0;
          for (const call of calls) {
            call.resolve(offsets.slice(at, at + call.outgoing.length));
            at += call.outgoing.length;
          }
        } catch (error) {
          for (const call of calls) call.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** Sends in order and answers each message's offset. */
  private async send(outgoing: Outgoing[]): Promise<string[]> {
    // acks -1: every in-sync replica has the records before the send resolves. A broker refuses a
    // record batch over message.max.bytes (1 MB by default), so large produces go in sequential
    // requests of at most MAX_REQUEST_BYTES and MAX_REQUEST_RECORDS; with one request in flight,
    // order is kept.
    const offsets = new Map<Message, string>();
    for (const chunk of chunksOf(outgoing, MAX_REQUEST_BYTES, MAX_REQUEST_RECORDS)) {
      const metadata = await this.producer.sendBatch({ acks: -1, compression: this.compression, topicMessages: chunk });
      // A partition's messages of one request went in one record batch, in order, from its baseOffset.
      const base = new Map<string, bigint>();
      for (const entry of metadata) base.set(`${entry.topicName}\u0000${entry.partition}`, baseOffsetOf(entry));
      const seen = new Map<string, bigint>();
      for (const { topic, messages: sent } of chunk) {
        for (const message of sent) {
          const partition = this.chosenPartition.get(message);
          if (partition === undefined) throw new Error(`kafkajs did not partition a record for ${topic}`);
          const key = `${topic}\u0000${partition}`;
          const start = base.get(key);
          if (start === undefined) throw new Error(`No produce acknowledgement for ${topic}/${partition}`);
          const index = seen.get(key) ?? 0n;
          seen.set(key, index + 1n);
          offsets.set(message, (start + index).toString());
        }
      }
    }
    return outgoing.map(({ message }) => offsets.get(message)!);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!opts.groupId) throw new Error("subscribe: groupId is required");
    if (opts.topics.length === 0) throw new Error("subscribe: at least one topic is required");
    const maxBatchSize = opts.maxBatchSize ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);

    const tuning = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      // A crashed member holds its partitions until its session expires; 10 s keeps that pause short.
      sessionTimeout: tuning.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: tuning.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: tuning.rebalanceTimeoutMs,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 1000,
    });
    const subscription = new KafkaSubscription(consumer, { ...opts, maxBatchSize }, this.log, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop({ commit: false }).catch(() => undefined);
      throw error;
    }
    return subscription;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    this.assertOpen();
    await this.connectAdmin();
    const existing = new Set(await this.admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await this.admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 1 })) });
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.connectAdmin();
    await this.admin.describeCluster();
  }

  async lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    this.assertOpen();
    await this.connectAdmin();
    const unique = [...new Set(topics)];
    const committed = new Map<string, string>();
    for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId, topics: unique })) {
      for (const { partition, offset } of partitions) committed.set(`${topic}\u0000${partition}`, offset);
    }
    const result: PartitionLag[] = [];
    for (const topic of unique) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      for (const { partition, high, low } of [...offsets].sort((a, b) => a.partition - b.partition)) {
        const done = BigInt(committed.get(`${topic}\u0000${partition}`) ?? "-1");
        const from = done >= 0n ? done : BigInt(low);
        const highOffset = BigInt(high);
        result.push({ topic, partition, committed: done >= 0n ? done.toString() : "-1", high, lag: Number(highOffset > from ? highOffset - from : 0n) });
      }
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error("The Kafka bus is closed");
  }
}

class KafkaSubscription implements Subscription {
  private assigned: TopicPartition[] = [];
  /** Set by stop({ commit: false }): from then on nothing is resolved or committed. */
  private crashed = false;
  private readonly crash = deferred<"crashed">();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly opts: SubscribeOptions & { maxBatchSize: number },
    private readonly log: BusLog,
    private readonly onStopped: () => void,
  ) {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.log(
        payload.restart ? "warn" : "error",
        `Kafka consumer of group ${payload.groupId} crashed${payload.restart ? "; restarting" : ""}`,
        errorFields(payload.error),
      );
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? false });
    // Resolves once the consumer has joined the group.
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.concurrentPartitions ?? 1,
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const messages = batch.messages.flatMap((message) => toBusMessages(batch.topic, batch.partition, message));
    for (let start = 0, end = 0; start < messages.length; start = end) {
      if (this.crashed || !isRunning() || isStale()) return;
      // A pack's records share its offset: a chunk never ends inside one, or resolving the chunk's
      // last offset would commit records of the pack not yet handled.
      end = Math.min(start + this.opts.maxBatchSize, messages.length);
      while (end < messages.length && messages[end]!.offset === messages[end - 1]!.offset) end++;
      const chunk = messages.slice(start, end);
      const last = chunk[chunk.length - 1];
      if (!last) return;
      const context: BatchContext = { topic: batch.topic, partition: batch.partition, messages: chunk, heartbeat };
      const outcome = await Promise.race([this.opts.handleBatch(context).then(() => "handled" as const), this.crash.promise]);
      // The delivery guarantee, at least once: a batch's offsets are resolved and committed only
      // after its handler resolved, that is after its results are durable downstream. A handler
      // that throws propagates to kafkajs, which fetches again from the last resolved offset, so
      // the same batch comes back and nothing after it on the partition is handled first. A
      // consumer that dies before the commit leaves the batch to whoever gets the partition next.
      if (outcome === "crashed" || this.crashed) return;
      resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  assignments(): TopicPartition[] {
    return this.stopping ? [] : this.assigned.map((tp) => ({ ...tp }));
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (!this.stopping) {
      if (options.commit === false) {
        this.crashed = true;
        this.crash.resolve("crashed");
      }
      // Disconnecting waits for the batch being handled (unless crashed) and leaves the group.
      this.stopping = this.consumer.disconnect().finally(() => {
        this.assigned = [];
        this.onStopped();
      });
    }
    return this.stopping;
  }
}

/** A Kafka message as bus messages: a pack (src/contracts/wire/pack.ts) gives one per record, each with the pack's offset. */
function toBusMessages(topic: string, partition: number, message: KafkaMessage): BusMessage[] {
  if (!isPack(message.value)) return [toBusMessage(topic, partition, message)];
  const unpacked = decodePack(message.value);
  // Bytes that are not a pack stay one message: its consumer's decoding dead-letters them, exact.
  if (!unpacked.ok) return [toBusMessage(topic, partition, message)];
  const timestamp = Number(message.timestamp);
  return unpacked.records.map((record, index): BusMessage => ({
    topic,
    partition,
    offset: message.offset,
    index,
    key: record.key,
    value: "",
    headers: record.headers,
    timestamp,
    bytes: record.value,
  }));
}

function toBusMessage(topic: string, partition: number, message: KafkaMessage): BusMessage {
  // An Avro record (src/contracts/wire) starts with a NUL byte, which no JSON text does: it stays bytes.
  if (message.value && message.value[0] === 0) {
    return {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString("utf8") : null,
      value: "",
      headers: stringHeaders(message.headers),
      timestamp: Number(message.timestamp),
      bytes: message.value,
    };
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString("utf8") : null,
    value: message.value ? message.value.toString("utf8") : "",
    headers: stringHeaders(message.headers),
    timestamp: Number(message.timestamp),
    // Decoding replaced invalid bytes; keep the originals so a dead letter holds the exact payload.
    ...(message.value && !isUtf8(message.value) ? { bytes: message.value } : {}),
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = typeof last === "string" ? last : last.toString("utf8");
  }
  return result;
}

function baseOffsetOf(entry: RecordMetadata): bigint {
  const offset = entry.baseOffset ?? entry.offset;
  if (offset === undefined) throw new Error(`No offset in the produce acknowledgement for ${entry.topicName}/${entry.partition}`);
  return BigInt(offset);
}

const MAX_REQUEST_BYTES = 512 * 1024;
/** The internal topics whose Avro records travel in packs; a pack stays well under a broker's 1 MB message limit. */
const PACKED_TOPICS: ReadonlySet<string> = new Set([TOPIC.enriched, TOPIC.triggered]);
const MAX_PACK_BYTES = 256 * 1024;
const MAX_PACK_RECORDS = 1000;
/**
 * kafkajs 2.2.4 groups a send by partition with `[...current, message]` per message, quadratic in a
 * partition's records per send: about 1 µs per record plus 1.7 ns per record sent before it to the
 * same partition (6.3 µs per record at 3000, as 100-byte records fill a 512 KiB request). 500 keeps
 * that under 1.8 µs and costs a request more only per 500 records (tools/bench/kafka-produce.ts,
 * small-records: 17.7 µs per record uncapped, 14.8 at 500). What the public API cannot avoid:
 * kafkajs encodes a record through a zero-filled 512-byte buffer per record and per header, and
 * 64-bit Long varints, about 9 µs per record (a one-buffer encoder does it in 2.7 µs); with the
 * rest, a produced record costs this process about 16 µs of CPU (bench:produce).
 */
const MAX_REQUEST_RECORDS = 500;

interface Outgoing {
  topic: string;
  message: Message;
}

/**
 * Splits a produce into requests of at most maxRecords records whose keys and values add up to at
 * most maxBytes (a single larger record goes alone).
 */
function chunksOf(outgoing: Outgoing[], maxBytes: number, maxRecords: number): Array<Array<{ topic: string; messages: Message[] }>> {
  const chunks: Array<Map<string, Message[]>> = [new Map()];
  let size = 0;
  let count = 0;
  for (const { topic, message } of outgoing) {
    const bytes = byteLength(message.value) + byteLength(message.key) + 64;
    if (count > 0 && (size + bytes > maxBytes || count >= maxRecords)) {
      chunks.push(new Map());
      size = 0;
      count = 0;
    }
    count++;
    const current = chunks[chunks.length - 1]!;
    const list = current.get(topic);
    if (list) list.push(message);
    else current.set(topic, [message]);
    size += bytes;
  }
  return chunks.map((chunk) => [...chunk].map(([topic, messages]) => ({ topic, messages })));
}

function byteLength(value: Message["value"] | Message["key"]): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}

/** Memoizes an async connect; a failed attempt is forgotten so the next call tries again. */
function once(connect: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= connect().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
