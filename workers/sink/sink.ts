import type { DuckDBInstance } from "@duckdb/node-api";
import type { Registry } from "prom-client";
import { TOPIC } from "../../src/core/events";
import type { Logger } from "../../src/platform/logger";
import type { Bus, BusMessage, Subscription } from "../bus/types";
import { coalesce } from "../coalesce";
import { deadLetterCounter, isolatingBatchHandler } from "../poison";
import { DEAD_LETTER_REASON_HEADER, SinkWriter } from "./writer";

export const sinkGroup = (prefix: string) => `${prefix}-sink`;
export const SINK_TOPICS = [TOPIC.enriched, TOPIC.triggered, TOPIC.dlq];

export interface RunningSink {
  subscription: Subscription;
  stop(options?: { commit?: boolean }): Promise<void>;
}

/**
 * Consumes the processor's outputs and dead letters into DuckDB. Batches of concurrently consumed
 * partitions share one DuckDB transaction; each batch's offsets are committed (by the bus) only
 * after that transaction commits. Records that cannot be decoded, and records DuckDB refuses
 * (found by poison.ts's isolation, which writes each slice in a transaction of its own), are first
 * made durable on `event.dlq`, so nothing is skipped silently.
 */
export async function startSink(opts: { bus: Bus; groupPrefix: string; duckdb: DuckDBInstance; log: Logger; metrics?: Registry }): Promise<RunningSink> {
  const writer = new SinkWriter(opts.duckdb, opts.metrics);
  const counter = deadLetterCounter(opts.metrics);
  const write = coalesce<BusMessage>(async (messages) => {
    const result = await writer.write(messages);
    if (result.undecodable.length > 0) {
      opts.log.warn({ count: result.undecodable.length }, "sink sent undecodable records to event.dlq");
      await opts.bus.produce(result.undecodable);
      for (const record of result.undecodable) counter?.inc({ stage: "sink", reason: record.headers?.[DEAD_LETTER_REASON_HEADER] ?? "invalid" });
    }
  }, 20_000);
  const subscription = await opts.bus.subscribe({
    groupId: sinkGroup(opts.groupPrefix),
    topics: SINK_TOPICS,
    fromBeginning: true,
    maxBatchSize: 5000,
    concurrentPartitions: 4,
    handleBatch: isolatingBatchHandler({
      stage: "sink",
      handle: (batch, whole) => write(batch.messages, !whole),
      produce: (records) => opts.bus.produce(records),
      counter,
      log: opts.log,
    }),
  });
  return {
    subscription,
    async stop(options) {
      await subscription.stop(options);
      writer.close();
    },
  };
}
