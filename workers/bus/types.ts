/**
 * The event bus: the one interface the workers use to move records between stages. Two
 * implementations serve it: Kafka (kafka-bus.ts) and, when no KAFKA_BROKERS is configured,
 * an embedded log kept in DuckDB (embedded-bus.ts). Both give the same guarantees:
 *
 * - order is kept within a partition; a keyed record's partition is murmur2(key) % partitions,
 *   the same number in both implementations (partitioner.ts);
 * - delivery is at least once: a batch's offsets are committed only after its handler resolves,
 *   so consumers must be idempotent (dedupe by event_id);
 * - a handler that throws gets the same batch again, and nothing after it on that partition is
 *   delivered first (Prism's consumers wrap their handlers in ../poison.ts, so only a transient
 *   failure gets here: a record that cannot be handled is dead-lettered, never retried forever);
 * - the consumers of one group split the partitions of their topics between them.
 */

import type { RecordFormat } from "../../src/contracts/wire/codec";

export interface ProduceRecord {
  topic: string;
  /** Records with the same key go to the same partition, in order. */
  key?: string | null;
  /** The record's text; "" when it is `bytes`. */
  value: string;
  /** The record's value as bytes instead of text: Avro framed by src/contracts/wire (Kafka only; the embedded log stores text). */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  /** An explicit partition overrides the key's. */
  partition?: number;
}

export interface ProducedOffset {
  topic: string;
  partition: number;
  /** The offset of the record; as a string, since Kafka offsets are 64-bit. */
  offset: string;
  /** Its place in its pack, when it went in one (Kafka, src/contracts/wire/pack.ts); the offset is the pack's. */
  index?: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: string;
  /** The record's place in its pack (Kafka, src/contracts/wire/pack.ts): records of a pack share the pack's offset. */
  index?: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** Milliseconds since the epoch at which the record was produced. */
  timestamp: number;
  /**
   * The value's bytes, only when it is not text (Kafka): an Avro record (first byte 0,
   * src/contracts/wire), `value` then being "", or bytes that are not valid UTF-8, `value` then
   * holding them with U+FFFD.
   */
  bytes?: Uint8Array;
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** In offset order; never empty. */
  messages: BusMessage[];
  /** Call during long work so the group does not think this consumer died. */
  heartbeat(): Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a partition that has no committed offset for the group starts: its first record, or (default) the next one produced. */
  fromBeginning?: boolean;
  /** At most this many records per batch (embedded; Kafka batches by fetch size). Default 500. */
  maxBatchSize?: number;
  /** Kafka: how many partitions' batches may be handled at once (default 1). The embedded log handles one at a time. */
  concurrentPartitions?: number;
  /** Resolving commits the batch's offsets; throwing gets the batch delivered again. */
  handleBatch(batch: BatchContext): Promise<void>;
}

export interface StopOptions {
  /**
   * true (default): a graceful stop. Batches being handled finish, and their offsets are committed.
   * false: behave like a crashed process. Nothing more is committed, not even for a batch whose
   * handler resolves later; its partitions go to the rest of the group, which gets the uncommitted
   * records again. stop() then does not wait for handlers still running.
   */
  commit?: boolean;
}

export interface Subscription {
  stop(options?: StopOptions): Promise<void>;
  /** The partitions this consumer holds now; changes when the group rebalances. */
  assignments(): TopicPartition[];
}

export interface PartitionLag extends TopicPartition {
  /** The group's committed offset, the next one it will read; "-1" when it has none. */
  committed: string;
  /** The offset the next record produced to the partition will get. */
  high: string;
  /** Records not yet committed by the group (from the first retained record when it has no commit). */
  lag: number;
}

export interface Bus {
  readonly kind: "kafka" | "embedded";
  /**
   * How producers write records of the internal topics (`event.enriched`, `event.triggered`):
   * Avro on Kafka, JSON on the embedded log. Consumers read both (src/contracts/wire).
   */
  readonly recordFormat: RecordFormat;
  /** Resolves only once every record is durable (Kafka: idempotent producer, acks=all; embedded: DuckDB commit). */
  produce(records: ProduceRecord[]): Promise<ProducedOffset[]>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Creates topics that do not exist yet (one partition each); kafka_publish actions name their own. */
  ensureTopics(topics: string[]): Promise<void>;
  /** For health checks and lag metrics. */
  ping(): Promise<void>;
  lag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  /** Stops every subscription gracefully, then releases connections. */
  close(): Promise<void>;
}
