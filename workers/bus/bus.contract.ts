/**
 * The behaviour every Bus must have, as one vitest suite run against each implementation
 * (embedded-bus.test.ts, kafka-bus.int.test.ts).
 *
 * It works on a shared broker: it uses the standard topics (no topic creation), a fresh group
 * per consumer, and marks each test's records with a run id header; consumers skip records of
 * other runs (and commit them like any other). Groups that should see a test's records read
 * from the beginning, so everything waits with generous limits.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deferred } from "./async-util";
import { partitionForKey } from "./partitioner";
import { TOPIC_PARTITIONS, TOPICS } from "./topics";
import type { BatchContext, Bus, BusMessage, ProduceRecord, Subscription, TopicPartition } from "./types";

export interface ContractBus {
  bus: Bus;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** How long to wait for deliveries and rebalances. Default 60 s. */
  waitMs?: number;
  /** Per-test timeout. Default 180 s. */
  testTimeoutMs?: number;
}

interface Consumer {
  subscription: Subscription;
  /** This run's records, as handed to the handler (including failed attempts). */
  delivered: BusMessage[];
  /** This run's records whose batch handler resolved. */
  processed: BusMessage[];
  /** This run's batches in delivery order, with their outcome. */
  batches: Array<{ partition: number; seqs: number[]; ok: boolean }>;
}

type OnBatch = (ours: BusMessage[], batch: BatchContext) => Promise<void> | void;

const RAW = TOPICS.raw;
const ENRICHED = TOPICS.enriched;

export function busContract(name: string, makeBus: () => Promise<ContractBus>, options: ContractOptions = {}): void {
  const waitMs = options.waitMs ?? 60_000;
  const testTimeout = options.testTimeoutMs ?? 180_000;

  describe(`bus contract: ${name}`, () => {
    let env: ContractBus | undefined;
    let run = "";
    const subscriptions: Subscription[] = [];
    const onCleanup: Array<() => void> = [];

    const bus = (): Bus => {
      if (!env) throw new Error("bus not created");
      return env.bus;
    };

    beforeEach(async () => {
      run = randomUUID().slice(0, 8);
      env = await makeBus();
    });

    afterEach(async () => {
      for (const release of onCleanup.splice(0)) release();
      for (const subscription of subscriptions.splice(0)) await subscription.stop().catch(() => undefined);
      if (env) {
        await env.bus.close();
        await env.cleanup();
        env = undefined;
      }
    });

    const group = (label: string) => `contract-${run}-${label}`;
    const seqOf = (message: BusMessage) => Number(message.headers.seq);
    const seqs = (messages: BusMessage[]) => messages.map(seqOf);

    function record(seq: number, fields: Partial<ProduceRecord> = {}): ProduceRecord {
      return {
        topic: RAW,
        key: `${run}-key`,
        value: JSON.stringify({ run, seq }),
        ...fields,
        headers: { run, seq: String(seq), ...fields.headers },
      };
    }

    async function consume(
      groupId: string,
      opts: { topics?: string[]; fromBeginning?: boolean; maxBatchSize?: number; onBatch?: OnBatch } = {},
    ): Promise<Consumer> {
      const consumer: Omit<Consumer, "subscription"> = { delivered: [], processed: [], batches: [] };
      const subscription = await bus().subscribe({
        groupId,
        topics: opts.topics ?? [RAW],
        fromBeginning: opts.fromBeginning ?? true,
        maxBatchSize: opts.maxBatchSize,
        handleBatch: async (batch) => {
          const ours = batch.messages.filter((message) => message.headers.run === run);
          consumer.delivered.push(...ours);
          const entry = { partition: batch.partition, seqs: seqs(ours), ok: false };
          if (ours.length > 0) consumer.batches.push(entry);
          await opts.onBatch?.(ours, batch);
          entry.ok = true;
          consumer.processed.push(...ours);
        },
      });
      subscriptions.push(subscription);
      return { ...consumer, subscription };
    }

    async function waitFor(what: string, condition: () => boolean | Promise<boolean>, limitMs = waitMs): Promise<void> {
      const deadline = Date.now() + limitMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${limitMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    const uniqueSeqs = (messages: BusMessage[]) => new Set(seqs(messages));
    const hasAll = (messages: BusMessage[], expected: number[]) => {
      const got = uniqueSeqs(messages);
      return expected.every((seq) => got.has(seq));
    };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const tpName = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;
    const allPartitions = (topics: string[]) =>
      topics.flatMap((topic) => range(0, TOPIC_PARTITIONS[topic] ?? 0).map((partition) => tpName({ topic, partition })));

    it("answers ping and produces nothing for an empty list", async () => {
      await bus().ping();
      expect(await bus().produce([])).toEqual([]);
    });

    it(
      "takes a produce larger than one broker request, in order and with each record's offset",
      async () => {
        // 3,000 records of 1 KB on one key: 3 MB, over Kafka's default 1 MB per record batch.
        const padding = "x".repeat(1000);
        const records = range(0, 3000).map((seq) => record(seq, { value: JSON.stringify({ run, seq, padding }) }));
        const produced = await bus().produce(records);
        expect(produced).toHaveLength(3000);
        const offsets = produced.map((offset) => BigInt(offset.offset));
        for (let i = 1; i < offsets.length; i++) expect(offsets[i]! > offsets[i - 1]!).toBe(true);

        const consumer = await consume(group("large"));
        await waitFor("all 3,000 records", () => hasAll(consumer.processed, range(0, 3000)));
        expect(seqs(consumer.processed)).toEqual(range(0, 3000));
        consumer.processed.forEach((message, seq) => expect(message.offset).toBe(produced[seq]?.offset));
      },
      testTimeout,
    );

    it(
      "gives each of many concurrent produce calls its own records' offsets, in call order per key",
      async () => {
        // 200 callers at once (as the gateway sees under load), each with 1–3 records on two keys.
        const calls = range(0, 200).map((call) =>
          range(0, 1 + (call % 3)).map((i) => record(call * 10 + i, { key: `${run}-${(call + i) % 2}`, headers: { call: String(call) } })),
        );
        const produced = await Promise.all(calls.map((records) => bus().produce(records)));
        const total = calls.reduce((sum, records) => sum + records.length, 0);
        const consumer = await consume(group("concurrent"));
        await waitFor(`all ${total} records`, () => consumer.processed.length >= total);
        const byPartitionOffset = new Map(consumer.processed.map((message) => [`${message.partition}:${message.offset}`, message]));
        calls.forEach((records, call) =>
          records.forEach((sent, i) => {
            const offset = produced[call]?.[i];
            const found = byPartitionOffset.get(`${offset?.partition}:${offset?.offset}`);
            expect(found?.headers.seq, `call ${call} record ${i}`).toBe(sent.headers?.seq);
          }),
        );
        // Per key, records arrive in the order the calls were made.
        for (const key of [`${run}-0`, `${run}-1`]) {
          const ofKey = seqs(consumer.processed.filter((message) => message.key === key));
          expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
        }
      },
      testTimeout,
    );

    it(
      "delivers records with their key, value, headers, partition and offset",
      async () => {
        const before = Date.now();
        const explicit = (partitionForKey(`${run}-a`, 4) + 1) % 4;
        const records: ProduceRecord[] = [
          record(0, { key: `${run}-a`, headers: { "x-trace": "t-0" } }),
          record(1, { key: `${run}-b` }),
          record(2, { key: null }),
          record(3, { key: `${run}-a`, topic: ENRICHED }),
          record(4, { key: `${run}-a`, partition: explicit }),
          record(5, { key: `${run}-a`, headers: { "content-type": "application/json", empty: "" } }),
        ];
        const produced = await bus().produce(records);

        expect(produced).toHaveLength(records.length);
        produced.forEach((offset, i) => expect(offset.topic).toBe(records[i]?.topic));
        expect(produced[0]?.partition).toBe(partitionForKey(`${run}-a`, 4));
        expect(produced[1]?.partition).toBe(partitionForKey(`${run}-b`, 4));
        expect(produced[3]?.partition).toBe(partitionForKey(`${run}-a`, 4));
        expect(produced[4]?.partition).toBe(explicit);
        expect(produced[5]?.partition).toBe(produced[0]?.partition);
        expect(BigInt(produced[5]?.offset ?? -1)).toBeGreaterThan(BigInt(produced[0]?.offset ?? 0));

        const consumer = await consume(group("roundtrip"), { topics: [RAW, ENRICHED] });
        await waitFor("all six records", () => hasAll(consumer.processed, range(0, 6)));
        const after = Date.now();

        expect(consumer.processed).toHaveLength(6);
        records.forEach((sent, seq) => {
          const got = consumer.processed.find((message) => seqOf(message) === seq);
          expect(got, `record ${seq}`).toBeDefined();
          if (!got) return;
          expect(got.topic).toBe(sent.topic);
          expect(got.key).toBe(sent.key ?? null);
          expect(got.value).toBe(sent.value);
          expect(got.headers).toEqual(sent.headers);
          expect(got.partition).toBe(produced[seq]?.partition);
          expect(got.offset).toBe(produced[seq]?.offset);
          expect(got.timestamp).toBeGreaterThanOrEqual(before - 5_000);
          expect(got.timestamp).toBeLessThanOrEqual(after + 5_000);
        });
      },
      testTimeout,
    );

    it(
      "keeps each key's records in order, on the key's partition",
      async () => {
        const keys = range(0, 6).map((i) => `${run}-k${i}`);
        const total = 300;
        for (let start = 0; start < total; start += 50) {
          await bus().produce(range(start, start + 50).map((seq) => record(seq, { key: keys[seq % keys.length] })));
        }
        const consumer = await consume(group("order"), { maxBatchSize: 7 });
        await waitFor(`${total} records`, () => uniqueSeqs(consumer.processed).size >= total);

        expect(consumer.processed).toHaveLength(total);
        keys.forEach((key, k) => {
          const mine = consumer.processed.filter((message) => message.key === key);
          expect(seqs(mine)).toEqual(range(0, total).filter((seq) => seq % keys.length === k));
          expect(new Set(mine.map((message) => message.partition))).toEqual(new Set([partitionForKey(key, 4)]));
        });
        for (let partition = 0; partition < 4; partition++) {
          const offsets = consumer.processed.filter((message) => message.partition === partition).map((message) => BigInt(message.offset));
          expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        }
      },
      testTimeout,
    );

    it(
      "delivers a failed batch again before anything after it on the partition, then commits",
      async () => {
        const key = `${run}-retry`;
        const produced = await bus().produce(range(0, 10).map((seq) => record(seq, { key })));
        let failures = 0;
        const consumer = await consume(group("retry"), {
          maxBatchSize: 3,
          onBatch: (ours) => {
            if (ours.some((message) => seqOf(message) === 4) && failures < 2) {
              failures++;
              throw new Error("handler failed on purpose");
            }
          },
        });
        await waitFor("all ten records", () => hasAll(consumer.processed, range(0, 10)));

        expect(failures).toBe(2);
        expect(seqs(consumer.processed)).toEqual(range(0, 10));
        expect(consumer.delivered.filter((message) => seqOf(message) === 4)).toHaveLength(3);
        const batches = consumer.batches;
        batches.forEach((batch, i) => {
          if (batch.ok) return;
          // The very next batch is the same one again.
          expect(batches[i + 1]?.seqs[0]).toBe(batch.seqs[0]);
        });

        const partition = partitionForKey(key, 4);
        const high = (BigInt(produced[9]?.offset ?? 0) + 1n).toString();
        await waitFor("the commit", async () => {
          const lag = await bus().lag(group("retry"), [RAW]);
          const entry = lag.find((row) => row.partition === partition);
          return entry?.committed === high;
        });
        const lag = await bus().lag(group("retry"), [RAW]);
        expect(lag).toHaveLength(4);
        expect(lag.find((row) => row.partition === partition)).toMatchObject({ topic: RAW, partition, committed: high, high, lag: 0 });
      },
      testTimeout,
    );

    it(
      "gives a crashed consumer's uncommitted records to the rest of the group",
      async () => {
        const key = `${run}-crash`;
        const produced = await bus().produce(range(0, 5).map((seq) => record(seq, { key })));
        const gate = deferred();
        onCleanup.push(() => gate.resolve());
        const crashing = await consume(group("crash"), {
          onBatch: async (ours) => {
            if (ours.length > 0) await gate.promise;
          },
        });
        await waitFor("the first delivery", () => crashing.delivered.length > 0);
        await crashing.subscription.stop({ commit: false });
        gate.resolve(); // the dead consumer's handler finishes after its death: too late to commit

        const survivor = await consume(group("crash"));
        await waitFor("all five records again", () => hasAll(survivor.processed, range(0, 5)));

        expect(seqs(survivor.processed)).toEqual(range(0, 5));
        for (const lost of crashing.delivered) {
          expect(survivor.processed.find((message) => message.offset === lost.offset && message.partition === lost.partition)).toBeDefined();
        }
        expect(survivor.processed.map((message) => message.offset)).toEqual(produced.map((offset) => offset.offset));
      },
      testTimeout,
    );

    it(
      "leaves a batch that kept failing uncommitted when its consumer stops",
      async () => {
        const key = `${run}-failing`;
        await bus().produce(range(0, 3).map((seq) => record(seq, { key })));
        const failing = await consume(group("failing"), {
          onBatch: (ours) => {
            if (ours.length > 0) throw new Error("handler failed on purpose");
          },
        });
        await waitFor("a failed delivery", () => failing.delivered.length > 0);
        await failing.subscription.stop();
        expect(failing.processed).toEqual([]);

        const next = await consume(group("failing"));
        await waitFor("the three records", () => hasAll(next.processed, range(0, 3)));
        expect(seqs(next.processed)).toEqual(range(0, 3));
      },
      testTimeout,
    );

    it(
      "splits the partitions among a group's consumers, and hands them over when one leaves",
      async () => {
        const topics = [RAW, ENRICHED];
        const everything = allPartitions(topics);
        const first = await consume(group("split"), { topics });
        const second = await consume(group("split"), { topics });
        const assigned = (consumer: Consumer) => consumer.subscription.assignments().map(tpName);
        await waitFor("disjoint assignments covering every partition", () => {
          const a = assigned(first);
          const b = assigned(second);
          return a.length > 0 && b.length > 0 && a.every((tp) => !b.includes(tp)) && [...a, ...b].sort().join() === [...everything].sort().join();
        });

        const keys = range(0, 16).map((i) => `${run}-s${i}`);
        await bus().produce(range(0, 80).map((seq) => record(seq, { key: keys[seq % keys.length], topic: seq % 2 === 0 ? RAW : ENRICHED })));
        await waitFor("80 records between them", () => hasAll([...first.processed, ...second.processed], range(0, 80)));

        expect(first.processed.length).toBeGreaterThan(0);
        expect(second.processed.length).toBeGreaterThan(0);
        expect(first.processed.length + second.processed.length).toBe(80);
        for (const consumer of [first, second]) {
          const mine = new Set(assigned(consumer));
          for (const message of consumer.processed) expect(mine.has(tpName(message))).toBe(true);
        }

        await second.subscription.stop();
        await waitFor("the remaining consumer to hold every partition", () => assigned(first).sort().join() === [...everything].sort().join());
        const secondBefore = second.processed.length;
        await bus().produce(range(80, 120).map((seq) => record(seq, { key: keys[seq % keys.length], topic: seq % 2 === 0 ? RAW : ENRICHED })));
        await waitFor("the records produced after the handover", () => hasAll(first.processed, range(80, 120)));
        expect(second.processed).toHaveLength(secondBefore);
      },
      testTimeout,
    );

    it(
      "loses nothing and keeps each key's order when a consumer joins mid-stream",
      async () => {
        const keys = range(0, 12).map((i) => `${run}-m${i}`);
        const total = 240;
        const handled: BusMessage[] = [];
        const slowly: OnBatch = async (ours) => {
          if (ours.length > 0) await new Promise((resolve) => setTimeout(resolve, 15));
          handled.push(...ours);
        };
        await bus().produce(range(0, total / 2).map((seq) => record(seq, { key: keys[seq % keys.length] })));
        const first = await consume(group("join"), { maxBatchSize: 4, onBatch: slowly });
        await waitFor("the first consumer to get going", () => first.processed.length > 0);
        const second = await consume(group("join"), { maxBatchSize: 4, onBatch: slowly });
        await bus().produce(range(total / 2, total).map((seq) => record(seq, { key: keys[seq % keys.length] })));
        await waitFor(`all ${total} records`, () => hasAll(handled, range(0, total)));

        // At least once: a handover may repeat a batch, but never skips one or goes back past a commit.
        keys.forEach((key, k) => {
          const firstSeen: number[] = [];
          for (const seq of seqs(handled.filter((message) => message.key === key))) if (!firstSeen.includes(seq)) firstSeen.push(seq);
          expect(firstSeen).toEqual(range(0, total).filter((seq) => seq % keys.length === k));
        });
        expect(second.subscription.assignments().length).toBeGreaterThan(0);
      },
      testTimeout,
    );

    it(
      "starts a new group at the beginning with fromBeginning, else at the end",
      async () => {
        const key = `${run}-history`;
        await bus().produce(range(0, 5).map((seq) => record(seq, { key })));

        const fromStart = await consume(group("from-start"), { fromBeginning: true });
        await waitFor("the history", () => hasAll(fromStart.processed, range(0, 5)));
        expect(seqs(fromStart.processed)).toEqual(range(0, 5));

        const fromEnd = await consume(group("from-end"), { fromBeginning: false });
        // Kafka resolves "the end" a little after joining: keep producing until a new record arrives.
        let seq = 100;
        await waitFor("a record produced after joining", async () => {
          if (fromEnd.processed.length > 0) return true;
          await bus().produce([record(seq++, { key })]);
          await new Promise((resolve) => setTimeout(resolve, 250));
          return fromEnd.processed.length > 0;
        });
        expect(fromEnd.delivered.filter((message) => seqOf(message) < 100)).toEqual([]);
      },
      testTimeout,
    );

    it(
      "resumes a group after its last commit",
      async () => {
        const key = `${run}-resume`;
        const partition = partitionForKey(key, 4);
        const firstHalf = await bus().produce(range(0, 5).map((seq) => record(seq, { key })));
        const before = await consume(group("resume"));
        await waitFor("the first five", () => hasAll(before.processed, range(0, 5)));
        await before.subscription.stop();

        const secondHalf = await bus().produce(range(5, 10).map((seq) => record(seq, { key })));
        const committed = (BigInt(firstHalf[4]?.offset ?? 0) + 1n).toString();
        const high = (BigInt(secondHalf[4]?.offset ?? 0) + 1n).toString();
        const lag = await bus().lag(group("resume"), [RAW]);
        expect(lag.find((row) => row.partition === partition)).toMatchObject({ committed, high, lag: 5 });
        const fresh = await bus().lag(group("never-consumed"), [RAW]);
        expect(fresh.every((row) => row.committed === "-1" && row.lag >= 0)).toBe(true);

        const after = await consume(group("resume"), { fromBeginning: true });
        await waitFor("the second five", () => hasAll(after.processed, range(5, 10)));
        expect(seqs(after.delivered)).toEqual(range(5, 10));
      },
      testTimeout,
    );
  });
}
