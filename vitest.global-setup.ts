/**
 * Real services for the test run: a PostgreSQL server (TEST_DATABASE_URL, default the local
 * server; an embedded PostgreSQL when none answers) and a Kafka broker (KAFKA_BROKERS, or a
 * single-node broker started from Maven Central jars). Kafka is required: no broker, no run.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { DEFAULT_TEST_DATABASE_URL, postgresAnswers } from "./src/testing/postgres";
import { restrictDataDir, startEmbeddedPostgres } from "./tools/embedded-postgres";
import { startLocalBroker } from "./tools/kafka/local-broker";

declare module "vitest" {
  export interface ProvidedContext {
    /** A server URL on which tests may create and drop their own databases. */
    postgresServerUrl: string;
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject) {
  const teardown: Array<() => Promise<void>> = [];

  let serverUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  if (!(await postgresAnswers(serverUrl))) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "prism-test-pg-"));
    await restrictDataDir(dir);
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), password: randomBytes(16).toString("hex") });
    teardown.push(async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    });
    serverUrl = embedded.url;
    console.warn(`[setup] No PostgreSQL at ${process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL}; using an embedded PostgreSQL 17.`);
  }
  project.provide("postgresServerUrl", serverUrl);

  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const broker = await startLocalBroker({ log: (line) => console.log(`[kafka] ${line}`) });
    teardown.push(() => broker.stop());
    brokers = broker.brokers.join(",");
  }
  project.provide("kafkaBrokers", brokers);

  return async () => {
    for (const step of teardown.reverse()) await step();
  };
}
