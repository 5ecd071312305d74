/**
 * `npm run bench:worker`: the stream worker end to end on a real Kafka broker.
 *
 * 1. Throughput: BENCH_EVENTS events (default 300,000) for one project with 20 enabled rules are
 *    put on `event.raw`, then a worker (role all: processor, actions, sink) is started and timed
 *    until DuckDB holds them all: events per second from raw to DuckDB.
 * 2. Latency: events are produced at half the target rate (15,000/s) for BENCH_SECONDS; a
 *    consumer of `event.triggered` measures event-to-trigger time (firing on the topic minus the
 *    event's server timestamp), p50 and p99.
 * 3. Rule evaluation: the CEL rule next to a plain JavaScript closure doing the same comparison.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { Kafka, logLevel, CompressionTypes } from "kafkajs";
import pg from "pg";
import { migrateDatabase } from "../../prisma/tools/migrate";
import { TOPIC, kafkaKeyOf, type InternalEvent } from "../../src/core/events";
import { createPrismaClient } from "../../src/platform/db";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from "../../src/testing/postgres";
import { decodeAvro, isAvroRecord } from "../../src/contracts/wire/codec";
import { decodePack, isPack } from "../../src/contracts/wire/pack";
import { registerZstd } from "../../workers/bus/zstd";
import { startLocalBroker } from "../kafka/local-broker";
import { waitForHttp } from "../launcher";
import { CpuMeter } from "./cpu";
import { benchRuleEvaluation } from "./rules";
import { BENCH_PROJECT, benchEvents, benchRules } from "./workload";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LATENCY_RATE = Number(process.env.BENCH_RATE ?? 15_000);
const WORKER_PORT = 4330;
const PROJECT = BENCH_PROJECT;

const say = (line: string) => process.stdout.write(`${line}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

const event = benchEvents();

async function metric(name: string, port = WORKER_PORT): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(name)) total += Number(line.split(" ").pop());
  return total;
}

async function main() {
  registerZstd(); // the worker compresses event.triggered, which the latency consumer below reads
  const cleanup: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];
  try {
    let brokers = process.env.KAFKA_BROKERS;
    // BENCH_BROKER_PID: the JVM of the KAFKA_BROKERS broker, when it runs on this machine, for its CPU per event.
    let brokerPid: number | null = process.env.BENCH_BROKER_PID ? Number(process.env.BENCH_BROKER_PID) : null;
    if (!brokers) {
      const broker = await startLocalBroker();
      cleanup.push(() => broker.stop());
      brokers = broker.brokers.join(",");
      brokerPid = broker.pid;
    }
    const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL, "prism_bench");
    cleanup.push(() => database.drop());
    await migrateDatabase(database.url);
    const prisma = createPrismaClient(database.url);
    const user = await prisma.user.create({ data: { email: "bench@example.com", passwordHash: "x" }, select: { id: true } });
    const org = await prisma.organization.create({
      data: { name: "Bench", slug: `bench-${Date.now()}`, memberships: { create: { userId: user.id, role: "owner" } } },
      select: { id: true },
    });
    await prisma.project.create({ data: { id: PROJECT, organizationId: org.id, name: "Bench" } });
    await prisma.trigger.createMany({
      data: benchRules().map((rule, index) => ({ projectId: PROJECT, name: `rule ${index + 1}`, rule, actions: [] })),
    });
    await prisma.$disconnect();
    const dir = await mkdtemp(path.join(tmpdir(), "prism-bench-worker-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));

    const kafka = new Kafka({ clientId: "bench-worker", brokers: brokers.split(","), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const produce = async (events: InternalEvent[]) => {
      await producer.send({
        topic: TOPIC.raw,
        acks: -1,
        compression: CompressionTypes.None,
        messages: events.map((item) => ({ key: kafkaKeyOf(item), value: JSON.stringify(item) })),
      });
    };

    const rulesFigures = await benchRuleEvaluation();
    say(
      `Worker benchmark: ${EVENTS.toLocaleString("en")} events, 20 rules, ${process.env.BENCH_TOPOLOGY === "all" ? "one process (role all)" : "a processor and a sink process"}, Kafka ${brokers} (internal topics ${process.env.KAFKA_RECORD_FORMAT ?? "avro"}, ${process.env.KAFKA_COMPRESSION ?? "zstd"}), ${process.env.BENCH_CPU_NOTE ?? "everything on the same 2-core machine"}`,
    );

    // 1. Throughput: a backlog on event.raw, drained by a fresh worker.
    say(`Producing the backlog…`);
    const producedAt = Date.now();
    for (let sent = 0; sent < EVENTS; sent += 5000) await produce(Array.from({ length: Math.min(5000, EVENTS - sent) }, () => event(producedAt)));
    // BENCH_TOPOLOGY=all runs one process with every part; split (default) runs a processor and a
    // sink process, as a deployment on a multi-core machine would.
    const topology = process.env.BENCH_TOPOLOGY === "all" ? "all" : "split";
    const roles =
      topology === "all"
        ? [["all", WORKER_PORT]]
        : [
            ["sink", WORKER_PORT],
            ["processor", WORKER_PORT + 1],
          ];
    const groupPrefix = `bench-${Date.now()}`;
    for (const [role, port] of roles) {
      // BENCH_CPU_PROFILE=dir writes V8 CPU profiles of the worker processes there.
      const profileArgs = process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
      const worker = spawn(process.execPath, [...profileArgs, "--import", "tsx", "workers/main.ts"], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: "production",
          PRISM_ROLE: String(role),
          DATABASE_URL: database.url,
          KAFKA_BROKERS: brokers,
          DUCKDB_PATH: path.join(dir, "prism.duckdb"),
          WORKER_PORT: String(port),
          CONSUMER_GROUP_PREFIX: groupPrefix,
          LOG_LEVEL: "warn",
          // Production refuses its public development defaults; the bench's own private values.
          INTERNAL_SECRET: "bench-internal-secret-000000",
          GATEWAY_TOKEN: "bench-gateway-token-00000000",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.push(worker);
      await waitForHttp(`http://127.0.0.1:${port}/health`, worker, `the ${role} worker`);
    }
    const processorPort = topology === "all" ? WORKER_PORT : WORKER_PORT + 1;
    // Postgres backends of the bench database (on this machine when its pids are in /proc).
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    cleanup.push(() => admin.end());
    const postgresPids = async () =>
      (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows.map(
        (row) => row.pid,
      );
    const meter = new CpuMeter({
      ...Object.fromEntries(roles.map(([role], index) => [String(role), async () => [children[index]!.pid!]])),
      broker: async () => (brokerPid === null ? [] : [brokerPid]),
      Postgres: postgresPids,
    });
    await meter.start();
    const started = Date.now();
    let written = 0;
    while (written < EVENTS) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      written = await metric('sink_records_total{kind="event"}');
      if (Date.now() - started > 600_000) throw new Error(`only ${written} of ${EVENTS} events reached DuckDB in 10 minutes`);
    }
    const drainSeconds = (Date.now() - started) / 1000;
    const cpu = await meter.stop();
    const throughput = EVENTS / drainSeconds;
    const evaluations = await metric("trigger_evaluations_total", processorPort);

    // 2. Latency at a steady rate.
    const latencies: number[] = [];
    const consumer = kafka.consumer({ groupId: `bench-latency-${Date.now()}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    cleanup.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: TOPIC.triggered, fromBeginning: false });
    const latencyStart = Date.now();
    await consumer.run({
      eachMessage: async ({ message }) => {
        // Firings are Avro, in packs (src/contracts/wire), unless the worker runs with KAFKA_RECORD_FORMAT=json.
        const unpacked = isPack(message.value) ? decodePack(message.value) : undefined;
        const values = unpacked?.ok ? unpacked.records.map((record) => record.value) : [message.value];
        for (const bytes of values) {
          const avro = bytes && isAvroRecord(bytes) ? decodeAvro(bytes) : undefined;
          const value = (avro ? (avro.ok && avro.kind === "firing" ? avro.record : {}) : JSON.parse(bytes?.toString() ?? "{}")) as {
            fired_at?: number;
            kind?: string;
          };
          if ((value.kind && value.kind !== "firing") || !value.fired_at || value.fired_at < latencyStart) continue;
          latencies.push(Number(message.timestamp) - value.fired_at);
        }
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    say(`Producing ${LATENCY_RATE.toLocaleString("en")} events/s for ${SECONDS} s…`);
    const tickMs = 100;
    const perTick = Math.round((LATENCY_RATE * tickMs) / 1000);
    const steadyStart = Date.now();
    for (let tick = 0; Date.now() - steadyStart < SECONDS * 1000; tick++) {
      const due = steadyStart + tick * tickMs;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const now = Date.now();
      await produce(Array.from({ length: perTick }, () => event(now)));
    }
    const achievedRate = (perTick * Math.ceil((SECONDS * 1000) / tickMs)) / SECONDS;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    latencies.sort((a, b) => a - b);

    say("");
    say("| figure | Prism | baseline | ratio | target |");
    say("| --- | --- | --- | --- | --- |");
    say(
      `| end to end, raw → DuckDB (20 rules) | ${Math.round(throughput).toLocaleString("en")} events/s (${drainSeconds.toFixed(1)} s) | | | ≥ 30,000 events/s |`,
    );
    say(`| rule evaluations during the drain | ${Math.round(evaluations / drainSeconds).toLocaleString("en")} /s | | | |`);
    const perEvent = (seconds: number) => `${((seconds * 1e6) / EVENTS).toFixed(0)} µs`;
    const measured = Object.entries(cpu).filter((entry): entry is [string, number] => entry[1] !== null);
    const cores = availableParallelism();
    say(
      `| CPU per event during the drain | ${measured.map(([name, seconds]) => `${name} ${perEvent(seconds)}`).join(" · ")} · total ${perEvent(measured.reduce((sum, [, seconds]) => sum + seconds, 0))} | | | ≤ ${((cores * 1e6) / 30_000).toFixed(0)} µs for 30,000 events/s on ${cores} cores |`,
    );
    say(
      `| event → trigger at ${Math.round(achievedRate).toLocaleString("en")} events/s | p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms (${latencies.length} firings) | | | p99 < 500 ms |`,
    );
    say(
      `| rule evaluation, one core | ${Math.round(rulesFigures.celPerSecond).toLocaleString("en")} /s (CEL) | ${Math.round(rulesFigures.closurePerSecond).toLocaleString("en")} /s (JS closure) | ${(rulesFigures.celPerSecond / rulesFigures.closurePerSecond).toFixed(2)}× | |`,
    );
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            child.once("exit", resolve);
            setTimeout(resolve, 20_000).unref();
          }),
      ),
    );
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
