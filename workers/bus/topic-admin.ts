/**
 * Prism's core topics on a real Kafka cluster: creates the missing ones with the designed partition
 * count and retention, and reports drift on the existing ones (fewer partitions than designed, a
 * different retention). Nothing is altered on an existing topic: adding partitions moves keys to
 * other partitions, and retention is an operator's call, so drift is only reported.
 */
import { Kafka, logLevel, type Admin, type ConfigResourceTypes } from "kafkajs";
import { TOPIC_PARTITIONS, TOPIC_RETENTION_MS } from "./topics";

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs: number;
}

/** The spec's table: event.raw 4 / 7 d, event.enriched 4 / 7 d, event.triggered 4 / 30 d, event.dlq 2 / 30 d. */
export const CORE_TOPICS: readonly TopicSpec[] = Object.freeze(
  Object.entries(TOPIC_PARTITIONS).map(([topic, partitions]) => Object.freeze({ topic, partitions, retentionMs: TOPIC_RETENTION_MS[topic]! })),
);

export interface TopicState extends TopicSpec {
  /** True when this call created the topic. */
  created: boolean;
  actualPartitions: number;
  /** null when the broker did not say (no DescribeConfigs permission). */
  actualRetentionMs: number | null;
  replicationFactor: number;
  /** One clear line when the topic differs from the design, else null. */
  drift: string | null;
}

export interface EnsureTopicsOptions {
  /** Replicas of each created topic: 1 in development, 3 or more in production. */
  replicationFactor: number;
  topics?: readonly TopicSpec[];
  /** Called once per drifting topic, with its drift line. */
  onDrift?: (line: string, state: TopicState) => void;
}

const DAY_MS = 86_400_000;
/** ConfigResourceTypes.TOPIC: kafkajs is CommonJS and Node's ESM loader does not see that enum as a named export. */
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export function describeRetention(ms: number): string {
  if (ms < 0) return "unlimited";
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} ${ms === DAY_MS ? "day" : "days"}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${ms} ms`;
}

/** The drift line of a topic, or null when it matches the design. More partitions than designed is fine. */
export function driftLine(state: Omit<TopicState, "drift">): string | null {
  const problems: string[] = [];
  if (state.actualPartitions < state.partitions) {
    problems.push(`${state.actualPartitions} ${state.actualPartitions === 1 ? "partition" : "partitions"} (designed ${state.partitions})`);
  }
  if (state.actualRetentionMs !== null && state.actualRetentionMs !== state.retentionMs) {
    problems.push(`retention ${describeRetention(state.actualRetentionMs)} (designed ${describeRetention(state.retentionMs)})`);
  }
  return problems.length === 0 ? null : `Kafka topic ${state.topic} differs from the design: ${problems.join(", ")}`;
}

/** Creates the missing topics, then reads every topic's partitions and retention back. */
export async function ensureTopicsWithAdmin(admin: Admin, options: EnsureTopicsOptions): Promise<TopicState[]> {
  const specs = options.topics ?? CORE_TOPICS;
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter(({ topic }) => !existing.has(topic));
  if (missing.length > 0) {
    // Resolves false when another process created one meanwhile, which is fine: it is checked below.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: options.replicationFactor,
        configEntries: [{ name: "retention.ms", value: String(spec.retentionMs) }],
      })),
    });
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: specs.map(({ topic }) => topic) });
  const metadata = new Map(topics.map((topic) => [topic.name, topic]));
  const retention = await readRetention(
    admin,
    specs.map(({ topic }) => topic),
  );
  return specs.map((spec) => {
    const partitions = metadata.get(spec.topic)?.partitions ?? [];
    const base = {
      ...spec,
      created: missing.includes(spec),
      actualPartitions: partitions.length,
      actualRetentionMs: retention.get(spec.topic) ?? null,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
    };
    const state: TopicState = { ...base, drift: driftLine(base) };
    if (state.drift) options.onDrift?.(state.drift, state);
    return state;
  });
}

async function readRetention(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ["retention.ms"] })),
    });
    for (const resource of described.resources) {
      const entry = resource.configEntries.find((config) => config.configName === "retention.ms");
      if (resource.errorCode === 0 && entry?.configValue) result.set(resource.resourceName, Number(entry.configValue));
    }
  } catch {
    // A cluster may refuse DescribeConfigs to this client; partitions are still checked.
  }
  return result;
}

/** The same with a short-lived admin client of its own, for the worker's start-up and `npm run kafka:topics`. */
export async function ensureTopics(brokers: string[], options: EnsureTopicsOptions & { clientId?: string }): Promise<TopicState[]> {
  const kafka = new Kafka({ clientId: options.clientId ?? "prism-topic-admin", brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopicsWithAdmin(admin, options);
  } finally {
    await admin.disconnect();
  }
}

/** The states as a plain-text table, for the CLI. */
export function topicTable(states: readonly TopicState[]): string {
  const rows = [
    ["topic", "partitions", "designed", "retention", "designed", "replicas", "state"],
    ...states.map((state) => [
      state.topic,
      String(state.actualPartitions),
      String(state.partitions),
      state.actualRetentionMs === null ? "?" : describeRetention(state.actualRetentionMs),
      describeRetention(state.retentionMs),
      String(state.replicationFactor),
      state.created ? "created" : state.drift ? "DRIFT" : "ok",
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
