/**
 * `npm run bench:stages`: the processor's batch handler and the sink's writer timed on their own,
 * without Kafka, on the worker benchmark's workload (real Postgres, real DuckDB). It shows where
 * the per-event CPU goes, next to a baseline measured in the same run: JSON.parse plus
 * JSON.stringify of every record, the least any stage that reads and writes JSON does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase } from "../../prisma/tools/migrate";
import { TOPIC, kafkaKeyOf } from "../../src/core/events";
import { createLogger } from "../../src/platform/logger";
import { createPrismaClient } from "../../src/platform/db";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from "../../src/testing/postgres";
import type { Bus, BusMessage, ProduceRecord } from "../../workers/bus/types";
import { openDuckDB } from "../../workers/duckdb";
import { createRawBatchHandler } from "../../workers/processor/processor";
import { RuleRegistry } from "../../workers/processor/rule-registry";
import { SinkWriter } from "../../workers/sink/writer";
import { BENCH_PROJECT, benchEvents, benchRules } from "./workload";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 5000;
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function asMessages(records: ProduceRecord[], offsetStart: number): BusMessage[] {
  return records.map((record, i) => ({
    topic: record.topic,
    partition: 0,
    offset: String(offsetStart + i),
    key: record.key ?? null,
    value: record.value,
    headers: record.headers ?? {},
    timestamp: Date.now(),
    ...(record.bytes ? { bytes: record.bytes } : {}),
  }));
}

async function main() {
  const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL, "prism_bench");
  const dir = await mkdtemp(path.join(tmpdir(), "prism-bench-stages-"));
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  try {
    await migrateDatabase(database.url);
    const prisma = createPrismaClient(database.url);
    const org = await prisma.organization.create({ data: { name: "Bench", slug: `bench-${Date.now()}` }, select: { id: true } });
    await prisma.project.create({ data: { id: BENCH_PROJECT, organizationId: org.id, name: "Bench" } });
    await prisma.trigger.createMany({ data: benchRules().map((rule, index) => ({ projectId: BENCH_PROJECT, name: `rule ${index + 1}`, rule, actions: [] })) });
    await prisma.$disconnect();

    const log = createLogger("bench", "warn");
    const rules = new RuleRegistry(pool, log, 60_000);
    await rules.reload();
    const produced: ProduceRecord[][] = [];
    const bus = {
      kind: "embedded",
      // The processor's outputs as on Kafka (Avro) unless KAFKA_RECORD_FORMAT=json, which the embedded log writes.
      recordFormat: process.env.KAFKA_RECORD_FORMAT === "json" ? "json" : "avro",
      produce: async (records: ProduceRecord[]) => {
        produced.push(records);
        return [];
      },
    } as unknown as Bus;
    const handle = createRawBatchHandler({ bus, groupPrefix: "bench", pool, rules, log });
    const next = benchEvents();
    const now = Date.now();
    const batches: BusMessage[][] = [];
    for (let start = 0; start < EVENTS; start += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, EVENTS - start) }, (_, i) => next(now + Math.floor((start + i) / 50)));
      batches.push(
        asMessages(
          events.map((event) => ({ topic: TOPIC.raw, key: kafkaKeyOf(event), value: JSON.stringify(event), headers: { "trace-id": "t" } })),
          start,
        ),
      );
    }

    const processorMs: number[] = [];
    for (const batch of batches) {
      const began = performance.now();
      await handle({ topic: TOPIC.raw, partition: 0, messages: batch, heartbeat: async () => undefined });
      processorMs.push(performance.now() - began);
    }
    const outputs = produced.flat();
    const firings = outputs.filter((record) => record.topic === TOPIC.triggered).length;

    const duckdb = await openDuckDB(path.join(dir, "prism.duckdb"));
    const writer = new SinkWriter(duckdb);
    const sinkMs: number[] = [];
    const sinkBatch = BATCH * 2;
    for (let start = 0; start < outputs.length; start += sinkBatch) {
      const messages = asMessages(outputs.slice(start, start + sinkBatch), start);
      const began = performance.now();
      await writer.write(messages);
      sinkMs.push((performance.now() - began) * (BATCH / messages.length) * (outputs.length / EVENTS));
    }
    writer.close();

    const baselineMs: number[] = [];
    for (const batch of batches) {
      const began = performance.now();
      for (const message of batch) JSON.stringify(JSON.parse(message.value));
      baselineMs.push(performance.now() - began);
    }

    const perEvent = (ms: number) => `${((ms * 1000) / BATCH).toFixed(1)} µs`;
    say(
      `Stages: ${EVENTS.toLocaleString("en")} events in batches of ${BATCH}, 20 rules, ${firings.toLocaleString("en")} firings, internal records in ${bus.recordFormat}; medians per event`,
    );
    say(`| stage | per event | events/s on one core | ratio to baseline |`);
    say(`| --- | --- | --- | --- |`);
    const baseline = median(baselineMs);
    for (const [name, ms] of [
      ["processor batch handler (no Kafka)", median(processorMs)],
      ["sink writer (no Kafka), incl. its share of firings", median(sinkMs)],
      ["baseline: JSON.parse + JSON.stringify of each raw record", baseline],
    ] as const) {
      say(`| ${name} | ${perEvent(ms)} | ${Math.round((BATCH / ms) * 1000).toLocaleString("en")} | ${(ms / baseline).toFixed(1)}× |`);
    }
  } finally {
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
