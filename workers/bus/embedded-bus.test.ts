import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { deferred } from "./async-util";
import { busContract } from "./bus.contract";
import { createEmbeddedBus, type EmbeddedBus } from "./embedded-bus";
import type { BusLog } from "./log";
import { partitionForKey } from "./partitioner";
import type { BusMessage } from "./types";

/** Handler failures are expected in the contract; keep them out of the test output. */
const quiet: BusLog = () => undefined;

async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "prism-bus-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

busContract("embedded (DuckDB file)", async () => {
  const { dir, remove } = await tempDir();
  const bus = await createEmbeddedBus({ db: path.join(dir, "bus.duckdb"), log: quiet, retryBackoffMs: { initial: 20, max: 200 } });
  return { bus, cleanup: remove };
});

busContract("embedded (in-memory DuckDB instance)", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const bus = await createEmbeddedBus({ db: instance, log: quiet, retryBackoffMs: { initial: 20, max: 200 } });
  return { bus, cleanup: async () => instance.closeSync() };
});

describe("embedded bus", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function open(file: string, partitions?: Record<string, number>): Promise<EmbeddedBus> {
    const bus = await createEmbeddedBus({ db: file, log: quiet, ...(partitions ? { partitions } : {}) });
    cleanups.push(() => bus.close());
    return bus;
  }

  async function drain(bus: EmbeddedBus, groupId: string, topic: string, count: number): Promise<BusMessage[]> {
    const got: BusMessage[] = [];
    const done = deferred();
    const subscription = await bus.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (batch) => {
        got.push(...batch.messages);
        if (got.length >= count) done.resolve();
      },
    });
    await done.promise;
    await subscription.stop();
    return got;
  }

  it("keeps records, offsets and commits across a restart, and prunes what every group committed", async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, "bus.duckdb");

    const first = await open(file);
    const produced = await first.produce(Array.from({ length: 6 }, (_, i) => ({ topic: "event.raw", key: "k", value: `v${i}` })));
    expect(produced.map((p) => p.offset)).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(await drain(first, "g", "event.raw", 6)).toHaveLength(6);
    await first.close();

    const second = await open(file);
    const partition = partitionForKey("k", 4);
    expect(await second.lag("g", ["event.raw"])).toContainEqual({ topic: "event.raw", partition, committed: "6", high: "6", lag: 0 });
    const more = await second.produce([{ topic: "event.raw", key: "k", value: "v6" }]);
    expect(more[0]).toEqual({ topic: "event.raw", partition, offset: "6" });

    // Group g has committed everything but v6: prune keeps v6 (uncommitted) and nothing else.
    expect(await second.prune()).toBe(6);
    const rest = await drain(second, "other", "event.raw", 1);
    expect(rest.map((m) => m.value)).toEqual(["v6"]);
    await second.close();

    // All records pruned but the last: offsets still continue after a restart.
    const third = await open(file);
    expect(await third.prune()).toBe(0);
    expect((await third.produce([{ topic: "event.raw", key: "k", value: "v7" }]))[0]?.offset).toBe("7");
  });

  it("rejects unknown topics and partitions, and grows partition counts but never shrinks them", async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, "bus.duckdb");
    const bus = await open(file, { a: 2 });
    await expect(bus.produce([{ topic: "nope", value: "x" }])).rejects.toThrow(/Unknown topic/);
    await expect(bus.produce([{ topic: "a", value: "x", partition: 2 }])).rejects.toThrow(/no partition 2/);
    await expect(bus.subscribe({ groupId: "g", topics: ["nope"], handleBatch: async () => undefined })).rejects.toThrow(/Unknown topic/);
    await bus.close();

    const grown = await open(file, { a: 3 });
    expect(await grown.lag("g", ["a"])).toHaveLength(3);
    await grown.close();
    const kept = await open(file, { a: 1 });
    expect(await kept.lag("g", ["a"])).toHaveLength(3);
  });

  it("checks every record of a produce before writing any", async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const bus = await open(path.join(dir, "bus.duckdb"));
    await expect(
      bus.produce([
        { topic: "event.raw", value: "ok" },
        { topic: "event.raw", value: "bad", headers: { n: 1 as unknown as string } },
      ]),
    ).rejects.toThrow();
    expect((await bus.lag("g", ["event.raw"])).every((row) => row.high === "0")).toBe(true);
  });

  it("wakes an idle consumer on produce, without waiting for the poll interval", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    cleanups.push(async () => instance.closeSync());
    const bus = await createEmbeddedBus({ db: instance, log: quiet, pollIntervalMs: 60_000 });
    cleanups.push(() => bus.close());
    const arrived = deferred<number>();
    await bus.subscribe({ groupId: "g", topics: ["event.raw"], handleBatch: async () => arrived.resolve(Date.now()) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = Date.now();
    await bus.produce([{ topic: "event.raw", key: "k", value: "v" }]);
    expect((await arrived.promise) - sent).toBeLessThan(1000);
  });
});
