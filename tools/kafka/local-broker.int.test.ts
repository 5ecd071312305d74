import { Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalBroker, TOPICS, type LocalBroker } from "./local-broker";

// The first run fetches the jars with Maven, which can take minutes on a cold machine.
const START_TIMEOUT_MS = 600_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("local Kafka broker", () => {
  let broker: LocalBroker | undefined;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startLocalBroker();
    kafka = new Kafka({ clientId: "local-broker-test", brokers: broker.brokers, logLevel: logLevel.WARN });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await broker?.stop();
  }, 60_000);

  it("listens on 127.0.0.1 and runs as its own process", () => {
    expect(broker?.brokers).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect(broker && isAlive(broker.pid)).toBe(true);
  });

  it("has Prism's topics with their partition counts", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: TOPICS.map(({ topic }) => topic) });
      const partitions = Object.fromEntries(topics.map(({ name, partitions }) => [name, partitions.length]));
      expect(partitions).toEqual({ "event.raw": 4, "event.enriched": 4, "event.triggered": 4, "event.dlq": 2 });
    } finally {
      await admin.disconnect();
    }
  });

  it("delivers a produced message to a consumer", { timeout: 90_000 }, async () => {
    const value = `hello ${Date.now()}`;
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "event.raw", messages: [{ key: "profile-1", value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `local-broker-test-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: "event.raw", fromBeginning: true });
      const received = await new Promise<{ key: string; value: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no message within 60 s")), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({ key: message.key?.toString() ?? "", value: message.value?.toString() ?? "" });
          },
        });
      });
      expect(received).toEqual({ key: "profile-1", value });
    } finally {
      await consumer.disconnect();
    }
  });

  it("stops: the process exits", { timeout: 60_000 }, async () => {
    const pid = broker?.pid ?? -1;
    await broker?.stop();
    broker = undefined;
    expect(isAlive(pid)).toBe(false);
  });
});
