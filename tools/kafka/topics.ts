/**
 * `npm run kafka:topics`: creates Prism's missing core topics on KAFKA_BROKERS with the designed
 * partitions and retention (replication KAFKA_REPLICATION_FACTOR, default 1), and prints each
 * topic's state; exits 1 when a topic drifts from the design. The worker does the same at start-up.
 */
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { brokerList, parseConfig } from "../../src/platform/config-parse";
import { ensureTopics, topicTable } from "../../workers/bus/topic-admin";

const envSchema = z.object({
  KAFKA_BROKERS: brokerList,
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).default(1),
});

async function main(): Promise<void> {
  let env: z.infer<typeof envSchema>;
  try {
    env = parseConfig(envSchema, process.env);
  } catch (error) {
    console.error(`kafka:topics: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const drift: string[] = [];
  const states = await ensureTopics(env.KAFKA_BROKERS, { replicationFactor: env.KAFKA_REPLICATION_FACTOR, onDrift: (line) => drift.push(line) });
  console.log(topicTable(states));
  for (const line of drift) console.warn(line);
  process.exitCode = drift.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(`kafka:topics: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
