/**
 * `npm run bench:produce`: the CPU the worker's Kafka bus spends per produced record, measured in
 * this process alone (the broker's JVM is not counted). The records are the processor's outputs on
 * the worker benchmark's workload (event.enriched, keyed by profile, ~400 bytes and two headers),
 * produced in calls of BENCH_CALL records as a processor batch does. Scenario "one-partition" sends
 * them all with one key, and "small-records" sends ~100-byte records with one key, so that several
 * thousand fit in one request: the worst case for kafkajs's grouping of a send by partition.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npm run bench:produce   # or none: a local broker is started
 *   BENCH_SCENARIO=small-records npm run bench:produce   # one scenario only
 *
 * The machine is shared: run it several times, alternating with the code it is compared with, and
 * compare medians.
 */
import { TOPIC, kafkaKeyOf } from "../../src/core/events";
import { createKafkaBus } from "../../workers/bus/kafka-bus";
import type { ProduceRecord } from "../../workers/bus/types";
import { startLocalBroker } from "../kafka/local-broker";
import { benchEvents } from "./workload";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const CALL = Number(process.env.BENCH_CALL ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const SCENARIOS = ["keyed", "one-partition", "small-records"] as const;

function records(scenario: (typeof SCENARIOS)[number]): ProduceRecord[] {
  const next = benchEvents();
  const now = Date.now();
  return Array.from({ length: RECORDS }, (_, i) => {
    const event = next(now + i);
    const key = scenario === "keyed" ? kafkaKeyOf(event) : "bench:one-partition";
    const value =
      scenario === "small-records"
        ? JSON.stringify({ event_id: event.event_id, profile_id: event.profile_id, name: event.event_name, cts: event.cts })
        : JSON.stringify({ ...event, enriched: true });
    return { topic: TOPIC.enriched, key, value, headers: { "trace-id": `t-${i}`, "prism-source": "bench" } };
  });
}

async function main() {
  const broker = process.env.KAFKA_BROKERS ? undefined : await startLocalBroker();
  const brokers = process.env.KAFKA_BROKERS?.split(",") ?? broker!.brokers;
  const bus = createKafkaBus({ brokers, clientId: "prism-bench-produce", logLevel: "error" });
  try {
    await bus.ping();
    const only = process.env.BENCH_SCENARIO;
    for (const scenario of SCENARIOS.filter((name) => !only || name === only)) {
      const all = records(scenario);
      const cpuPerRecord: number[] = [];
      const wallPerRecord: number[] = [];
      // Round 0 warms up the connection, the metadata and the JIT; it is not counted.
      for (let round = 0; round <= ROUNDS; round++) {
        const cpu = process.cpuUsage();
        const began = performance.now();
        for (let start = 0; start < all.length; start += CALL) {
          // Fresh objects each round: the bus notes each message's partition by object.
          await bus.produce(all.slice(start, start + CALL).map((record) => ({ ...record })));
        }
        const wall = performance.now() - began;
        const spent = process.cpuUsage(cpu);
        if (round === 0) continue;
        cpuPerRecord.push((spent.user + spent.system) / all.length);
        wallPerRecord.push((wall * 1000) / all.length);
      }
      say(
        `${scenario.padEnd(14)} ${RECORDS} records in calls of ${CALL}: CPU ${median(cpuPerRecord).toFixed(2)} µs/record ` +
          `(rounds ${cpuPerRecord.map((value) => value.toFixed(1)).join(" ")}), wall ${median(wallPerRecord).toFixed(2)} µs/record`,
      );
    }
  } finally {
    await bus.close();
    await broker?.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
