/**
 * The embedded log: the Bus served from DuckDB tables, for single-machine mode (no KAFKA_BROKERS).
 * One process owns the DuckDB file, so this process is the only writer and its in-memory view
 * of each partition's next offset is authoritative: consumers need not poll the tables while
 * they are idle, a produce wakes them.
 *
 * Tables:
 *   bus_topics(topic, partitions)                        partition counts, which may only grow
 *   bus_records(topic, partition, offset, key, value, headers JSON, ts)
 *   bus_offsets(group_id, topic, partition, committed)   committed = the next offset to read
 *
 * Consumer groups live in this process: the live subscriptions of a group share its partitions
 * round robin. When one joins or leaves, partitions that move are handed over: the old owner
 * finishes the batch it is handling (and commits it), then the new owner starts from the
 * group's committed offset. A subscription stopped with `{ commit: false }` behaves like a
 * crashed process: it commits nothing more, and its partitions are handed over at once.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { deferred, SerialQueue, type Deferred } from "./async-util";
import { consoleBusLog, errorFields, type BusLog } from "./log";
import { partitionForKey } from "./partitioner";
import { TOPIC_PARTITIONS } from "./topics";
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

export interface EmbeddedBusOptions {
  /** The process's DuckDB instance (left open by close()), or a file path (opened and closed by the bus). */
  db: DuckDBInstance | string;
  /** Topics and partition counts; default TOPIC_PARTITIONS. Counts may grow between runs, never shrink. */
  partitions?: Record<string, number>;
  /** How often an idle consumer looks for records anyway; produce wakes it at once. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Delay before a failed batch is delivered again, doubling per failure. Default 100 ms up to 5 s. */
  retryBackoffMs?: { initial: number; max: number };
  log?: BusLog;
}

export interface PruneOptions {
  /** Only records produced at least this long ago. Default 0: every committed record. */
  olderThanMs?: number;
}

export interface EmbeddedBus extends Bus {
  readonly kind: "embedded";
  /**
   * Deletes records that every group with a committed offset on their partition has committed.
   * Partitions no group has committed on are left alone, and so is the last record of each
   * partition, from which the next offset is known after a restart. Returns how many went.
   */
  prune(options?: PruneOptions): Promise<number>;
}

const DEFAULT_MAX_BATCH = 500;
const INSERT_CHUNK = 256;

export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<EmbeddedBus> {
  const ownsInstance = typeof options.db === "string";
  const instance = typeof options.db === "string" ? await DuckDBInstance.create(options.db) : options.db;
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    const bus = new EmbeddedLogBus(instance, connection, ownsInstance, options);
    await bus.init(options.partitions ?? TOPIC_PARTITIONS);
    return bus;
  } catch (error) {
    connection?.closeSync();
    if (ownsInstance) instance.closeSync();
    throw error;
  }
}

class BusClosedError extends Error {
  constructor() {
    super("The embedded bus is closed");
    this.name = "BusClosedError";
  }
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

class EmbeddedLogBus implements EmbeddedBus {
  readonly kind = "embedded" as const;
  /** The embedded log stores text: its records stay JSON. */
  readonly recordFormat = "json" as const;
  readonly log: BusLog;
  readonly pollIntervalMs: number;
  readonly backoff: { initial: number; max: number };

  private readonly queue = new SerialQueue();
  private readonly partitionCounts = new Map<string, number>();
  /** The offset the next record of each partition gets. */
  private readonly next = new Map<string, bigint>();
  private readonly roundRobin = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly groups = new Map<string, Group>();
  private closing = false;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly ownsInstance: boolean,
    options: EmbeddedBusOptions,
  ) {
    this.log = options.log ?? consoleBusLog();
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.backoff = options.retryBackoffMs ?? { initial: 100, max: 5000 };
  }

  async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((topic) => !this.partitionCounts.has(topic));
    if (missing.length > 0) await this.init(Object.fromEntries(missing.map((topic) => [topic, 1])));
  }

  async init(partitions: Record<string, number>): Promise<void> {
    for (const [topic, count] of Object.entries(partitions)) {
      if (!Number.isInteger(count) || count < 1) throw new RangeError(`Topic ${topic}: partition count must be a positive integer, got ${count}`);
    }
    await this.db(async (c) => {
      await c.run(`CREATE TABLE IF NOT EXISTS bus_topics (topic VARCHAR PRIMARY KEY, partitions INTEGER NOT NULL)`);
      await c.run(`CREATE TABLE IF NOT EXISTS bus_records (
        topic VARCHAR NOT NULL,
        "partition" INTEGER NOT NULL,
        "offset" BIGINT NOT NULL,
        key VARCHAR,
        value VARCHAR NOT NULL,
        headers JSON NOT NULL,
        ts TIMESTAMP NOT NULL,
        PRIMARY KEY (topic, "partition", "offset"))`);
      await c.run(`CREATE TABLE IF NOT EXISTS bus_offsets (
        group_id VARCHAR NOT NULL,
        topic VARCHAR NOT NULL,
        "partition" INTEGER NOT NULL,
        committed BIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (group_id, topic, "partition"))`);

      const stored = await c.runAndReadAll(`SELECT topic, partitions FROM bus_topics`);
      for (const [topic, count] of stored.getRows()) this.partitionCounts.set(asString(topic), asNumber(count));
      for (const [topic, count] of Object.entries(partitions)) {
        const current = this.partitionCounts.get(topic) ?? 0;
        if (count < current) {
          this.log("warn", `Topic ${topic} has ${current} partitions; keeping them (configured ${count}; partitions cannot be removed)`);
        } else if (count > current) {
          this.partitionCounts.set(topic, count);
          await c.run(`INSERT INTO bus_topics VALUES ($1, $2::INTEGER) ON CONFLICT DO UPDATE SET partitions = excluded.partitions`, [topic, count]);
        }
      }

      const highs = await c.runAndReadAll(`SELECT topic, "partition", max("offset") + 1 FROM bus_records GROUP BY ALL`);
      for (const [topic, partition, high] of highs.getRows()) this.next.set(tpKey(asString(topic), asNumber(partition)), asBigInt(high));
    });
  }

  // --- producing -------------------------------------------------------------------------

  async produce(records: ProduceRecord[]): Promise<ProducedOffset[]> {
    this.assertOpen();
    if (records.length === 0) return [];
    const placed = records.map((record) => ({ record, partition: this.partitionOf(record), headers: validHeaders(record.headers) }));
    const timestamp = Date.now();

    const produced = await this.db(async (c) => {
      const next = new Map<string, bigint>();
      const rows = placed.map(({ record, partition, headers }) => {
        const key = tpKey(record.topic, partition);
        const offset = next.get(key) ?? this.highWatermark(record.topic, partition);
        next.set(key, offset + 1n);
        return { record, partition, offset, headers };
      });
      await c.run("BEGIN TRANSACTION");
      try {
        for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
          const chunk = rows.slice(start, start + INSERT_CHUNK);
          const values: DuckDBValue[] = [];
          const tuples = chunk.map(({ record, partition, offset, headers }) => {
            const n = values.length;
            values.push(record.topic, partition, offset, record.key ?? null, record.value, JSON.stringify(headers), timestamp);
            return `($${n + 1}, $${n + 2}::INTEGER, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}::JSON, epoch_ms($${n + 7}::BIGINT))`;
          });
          await c.run(`INSERT INTO bus_records (topic, "partition", "offset", key, value, headers, ts) VALUES ${tuples.join(", ")}`, values);
        }
        await c.run("COMMIT");
      } catch (error) {
        await c.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
      // Durable now: make the records visible to consumers.
      for (const [key, offset] of next) this.next.set(key, offset);
      return rows;
    });

    for (const key of new Set(produced.map((row) => tpKey(row.record.topic, row.partition)))) this.notify(key);
    return produced.map(({ record, partition, offset }) => ({ topic: record.topic, partition, offset: offset.toString() }));
  }

  private partitionOf(record: ProduceRecord): number {
    const count = this.partitionCounts.get(record.topic);
    if (count === undefined) throw new Error(`Unknown topic ${JSON.stringify(record.topic)}`);
    if (typeof record.value !== "string") throw new TypeError(`Record for ${record.topic} has no string value`);
    if (record.bytes !== undefined) throw new TypeError(`Record for ${record.topic} is bytes: the embedded log stores text (JSON) records only`);
    if (record.partition !== undefined && record.partition !== null) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
        throw new RangeError(`Topic ${record.topic} has no partition ${record.partition}`);
      }
      return record.partition;
    }
    if (record.key !== undefined && record.key !== null) return partitionForKey(record.key, count);
    // Like Kafka's default partitioner: keyless records go round robin.
    const counter = this.roundRobin.get(record.topic) ?? Math.floor(Math.random() * count);
    this.roundRobin.set(record.topic, counter + 1);
    return counter % count;
  }

  highWatermark(topic: string, partition: number): bigint {
    return this.next.get(tpKey(topic, partition)) ?? 0n;
  }

  // --- consuming -------------------------------------------------------------------------

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!opts.groupId) throw new Error("subscribe: groupId is required");
    if (opts.topics.length === 0) throw new Error("subscribe: at least one topic is required");
    for (const topic of opts.topics) {
      if (!this.partitionCounts.has(topic)) throw new Error(`Unknown topic ${JSON.stringify(topic)}`);
    }
    const maxBatchSize = opts.maxBatchSize ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);

    let group = this.groups.get(opts.groupId);
    if (!group) {
      group = new Group(opts.groupId);
      this.groups.set(opts.groupId, group);
    }
    const member = new Member(this, group, { ...opts, topics: [...new Set(opts.topics)], maxBatchSize });
    group.members.push(member);
    this.rebalance(group);
    return member;
  }

  /** Takes a member out of its group and hands its partitions to the others. */
  leave(member: Member, commit: boolean): Promise<void> {
    const group = member.group;
    group.markLeaving(member);
    const index = group.members.indexOf(member);
    if (index >= 0) group.members.splice(index, 1);
    const loops = [...member.loops.values()];
    if (!commit) for (const loop of loops) loop.crash();
    this.rebalance(group);
    if (group.members.length === 0) group.resetPositions.clear();
    // After a crash nothing waits for the handlers still running: they can no longer commit.
    return commit ? Promise.all(loops.map((loop) => loop.finished)).then(() => undefined) : Promise.resolve();
  }

  /** Round robin over the group's partitions, in topic and partition order, among the members subscribed to each topic. */
  private rebalance(group: Group): void {
    const wanted = new Map<string, { member: Member; tp: TopicPartition }>();
    const topics = [...new Set(group.members.flatMap((member) => member.options.topics))].sort();
    let turn = 0;
    for (const topic of topics) {
      const eligible = group.members.filter((member) => member.options.topics.includes(topic));
      const count = this.partitionCounts.get(topic) ?? 0;
      for (let partition = 0; partition < count; partition++) {
        const member = eligible[turn % eligible.length];
        turn++;
        if (member) wanted.set(tpKey(topic, partition), { member, tp: { topic, partition } });
      }
    }

    for (const member of group.allMembersWithLoops()) {
      for (const [key, loop] of member.loops) {
        if (wanted.get(key)?.member !== member) {
          loop.revoke();
          member.loops.delete(key);
        }
      }
    }
    for (const [key, { member, tp }] of wanted) {
      if (member.loops.has(key)) continue;
      const previous = group.released.get(key) ?? Promise.resolve();
      const loop = new PartitionLoop(this, member, tp, previous);
      member.loops.set(key, loop);
      group.released.set(key, loop.released);
      loop.start();
    }
  }

  /** Where a group starts reading a partition: its committed offset, else per fromBeginning. */
  async startPosition(group: Group, tp: TopicPartition, fromBeginning: boolean): Promise<bigint> {
    const committed = await this.db(async (c) => {
      const result = await c.runAndReadAll(`SELECT committed FROM bus_offsets WHERE group_id = $1 AND topic = $2 AND "partition" = $3::INTEGER`, [
        group.id,
        tp.topic,
        tp.partition,
      ]);
      const value = result.getRows()[0]?.[0];
      return value === undefined ? undefined : asBigInt(value);
    });
    if (committed !== undefined) return committed;
    // Without a commit, every member of the group resets the partition to the same place, so
    // records produced between one member's reset and a rebalance are not skipped.
    const key = tpKey(tp.topic, tp.partition);
    const reset = group.resetPositions.get(key) ?? (fromBeginning ? 0n : this.highWatermark(tp.topic, tp.partition));
    group.resetPositions.set(key, reset);
    return reset;
  }

  async read(tp: TopicPartition, from: bigint, limit: number): Promise<BusMessage[]> {
    return this.db(async (c) => {
      const result = await c.runAndReadAll(
        `SELECT "offset", key, value, headers, epoch_ms(ts) FROM bus_records
         WHERE topic = $1 AND "partition" = $2::INTEGER AND "offset" >= $3 ORDER BY "offset" LIMIT $4::BIGINT`,
        [tp.topic, tp.partition, from, limit],
      );
      return result.getRows().map(([offset, key, value, headers, ts]) => ({
        topic: tp.topic,
        partition: tp.partition,
        offset: asBigInt(offset).toString(),
        key: key === null ? null : asString(key),
        value: asString(value),
        headers: parseHeaders(asString(headers)),
        timestamp: Number(asBigInt(ts)),
      }));
    });
  }

  async commit(groupId: string, tp: TopicPartition, committed: bigint): Promise<void> {
    await this.db((c) =>
      c.run(
        `INSERT INTO bus_offsets VALUES ($1, $2, $3::INTEGER, $4, now()::TIMESTAMP)
         ON CONFLICT DO UPDATE SET committed = excluded.committed, updated_at = excluded.updated_at`,
        [groupId, tp.topic, tp.partition, committed],
      ),
    );
  }

  /** Calls `wake` on the next produce to the partition; returns the unregister function. */
  onProduce(tp: TopicPartition, wake: () => void): () => void {
    const key = tpKey(tp.topic, tp.partition);
    let set = this.waiters.get(key);
    if (!set) {
      set = new Set();
      this.waiters.set(key, set);
    }
    set.add(wake);
    return () => set.delete(wake);
  }

  private notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  // --- operations ------------------------------------------------------------------------

  async ping(): Promise<void> {
    this.assertOpen();
    await this.db((c) => c.run("SELECT 1"));
  }

  async lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    this.assertOpen();
    for (const topic of topics) {
      if (!this.partitionCounts.has(topic)) throw new Error(`Unknown topic ${JSON.stringify(topic)}`);
    }
    const { committed, low } = await this.db(async (c) => {
      const committed = new Map<string, bigint>();
      const offsets = await c.runAndReadAll(`SELECT topic, "partition", committed FROM bus_offsets WHERE group_id = $1`, [groupId]);
      for (const [topic, partition, value] of offsets.getRows()) committed.set(tpKey(asString(topic), asNumber(partition)), asBigInt(value));
      const low = new Map<string, bigint>();
      const lows = await c.runAndReadAll(`SELECT topic, "partition", min("offset") FROM bus_records GROUP BY ALL`);
      for (const [topic, partition, value] of lows.getRows()) low.set(tpKey(asString(topic), asNumber(partition)), asBigInt(value));
      return { committed, low };
    });
    const result: PartitionLag[] = [];
    for (const topic of new Set(topics)) {
      const count = this.partitionCounts.get(topic) ?? 0;
      for (let partition = 0; partition < count; partition++) {
        const key = tpKey(topic, partition);
        const high = this.highWatermark(topic, partition);
        const done = committed.get(key);
        const from = done ?? low.get(key) ?? high;
        result.push({ topic, partition, committed: (done ?? -1n).toString(), high: high.toString(), lag: Number(high > from ? high - from : 0n) });
      }
    }
    return result;
  }

  async prune(options: PruneOptions = {}): Promise<number> {
    this.assertOpen();
    const cutoff = Date.now() - (options.olderThanMs ?? 0);
    return this.db(async (c) => {
      const floors = await c.runAndReadAll(`SELECT topic, "partition", min(committed) FROM bus_offsets GROUP BY ALL`);
      let deleted = 0;
      for (const [topicValue, partitionValue, floorValue] of floors.getRows()) {
        const topic = asString(topicValue);
        const partition = asNumber(partitionValue);
        const high = this.highWatermark(topic, partition);
        const floor = asBigInt(floorValue);
        const upTo = floor < high - 1n ? floor : high - 1n;
        if (upTo <= 0n) continue;
        const result = await c.run(`DELETE FROM bus_records WHERE topic = $1 AND "partition" = $2::INTEGER AND "offset" < $3 AND ts < epoch_ms($4::BIGINT)`, [
          topic,
          partition,
          upTo,
          cutoff,
        ]);
        deleted += result.rowsChanged;
      }
      return deleted;
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const members = [...this.groups.values()].flatMap((group) => [...group.members]);
    await Promise.all(members.map((member) => member.stop()));
    await this.queue.drain();
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closing) throw new BusClosedError();
  }

  /** Every statement runs on the bus's one connection, one at a time, so a transaction is never interleaved. */
  private db<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new BusClosedError();
      return task(this.connection);
    });
  }
}

class Group {
  readonly members: Member[] = [];
  /** Per partition: resolves when its last owner has let go of it. */
  readonly released = new Map<string, Promise<void>>();
  readonly resetPositions = new Map<string, bigint>();
  /** Members that left but may still hold loops being revoked. */
  private readonly leaving = new Set<Member>();

  constructor(readonly id: string) {}

  allMembersWithLoops(): Member[] {
    for (const member of this.leaving) if (member.loops.size === 0) this.leaving.delete(member);
    return [...this.members, ...this.leaving];
  }

  markLeaving(member: Member): void {
    this.leaving.add(member);
  }
}

type MemberOptions = SubscribeOptions & { maxBatchSize: number };

class Member implements Subscription {
  readonly loops = new Map<string, PartitionLoop>();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly bus: EmbeddedLogBus,
    readonly group: Group,
    readonly options: MemberOptions,
  ) {}

  assignments(): TopicPartition[] {
    if (this.stopping) return [];
    return [...this.loops.values()].map((loop) => ({ ...loop.tp }));
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = this.bus.leave(this, options.commit ?? true);
    }
    return this.stopping;
  }
}

/** One member's reading of one partition, from assignment until revocation. */
class PartitionLoop {
  readonly released: Promise<void>;
  finished: Promise<void> = Promise.resolve();
  private readonly releasedSignal: Deferred<void> = deferred();
  private revoked = false;
  private crashed = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly bus: EmbeddedLogBus,
    private readonly member: Member,
    readonly tp: TopicPartition,
    private readonly previous: Promise<void>,
  ) {
    this.released = this.releasedSignal.promise;
  }

  start(): void {
    this.finished = this.run()
      .catch((error: unknown) => {
        if (!this.bus.isClosed) this.bus.log("error", "embedded bus consumer stopped on an unexpected error", { ...this.fields(), ...errorFields(error) });
      })
      .finally(() => this.releasedSignal.resolve());
  }

  /** Stop after the batch being handled, which still commits. */
  revoke(): void {
    this.revoked = true;
    this.wakeUp?.();
  }

  /** Stop now, commit nothing more, and let the next owner start at once. */
  crash(): void {
    this.crashed = true;
    this.revoked = true;
    this.releasedSignal.resolve();
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    await this.previous;
    const { options, group } = this.member;
    let backoff = this.bus.backoff.initial;
    let position: bigint | undefined;
    while (!this.revoked && !this.bus.isClosed) {
      try {
        position ??= await this.bus.startPosition(group, this.tp, options.fromBeginning ?? false);
        if (position >= this.bus.highWatermark(this.tp.topic, this.tp.partition)) {
          await this.idle(this.bus.pollIntervalMs, true);
          continue;
        }
        const messages = await this.bus.read(this.tp, position, options.maxBatchSize);
        const last = messages[messages.length - 1];
        if (!last) {
          await this.idle(this.bus.pollIntervalMs, true);
          continue;
        }
        if (this.revoked) return;
        const batch: BatchContext = { topic: this.tp.topic, partition: this.tp.partition, messages, heartbeat: async () => undefined };
        try {
          await options.handleBatch(batch);
        } catch (error) {
          if (this.crashed) return;
          this.bus.log("warn", "batch handler failed; the batch will be delivered again", {
            ...this.fields(),
            firstOffset: messages[0]?.offset,
            lastOffset: last.offset,
            retryInMs: backoff,
            ...errorFields(error),
          });
          await this.idle(backoff, false);
          backoff = Math.min(backoff * 2, this.bus.backoff.max);
          continue;
        }
        // At least once: the batch's offsets are committed only after its handler resolved,
        // and never by a consumer that "crashed" meanwhile.
        if (this.crashed) return;
        const next = BigInt(last.offset) + 1n;
        await this.bus.commit(group.id, this.tp, next);
        position = next;
        backoff = this.bus.backoff.initial;
      } catch (error) {
        if (this.crashed || this.bus.isClosed) return;
        this.bus.log("error", "embedded bus read or commit failed; retrying", { ...this.fields(), retryInMs: backoff, ...errorFields(error) });
        await this.idle(backoff, false);
        backoff = Math.min(backoff * 2, this.bus.backoff.max);
      }
    }
  }

  /** Waits `ms`, or less: until revoked or, if `onProduce`, until a record is produced to the partition. */
  private idle(ms: number, onProduce: boolean): Promise<void> {
    return new Promise((resolve) => {
      let unregister: (() => void) | undefined;
      const done = () => {
        clearTimeout(timer);
        unregister?.();
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (onProduce) unregister = this.bus.onProduce(this.tp, done);
      this.wakeUp = done;
      if (this.revoked) done();
    });
  }

  private fields(): Record<string, unknown> {
    return { groupId: this.member.group.id, topic: this.tp.topic, partition: this.tp.partition };
  }
}

// --- value conversion ----------------------------------------------------------------------

function asString(value: DuckDBValue | undefined): string {
  if (typeof value !== "string") throw new TypeError(`Expected a string from DuckDB, got ${typeof value}`);
  return value;
}

function asNumber(value: DuckDBValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new TypeError(`Expected a number from DuckDB, got ${typeof value}`);
}

function asBigInt(value: DuckDBValue | undefined): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  throw new TypeError(`Expected an integer from DuckDB, got ${typeof value}`);
}

function validHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  if (!headers) return {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") throw new TypeError(`Header ${name} must be a string`);
  }
  return headers;
}

function parseHeaders(json: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  const headers: Record<string, string> = {};
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    for (const [name, value] of Object.entries(parsed)) if (typeof value === "string") headers[name] = value;
  }
  return headers;
}
