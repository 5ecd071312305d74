/**
 * Poison isolation in every consumer, on the real broker and on the embedded log: random poison
 * of every kind (not JSON, not UTF-8, the wrong shape, a value Postgres or DuckDB refuses, a step
 * throwing for that record) mixed into valid records. Afterwards every valid record is handled
 * exactly once, each poison record is one dead letter with its stage and exact payload, every
 * group's lag is 0 and the consumer health check is healthy.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TOPIC } from "../src/core/events";
import type { FiringRecord } from "../src/contracts/records";
import { encodeValue } from "../src/contracts/wire/codec";
import { newWebhookEndpointId, newWebhookSecret } from "../src/core/webhooks";
import { projectTriggers } from "../src/core/processing";
import { createLogger } from "../src/platform/logger";
import { createTestApp, type TestApp } from "../src/testing/app";
import { actionsGroup, startActionRunner } from "./actions/runner";
import { enqueueWebhookDelivery, startWebhookDispatcher, type WebhookDispatcher } from "./actions/webhook-dispatcher";
import { startReceiver, type TestReceiver } from "./actions/webhook-testing";
import { createEmbeddedBus } from "./bus/embedded-bus";
import { createKafkaBus } from "./bus/kafka-bus";
import type { Bus, ProduceRecord, Subscription } from "./bus/types";
import { watchConsumers } from "./consumer-watch";
import { processorGroup, processorMetrics, startProcessor } from "./processor/processor";
import type { ProjectRules, RuleRegistry } from "./processor/rule-registry";
import { sinkGroup, SINK_TOPICS, startSink, type RunningSink } from "./sink/sink";
import { until } from "../src/testing/until";

const log = createLogger("poison-test", "silent");
const RAW_POISON = ["not_json", "not_utf8", "wrong_schema", "refused_value", "step_throws"] as const;
type RawKind = "valid" | (typeof RAW_POISON)[number];
const NOT_UTF8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]);

/** Rules for the test project whose one step throws for events named "boom", as a bug hitting one record would. */
function throwingRules(projectId: string): RuleRegistry {
  const none: ProjectRules = projectTriggers([]);
  const ours = {
    ...none,
    triggers: [{}] as ProjectRules["triggers"],
    triggersFor(eventName: string) {
      if (eventName === "boom") throw new TypeError("rule step failed for this event");
      return [];
    },
  } satisfies ProjectRules;
  return { forProject: (id: string) => (id === projectId ? ours : none) } as unknown as RuleRegistry;
}

describe.each([
  ["the real broker", "kafka"],
  ["the embedded log", "embedded"],
] as const)("poison isolation on %s", (_title, kind) => {
  let app: TestApp;
  let dir: string;
  let duckdb: DuckDBInstance;
  let bus: Bus;
  let pool: pg.Pool;
  let receiver: TestReceiver;
  let projectId: string;
  let endpointId: string;
  let kafka: Kafka | undefined;
  const registry = new Registry();
  const subscriptions: Subscription[] = [];
  let sink: RunningSink | undefined;
  let dispatcher: WebhookDispatcher | undefined;
  let watch: ReturnType<typeof watchConsumers> | undefined;
  const prefix = `poison-${kind}-${Date.now()}`;
  const groups = [
    { groupId: processorGroup(prefix), topics: [TOPIC.raw] },
    { groupId: sinkGroup(prefix), topics: SINK_TOPICS },
    { groupId: actionsGroup(prefix), topics: [TOPIC.triggered] },
  ];

  beforeAll(async () => {
    app = await createTestApp();
    const { user, orgId } = await app.signUp(`poison-${kind}@example.com`);
    projectId = (await app.caller(user).projects.create({ orgId, name: "Poison" })).id;
    dir = await mkdtemp(path.join(tmpdir(), "prism-poison-"));
    duckdb = await DuckDBInstance.create(path.join(dir, "prism.duckdb"));
    if (kind === "kafka") {
      const brokers = inject("kafkaBrokers").split(",");
      bus = createKafkaBus({
        brokers,
        clientId: "prism-poison-test",
        logLevel: "nothing",
        consumer: { heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, maxWaitTimeMs: 250 },
      });
      kafka = new Kafka({ clientId: "prism-poison-bytes", brokers, logLevel: logLevel.NOTHING });
    } else {
      bus = await createEmbeddedBus({ db: duckdb, log: () => undefined, retryBackoffMs: { initial: 20, max: 200 } });
    }
    pool = new pg.Pool({ connectionString: app.url, max: 4 });
    // Real refusals by Postgres of values that only these records carry.
    await pool.query("ALTER TABLE notifications ADD CONSTRAINT poison_title CHECK (title NOT LIKE 'poison%')");
    await pool.query("ALTER TABLE webhook_attempts ADD CONSTRAINT poison_delivery CHECK (delivery_id NOT LIKE 'msg_poison%')");
    receiver = await startReceiver();
    endpointId = (
      await app.db.webhookEndpoint.create({ data: { id: newWebhookEndpointId(), projectId, url: receiver.url("/hook"), secret: newWebhookSecret() } })
    ).id;

    sink = await startSink({ bus, groupPrefix: prefix, duckdb, log, metrics: registry });
    subscriptions.push(
      await startProcessor({ bus, groupPrefix: prefix, pool, rules: throwingRules(projectId), log, metrics: processorMetrics(registry) }),
      await startActionRunner({
        bus,
        groupPrefix: prefix,
        pool,
        log,
        enqueueWebhook: (delivery) => enqueueWebhookDelivery(app.db, delivery),
        metrics: registry,
      }),
    );
    dispatcher = startWebhookDispatcher({
      db: app.db,
      log,
      allowHosts: ["127.0.0.1"],
      pollIntervalMs: 100,
      retryDelaysMs: [],
      metrics: registry,
      deadLetter: (record) => bus.produce([record]),
    });
    watch = watchConsumers({ bus, groups, metrics: registry, log, intervalMs: 3_600_000, stallMs: 1_000 });
  }, 240_000);

  afterAll(async () => {
    watch?.stop();
    await dispatcher?.stop();
    for (const subscription of subscriptions) await subscription.stop();
    await sink?.stop();
    await bus?.close();
    await pool?.end();
    duckdb?.closeSync();
    await receiver?.close();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function rows(sql: string, values: string[] = []) {
    const connection = await duckdb.connect();
    try {
      return (await connection.runAndReadAll(sql, values)).getRowObjectsJson();
    } finally {
      connection.closeSync();
    }
  }

  async function produceBytes(topic: string): Promise<{ partition: number; offset: string }> {
    const producer = kafka!.producer();
    await producer.connect();
    try {
      const [meta] = await producer.send({ topic, messages: [{ key: null, value: NOT_UTF8, partition: 0 }] });
      return { partition: meta!.partition, offset: meta!.baseOffset! };
    } finally {
      await producer.disconnect();
    }
  }

  let run = 0;
  const kinds = kind === "kafka" ? RAW_POISON : RAW_POISON.filter((poison) => poison !== "not_utf8"); // the embedded log holds text only
  const mix = fc.array(fc.oneof({ weight: 9, arbitrary: fc.constant<RawKind>("valid") }, { weight: 1, arbitrary: fc.constantFrom<RawKind>(...kinds) }), {
    minLength: 80,
    maxLength: 150,
  });

  it("stores every valid record once, dead-letters each poison record once with its stage, and every partition moves on", async () => {
    await fc.assert(
      fc.asyncProperty(mix, fc.integer({ min: 2, max: 6 }), async (raw, firingCount) => {
        const r = `${kind}${++run}-${Date.now()}`;
        const now = Date.now();
        const expected = new Map<string, { stage: string; payload: string | Buffer }>();
        const letterId = (stage: string, topic: string, at: { partition: number; offset: string; index?: number }) =>
          `${stage}:${topic}:${at.partition}:${at.offset}${at.index === undefined ? "" : `.${at.index}`}`;

        // event.raw → the processor.
        const records: ProduceRecord[] = [];
        const rawKinds: RawKind[] = [];
        const validIds: string[] = [];
        const bytesOn: Array<Promise<{ partition: number; offset: string }>> = [];
        raw.forEach((rawKind, i) => {
          const event = {
            type: "event",
            event_id: `${r}-${i}`,
            project_id: projectId,
            event_name: "view",
            cts: now - 1000 + i,
            sts: now,
            profile_id: `u${i % 7}`,
            props: { i },
            ctx: {},
          };
          if (rawKind === "not_utf8") return void bytesOn.push(produceBytes(TOPIC.raw));
          const value =
            rawKind === "valid"
              ? JSON.stringify(event)
              : rawKind === "not_json"
                ? `{"type":"event","project_id":"${projectId}","event_id":"${r}-${i}",`
                : rawKind === "wrong_schema"
                  ? JSON.stringify({ type: "event", project_id: projectId, event_id: `${r}-${i}` })
                  : rawKind === "refused_value"
                    ? JSON.stringify({ ...event, profile_id: `u\u0000${i}` }) // jsonb cannot hold NUL
                    : JSON.stringify({ ...event, event_name: "boom" });
          if (rawKind === "valid") validIds.push(event.event_id);
          records.push({ topic: TOPIC.raw, key: `${projectId}:u${i % 7}`, value });
          rawKinds.push(rawKind);
        });
        const rawOffsets = await bus.produce(records);
        rawOffsets.forEach((at, index) => {
          if (rawKinds[index] !== "valid") expected.set(letterId("processor", TOPIC.raw, at), { stage: "processor", payload: records[index]!.value });
        });
        for (const at of await Promise.all(bytesOn)) expected.set(letterId("processor", TOPIC.raw, at), { stage: "processor", payload: NOT_UTF8 });

        // event.enriched and event.dlq → the sink: undecodable records and a letter whose time DuckDB refuses.
        const sinkPoison: ProduceRecord[] = [
          { topic: TOPIC.enriched, key: null, value: "{not json" },
          { topic: TOPIC.enriched, key: null, value: JSON.stringify({ type: "event", project_id: projectId, event_id: 5 }) },
          {
            topic: TOPIC.dlq,
            key: projectId,
            value: JSON.stringify({ project_id: projectId, received_at: 1e300, reason: "malformed", violations: [], payload: { r } }),
          },
        ];
        (await bus.produce(sinkPoison)).forEach((at, index) =>
          expected.set(letterId("sink", sinkPoison[index]!.topic, at), { stage: "sink", payload: sinkPoison[index]!.value }),
        );
        if (kind === "kafka") expected.set(letterId("sink", TOPIC.enriched, await produceBytes(TOPIC.enriched)), { stage: "sink", payload: NOT_UTF8 });

        // event.triggered → the action runner: a notification whose title Postgres refuses.
        const firings = Array.from({ length: firingCount + 1 }, (_, i) => {
          const title = i === 0 ? `poison ${r}` : `ok ${r} ${i}`;
          const event = {
            type: "event",
            event_id: `${r}-f${i}`,
            project_id: projectId,
            event_name: "view",
            cts: now,
            sts: now,
            profile_id: null,
            props: {},
            ctx: {},
            profile_props: {},
            browser: null,
            os: null,
            device_type: null,
          };
          const firing = {
            firing_id: `fir_${r}_${i}`,
            project_id: projectId,
            trigger_id: "trg_poison",
            trigger_version: 1,
            trigger_name: "poison",
            event_id: event.event_id,
            event_name: "view",
            profile_id: null,
            fired_at: now,
            result: "fired",
            error: null,
            actions: [{ type: "notification", title, body: "" }],
            event,
          };
          // On Kafka the firings are Avro, as the processor writes them: they travel in one pack, and the
          // poison one is dead-lettered alone, as its own bytes.
          return {
            topic: TOPIC.triggered,
            key: `${r}:firings`, // one key: one partition, so one pack
            ...encodeValue(kind === "kafka" ? "avro" : "json", "firing", { kind: "firing", ...firing, event_ts: now } as FiringRecord),
          } satisfies ProduceRecord;
        });
        const firingOffsets = await bus.produce(firings);
        if (kind === "kafka") expect(firingOffsets.map((at) => at.index)).toEqual(firings.map((_, i) => i));
        expected.set(letterId("actions", TOPIC.triggered, firingOffsets[0]!), {
          stage: "actions",
          payload: firings[0]!.bytes ? Buffer.from(firings[0]!.bytes) : firings[0]!.value,
        });

        // The webhook queue → the dispatcher: a delivery whose attempt Postgres refuses to record.
        const deliveries = [`msg_poison_${r}`, `msg_ok_${r}_1`, `msg_ok_${r}_2`];
        for (const deliveryId of deliveries) {
          expect(await enqueueWebhookDelivery(app.db, { deliveryId, endpointId, projectId, triggerId: null, payload: { deliveryId } })).toBe("queued");
        }
        dispatcher!.wake();
        expected.set(`webhooks:webhook_deliveries:0:${deliveries[0]}`, {
          stage: "webhooks",
          payload: JSON.stringify({ project_id: projectId, delivery_id: deliveries[0], endpoint_id: endpointId, payload: { deliveryId: deliveries[0] } }),
        });

        // Drained: every letter stored, every valid event stored, every group's lag 0.
        const ids = [...expected.keys()];
        const placeholders = ids.map((_, index) => `$${index + 1}`).join(", ");
        const letters = await until(
          `${ids.length} dead letters`,
          async () => {
            const found = await rows(
              `SELECT dlq_id, stage, error, payload::VARCHAR AS payload, payload_encoding FROM dead_letters WHERE dlq_id IN (${placeholders})`,
              ids,
            );
            return found.length === ids.length && found;
          },
          90_000,
        );
        await until(
          `${validIds.length} events`,
          async () => {
            const [row] = await rows(`SELECT count(DISTINCT event_id)::INT AS n FROM events WHERE project_id = $1 AND event_id LIKE $2`, [projectId, `${r}-%`]);
            return row?.n === validIds.length;
          },
          90_000,
        );
        await until(
          "every group's lag at 0",
          async () => {
            for (const group of groups) if ((await bus.lag(group.groupId, group.topics)).some((partition) => partition.lag > 0)) return false;
            return true;
          },
          90_000,
        );

        for (const letter of letters) {
          const want = expected.get(String(letter.dlq_id))!;
          expect(letter.stage, String(letter.dlq_id)).toBe(want.stage);
          expect(String(letter.error).length).toBeGreaterThan(0);
          const stored = JSON.parse(String(letter.payload)) as string;
          if (Buffer.isBuffer(want.payload)) {
            expect(letter.payload_encoding).toBe("base64");
            expect(Buffer.from(stored, "base64")).toEqual(want.payload);
          } else {
            expect(letter.payload_encoding).toBe("utf8");
            expect(stored).toBe(want.payload);
          }
        }
        // No valid raw record was dead-lettered, and no poison record was stored.
        const validLetterIds = rawOffsets.filter((_, index) => rawKinds[index] === "valid").map((at) => letterId("processor", TOPIC.raw, at));
        expect(await rows(`SELECT dlq_id FROM dead_letters WHERE dlq_id IN (${validLetterIds.map((_, i) => `$${i + 1}`).join(", ")})`, validLetterIds)).toEqual(
          [],
        );
        const stored = await rows(`SELECT event_id, count(*)::INT AS n FROM events WHERE project_id = $1 AND event_id LIKE $2 GROUP BY event_id`, [
          projectId,
          `${r}-%`,
        ]);
        expect(stored.map((row) => String(row.event_id)).sort()).toEqual([...validIds].sort());
        expect(stored.every((row) => row.n === 1)).toBe(true);

        // Actions: each valid firing's notification once, the refused one nowhere; webhooks: valid ones delivered.
        const notifications = await app.db.notification.findMany({ where: { projectId, title: { startsWith: `ok ${r}` } }, select: { title: true } });
        expect(notifications.map((n) => n.title).sort()).toEqual(
          firings
            .slice(1)
            .map((_, i) => `ok ${r} ${i + 1}`)
            .sort(),
        );
        const states = await until(
          "the webhook deliveries settled",
          async () => {
            const found = await app.db.webhookDelivery.findMany({ where: { id: { in: deliveries } }, select: { id: true, status: true } });
            return found.every((delivery) => delivery.status !== "pending") && found;
          },
          90_000,
        );
        expect(Object.fromEntries(states.map((delivery) => [delivery.id, delivery.status]))).toEqual({
          [deliveries[0]!]: "failed",
          [deliveries[1]!]: "delivered",
          [deliveries[2]!]: "delivered",
        });

        await watch!.sample();
        expect(await watch!.check()).toMatchObject({ ok: true });
      }),
      { numRuns: 2 },
    );
    const metric = await registry.getSingleMetric("records_dead_lettered_total")!.get();
    const stages = new Set(metric.values.filter((value) => value.value > 0).map((value) => value.labels.stage));
    expect(stages).toEqual(new Set(["processor", "sink", "actions", "webhooks"]));
  }, 400_000);
});
