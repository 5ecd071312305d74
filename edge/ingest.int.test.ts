/**
 * Ingest end to end on real services: Postgres for the key and plan, the edge handler posting
 * through @upstash/kafka to the worker's gateway, kafkajs writing to a real Kafka broker.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { internalEventSchema, profileRecordSchema } from "../src/core/events";
import { resolveApiKey } from "../src/platform/resolve-key";
import { createTestApp, type TestApp } from "../src/testing/app";
import { startLocalBroker } from "../tools/kafka/local-broker";
import { startWorker, type RunningWorker } from "../workers/main";
import { workerEnv } from "../workers/env";
import { createIngestHandler, type IngestHandler } from "./ingest";
import { upstashProducer } from "./upstash-producer";

const GATEWAY_TOKEN = "gateway-token-for-tests-0000";

interface Harness {
  worker: RunningWorker;
  ingest: IngestHandler;
}

let app: TestApp;
let apiKey: string;
let projectId: string;

async function harness(brokers: string): Promise<Harness> {
  const worker = await startWorker(
    workerEnv({ PRISM_ROLE: "gateway", DATABASE_URL: app.url, KAFKA_BROKERS: brokers, WORKER_PORT: "0", GATEWAY_TOKEN, LOG_LEVEL: "silent" }),
  );
  const ingest = createIngestHandler({
    resolveKey: (key) => resolveApiKey(app.db, key),
    produce: upstashProducer({ url: `http://127.0.0.1:${worker.port}`, username: "prism", password: GATEWAY_TOKEN }),
    limits: { produceTimeoutMs: 1500 },
  });
  return { worker, ingest };
}

function post(ingest: IngestHandler, kind: "events" | "batch" | "profiles", body: unknown): Promise<Response> {
  return ingest[kind](
    new Request(`http://edge.test/api/v1/${kind}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify(body),
    }),
  );
}

/** Every record of `topic` whose value mentions this test's project, read from the beginning. */
async function readTopic(brokers: string, topic: string, expected: number, timeoutMs = 30_000): Promise<Array<{ key: string | null; value: string }>> {
  const kafka = new Kafka({ clientId: "ingest-test-reader", brokers: brokers.split(","), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `ingest-test-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  const found: Array<{ key: string | null; value: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = message.value?.toString("utf8") ?? "";
      if (value.includes(projectId)) found.push({ key: message.key?.toString("utf8") ?? null, value });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (found.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  await consumer.disconnect();
  return found;
}

beforeAll(async () => {
  app = await createTestApp();
  const { user, orgId } = await app.signUp("ingest@example.com");
  const caller = app.caller(user);
  const project = await caller.projects.create({ orgId, name: "Ingest" });
  projectId = project.id;
  await caller.trackingPlan.createEventType({
    projectId,
    eventType: { name: "purchase", description: "", fields: [{ name: "amount", dataType: "number", required: true }] },
  });
  await caller.trackingPlan.createEventType({ projectId, eventType: { name: "login", description: "", fields: [] } });
  await caller.projects.updateSettings({ projectId, settings: { planEnforcement: "enforce" } });
  apiKey = (await caller.apiKeys.create({ projectId, name: "ingest" })).secret;
});
afterAll(async () => {
  await app?.close();
});

describe("ingest through the gateway to Kafka", () => {
  it("puts valid events of every format on event.raw in the internal form with the right key, and refusals on event.dlq", async () => {
    const brokers = inject("kafkaBrokers");
    const { worker, ingest } = await harness(brokers);
    try {
      const internal = await post(ingest, "events", { event_name: "purchase", profile_id: "p-1", props: { amount: 12.5 } });
      const tracking = await post(ingest, "events", {
        event_type: "login",
        user_id: "p-2",
        session_id: "s-1",
        timestamp: new Date().toISOString(),
        fields: {},
      });
      const segment = await post(ingest, "batch", [
        { type: "track", event: "purchase", userId: "p-3", properties: { amount: 3 } },
        { type: "identify", userId: "p-3", traits: { vip_level: 3 } },
      ]);
      const profile = await post(ingest, "profiles", { profile_id: "p-4", set: { plan: "pro" } });
      expect([internal.status, tracking.status, segment.status, profile.status]).toEqual([202, 202, 202, 202]);

      const refused = await post(ingest, "events", { event_name: "purchase", profile_id: "p-5", props: { amount: "lots" } });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ error: "datatype_mismatch" });

      const raw = await readTopic(brokers, "event.raw", 5);
      expect(raw).toHaveLength(5);
      const events = raw.filter((record) => JSON.parse(record.value).type === "event");
      for (const record of events) {
        const event = internalEventSchema.parse(JSON.parse(record.value));
        expect(record.key).toBe(`${projectId}:${event.profile_id}`);
      }
      expect(events.map((record) => JSON.parse(record.value).ctx.source_format).sort()).toEqual(["internal", "segment", "tracking"]);
      const profiles = raw.filter((record) => JSON.parse(record.value).type === "profile").map((record) => profileRecordSchema.parse(JSON.parse(record.value)));
      expect(profiles.map((record) => record.profile_id).sort()).toEqual(["p-3", "p-4"]);

      const dlq = await readTopic(brokers, "event.dlq", 1);
      expect(dlq).toHaveLength(1);
      expect(JSON.parse(dlq[0]!.value)).toMatchObject({ reason: "datatype_mismatch", payload: { profile_id: "p-5" } });
    } finally {
      await worker.stop();
    }
  });

  it("is served the same way by the worker itself, producing without the REST hop", async () => {
    const brokers = inject("kafkaBrokers");
    const { worker } = await harness(brokers);
    try {
      const url = `http://127.0.0.1:${worker.port}/api/v1`;
      const headers = { "content-type": "application/json", "x-api-key": apiKey };
      const single = await fetch(`${url}/events`, {
        method: "POST",
        headers,
        body: JSON.stringify({ event_name: "purchase", event_id: "worker-ingest-1", profile_id: "w-1", props: { amount: 1 } }),
      });
      expect(single.status).toBe(202);
      const refused = await fetch(`${url}/events`, { method: "POST", headers, body: "{not json" });
      expect(refused.status).toBe(400);
      const unauthorized = await fetch(`${url}/events/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: "[]" });
      expect(unauthorized.status).toBe(401);
      const raw = await readTopic(brokers, "event.raw", 6);
      expect(raw.map((record) => JSON.parse(record.value).event_id as string)).toContain("worker-ingest-1");
    } finally {
      await worker.stop();
    }
  });

  it("answers 503 while the broker is down and loses nothing it acknowledged before", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "prism-ingest-kafka-"));
    let broker = await startLocalBroker({ dataDir });
    const brokers = broker.brokers.join(",");
    const port = Number(brokers.split(":")[1]);
    const { worker, ingest } = await harness(brokers);
    try {
      const acknowledged: string[] = [];
      for (let i = 0; i < 20; i++) {
        const response = await post(ingest, "events", { event_name: "purchase", event_id: `before-${i}`, profile_id: `p-${i % 3}`, props: { amount: i } });
        expect(response.status).toBe(202);
        acknowledged.push(`before-${i}`);
      }

      await broker.stop();
      const started = Date.now();
      const during = await post(ingest, "events", { event_name: "purchase", event_id: "during", profile_id: "p-1", props: { amount: 1 } });
      expect(during.status).toBe(503);
      expect(during.headers.get("retry-after")).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(3000);

      broker = await startLocalBroker({ dataDir, port });
      const raw = await readTopic(brokers, "event.raw", acknowledged.length);
      const ids = new Set(raw.map((record) => JSON.parse(record.value).event_id as string));
      for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    } finally {
      await worker.stop();
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
