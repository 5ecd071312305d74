import type { DuckDBInstance } from "@duckdb/node-api";
import { createEmbeddedBus } from "./embedded-bus";
import type { RecordFormat } from "../../src/contracts/wire/codec";
import { createKafkaBus, type KafkaCompression } from "./kafka-bus";
import type { BusLog } from "./log";
import type { Bus } from "./types";

export interface BusConfig {
  /** Kafka when set and non-empty; otherwise the embedded log in DuckDB. */
  kafkaBrokers?: string[];
  /** The process's DuckDB instance, or the path of a file for the bus alone. Used only without Kafka. */
  duckdb: DuckDBInstance | string;
  clientId: string;
  log?: BusLog;
  /** Kafka only (the embedded log stays JSON): the internal topics' format and the batches' compression. */
  recordFormat?: RecordFormat;
  compression?: KafkaCompression;
}

/** The bus for this process: Kafka when brokers are configured, else the embedded DuckDB log. */
export async function createBus(config: BusConfig): Promise<Bus> {
  if (config.kafkaBrokers && config.kafkaBrokers.length > 0) {
    const { recordFormat, compression } = config;
    return createKafkaBus({ brokers: config.kafkaBrokers, clientId: config.clientId, log: config.log, recordFormat, compression });
  }
  return createEmbeddedBus({ db: config.duckdb, log: config.log });
}

export type { BusLog, BusLogLevel } from "./log";
export { consoleBusLog } from "./log";
export { partitionForKey } from "./partitioner";
export { TOPIC_PARTITIONS, TOPICS } from "./topics";
export type * from "./types";
