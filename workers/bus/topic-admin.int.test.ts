/**
 * Topic creation and drift on the real broker of the global setup. Each test uses topics of its own
 * (a random prefix), so the core topics the other tests rely on are never touched.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CORE_TOPICS, ensureTopics, TOPIC_RESOURCE, topicTable, type TopicSpec } from "./topic-admin";

const brokers = inject("kafkaBrokers")
  .split(",")
  .map((broker) => broker.trim())
  .filter(Boolean);
const DAY = 86_400_000;

let admin: Admin;
beforeAll(async () => {
  admin = new Kafka({ clientId: "prism-topic-admin-test", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

/** The core topics' design under a prefix of this test's own. */
function ownTopics(): TopicSpec[] {
  const prefix = `t${randomBytes(4).toString("hex")}.`;
  return CORE_TOPICS.map((spec) => ({ ...spec, topic: prefix + spec.topic }));
}

async function retentionOf(topics: string[]): Promise<Record<string, number>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ["retention.ms"] })),
  });
  return Object.fromEntries(
    described.resources.map((resource) => [
      resource.resourceName,
      Number(resource.configEntries.find((entry) => entry.configName === "retention.ms")?.configValue),
    ]),
  );
}

describe("core topics on Kafka", () => {
  it("designs the spec's table", () => {
    expect(CORE_TOPICS.map(({ topic, partitions, retentionMs }) => [topic, partitions, retentionMs / DAY])).toEqual([
      ["event.raw", 4, 7],
      ["event.enriched", 4, 7],
      ["event.triggered", 4, 30],
      ["event.dlq", 2, 30],
    ]);
  });

  it("creates the missing topics with the designed partitions and retention, and reports no drift", async () => {
    const topics = ownTopics();
    const drift: string[] = [];
    const states = await ensureTopics(brokers, { replicationFactor: 1, topics, onDrift: (line) => drift.push(line) });
    expect(drift).toEqual([]);
    expect(states.map((state) => [state.created, state.actualPartitions, state.actualRetentionMs, state.replicationFactor])).toEqual(
      topics.map((spec) => [true, spec.partitions, spec.retentionMs, 1]),
    );

    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: topics.map(({ topic }) => topic) });
    expect(Object.fromEntries(metadata.map((topic) => [topic.name, topic.partitions.length]))).toEqual(
      Object.fromEntries(topics.map((spec) => [spec.topic, spec.partitions])),
    );
    expect(await retentionOf(topics.map(({ topic }) => topic))).toEqual(Object.fromEntries(topics.map((spec) => [spec.topic, spec.retentionMs])));

    // A second run finds everything in place.
    const again = await ensureTopics(brokers, { replicationFactor: 1, topics });
    expect(again.every((state) => !state.created && state.drift === null)).toBe(true);
    expect(topicTable(again)).toMatch(new RegExp(`${topics[0]!.topic.replace(".", "\\.")}\\s+4\\s+4\\s+7 days\\s+7 days\\s+1\\s+ok`));
  });

  it("reports a topic with fewer partitions and another retention in one line, and leaves it as it is", async () => {
    const [raw, ...rest] = ownTopics();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: raw!.topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "retention.ms", value: String(DAY) }] }],
    });
    const drift: string[] = [];
    const states = await ensureTopics(brokers, { replicationFactor: 1, topics: [raw!, ...rest], onDrift: (line) => drift.push(line) });
    expect(drift).toEqual([`Kafka topic ${raw!.topic} differs from the design: 1 partition (designed 4), retention 1 day (designed 7 days)`]);
    expect(states[0]).toMatchObject({ created: false, actualPartitions: 1, actualRetentionMs: DAY });
    expect(states.slice(1).every((state) => state.created && state.drift === null)).toBe(true);
    expect(topicTable(states)).toContain("DRIFT");
  });

  it("npm run kafka:topics prints the table of the core topics under plain Node, and exits 0 when nothing drifts", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const run = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "tools/kafka/topics.ts")], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", KAFKA_BROKERS: brokers.join(",") },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^topic\s+partitions\s+designed\s+retention\s+designed\s+replicas\s+state$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/))).toEqual([
      ["event.raw", "4", "4", "7 days", "7 days", "1", "ok"],
      ["event.enriched", "4", "4", "7 days", "7 days", "1", "ok"],
      ["event.triggered", "4", "4", "30 days", "30 days", "1", "ok"],
      ["event.dlq", "2", "2", "30 days", "30 days", "1", "ok"],
    ]);
  });
});
