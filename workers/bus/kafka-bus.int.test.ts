/**
 * The bus contract against a real Kafka broker: KAFKA_BROKERS, or the local broker the global
 * setup starts (vitest.global-setup.ts provides `kafkaBrokers`). The broker must have Prism's
 * topics; nothing here creates topics.
 */
import { Kafka, logLevel } from "kafkajs";
import { beforeAll, expect, inject } from "vitest";
import { busContract } from "./bus.contract";
import { createKafkaBus } from "./kafka-bus";
import type { BusLog } from "./log";
import { TOPIC_PARTITIONS } from "./topics";

const brokers = inject("kafkaBrokers")
  .split(",")
  .map((broker) => broker.trim())
  .filter(Boolean);

/** The contract makes handlers fail on purpose, which kafkajs logs as errors: keep those quiet, show the rest. */
const log: BusLog = (level, message, fields) => {
  if (/Error when calling eachBatch|handler failed on purpose|Restarting the consumer|crashed/.test(`${message} ${JSON.stringify(fields ?? {})}`)) return;
  if (level === "error") console.error(`[kafka-bus] ${message}`, fields ?? "");
};

beforeAll(async () => {
  const admin = new Kafka({ clientId: "prism-bus-contract-check", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: Object.keys(TOPIC_PARTITIONS) });
    const partitions = Object.fromEntries(topics.map(({ name, partitions }) => [name, partitions.length]));
    expect(partitions, `the topics on ${brokers.join(",")}`).toEqual(TOPIC_PARTITIONS);
  } finally {
    await admin.disconnect();
  }
}, 60_000);

busContract(
  "kafka",
  async () => ({
    bus: createKafkaBus({
      brokers,
      clientId: "prism-bus-contract",
      log,
      consumer: { heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, maxWaitTimeMs: 250 },
    }),
    cleanup: async () => undefined,
  }),
  { waitMs: 90_000, testTimeoutMs: 240_000 },
);
