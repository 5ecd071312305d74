import type { DuckDBInstance } from "@duckdb/node-api";
import type { Registry } from "prom-client";
import { TOPIC } from "../../src/domain/events";
import type { Logger } from "../../src/lib/logger";
import type { Bus, BusMessage, Subscription } from "../bus/types";
import { coalesce } from "../coalesce";
import { SinkWriter } from "./writer";

export const sinkGroup = (prefix: string) => `${prefix}-sink`;
export const SINK_TOPICS = [TOPIC.enriched, TOPIC.triggered, TOPIC.dlq];

export interface RunningSink {
  subscription: Subscription;
  stop(options?: { commit?: boolean }): Promise<void>;
}

/**
 * Consumes the processor's outputs and dead letters into DuckDB. Batches of concurrently consumed
 * partitions share one DuckDB transaction; each batch's offsets are committed (by the bus) only
 * after that transaction commits, and records that cannot be decoded are first made durable on
 * `event.dlq`, so nothing is skipped silently.
 */
export async function startSink(opts: { bus: Bus; groupPrefix: string; duckdb: DuckDBInstance; log: Logger; metrics?: Registry }): Promise<RunningSink> {
  const writer = new SinkWriter(opts.duckdb, opts.metrics);
  const write = coalesce<BusMessage>(async (messages) => {
    const result = await writer.write(messages);
    if (result.undecodable.length > 0) {
      opts.log.warn({ count: result.undecodable.length }, "sink sent undecodable records to event.dlq");
      await opts.bus.produce(result.undecodable.map((record) => ({ ...record, headers: { ...record.headers, "prism-source": "sink" } })));
    }
  }, 20_000);
  const subscription = await opts.bus.subscribe({
    groupId: sinkGroup(opts.groupPrefix),
    topics: SINK_TOPICS,
    fromBeginning: true,
    maxBatchSize: 5000,
    concurrentPartitions: 4,
    handleBatch: (batch) => write(batch.messages),
  });
  return {
    subscription,
    async stop(options) {
      await subscription.stop(options);
      writer.close();
    },
  };
}
