/**
 * The delivery guarantee under crashes: 100,000 events go in through ingest while two processors
 * (one consumer group) and the sink, each its own process on the real broker, are killed with
 * SIGKILL five times at random moments and restarted. Afterwards DuckDB holds exactly the 100,000 events, and each rule
 * fired exactly once for each event that satisfies it, per a reference computed here. 1 % poison (1,000 records that are not
 * JSON, not UTF-8, of the wrong shape or with a value Postgres cannot hold) goes straight onto event.raw meanwhile: each
 * becomes exactly one dead letter of the processor, and nothing stalls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { TOPIC } from "../src/core/events";
import { createTestApp, type TestApp } from "../src/testing/app";
import { createKafkaBus } from "./bus/kafka-bus";
import { startLocalBroker, type LocalBroker } from "../tools/kafka/local-broker";
import { waitForHttp } from "../tools/launcher";

const ROOT = path.resolve(import.meta.dirname, "..");
const PROFILES = 2000;
const PER_PROFILE = 50;
const TOTAL = PROFILES * PER_PROFILE;
const STEP_MS = 20_000;
const WINDOW_MS = 5 * 60_000;
const BIG = "event.name == 'purchase' && event.props.amount > 900";
const THIRD = "event.name == 'purchase' && window.count('purchase', '5m') >= 3";
const POISON = TOTAL / 100;

interface TestEvent {
  event_id: string;
  event_name: string;
  profile_id: string;
  cts: number;
  props: { amount?: number; path?: string };
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function generate(start: number): TestEvent[][] {
  const next = random(20261121);
  return Array.from({ length: PROFILES }, (_, p) =>
    Array.from({ length: PER_PROFILE }, (_, i) => {
      const purchase = next() < 0.3;
      return {
        event_id: `crash-${p}-${i}`,
        event_name: purchase ? "purchase" : "page_view",
        profile_id: `profile-${p}`,
        cts: start + i * STEP_MS,
        props: purchase ? { amount: Math.floor(next() * 1000) } : { path: "/" },
      };
    }),
  );
}

/** The rules evaluated by hand: window counts include the event itself and earlier ones within 5 minutes. */
function expectedFirings(profiles: TestEvent[][]): { big: number; third: number } {
  let big = 0;
  let third = 0;
  for (const events of profiles) {
    const purchases: number[] = [];
    for (const event of events) {
      if (event.event_name !== "purchase") continue;
      purchases.push(event.cts);
      if ((event.props.amount ?? 0) > 900) big++;
      if (purchases.filter((t) => t > event.cts - WINDOW_MS && t <= event.cts).length >= 3) third++;
    }
  }
  return { big, third };
}

describe("crash safety", () => {
  let app: TestApp | undefined;
  let dir: string | undefined;
  const children = new Set<ChildProcess>();
  let broker: LocalBroker | undefined;

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await broker?.stop();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loses nothing and duplicates nothing when the processor and the sink are killed five times", async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-crash-"));
    const { user, orgId } = await app.signUp("crash@example.com");
    const caller = app.caller(user);
    const { id: projectId } = await caller.projects.create({ orgId, name: "Crash" });
    await app.db.project.update({ where: { id: projectId }, data: { rateLimitPerSecond: 100_000 } });
    const { secret } = await caller.apiKeys.create({ projectId, name: "crash" });
    await caller.trackingPlan.createAttribute({ projectId, attribute: { entity: "event", name: "amount", type: "number", itemsType: null, indexed: false } });
    const big = await caller.triggers.create({ projectId, trigger: { name: "big", rule: BIG, actions: [], enabled: true, cooldownSeconds: 0 } });
    const third = await caller.triggers.create({ projectId, trigger: { name: "third", rule: THIRD, actions: [], enabled: true, cooldownSeconds: 0 } });

    // A broker of its own: its 100,000 records would otherwise be read from the beginning by every
    // other test's consumer groups on the shared one.
    broker = await startLocalBroker();
    const brokers = broker.brokers.join(",");
    const prefix = `crash-${Date.now()}`;
    const duckdbPath = path.join(dir, "prism.duckdb");
    const ports = { gateway: 4611, processorA: 4612, processorB: 4614, sink: 4613 };
    const roleOf = (name: keyof typeof ports) => (name.startsWith("processor") ? "processor" : name);
    const launch = (name: keyof typeof ports) => {
      const role = roleOf(name);
      const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          NODE_ENV: "test",
          PRISM_ROLE: role,
          DATABASE_URL: app!.url,
          KAFKA_BROKERS: brokers,
          DUCKDB_PATH: duckdbPath,
          WORKER_PORT: String(ports[name]),
          CONSUMER_GROUP_PREFIX: prefix,
          LOG_LEVEL: "error",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.add(child);
      child.once("exit", () => children.delete(child));
      return child;
    };
    const running = { gateway: launch("gateway"), processorA: launch("processorA"), processorB: launch("processorB"), sink: launch("sink") };
    for (const name of Object.keys(ports) as Array<keyof typeof ports>)
      await waitForHttp(`http://127.0.0.1:${ports[name]}/health`, running[name], name, 60_000);
    // Events each processor handled, summed over its restarts: both must take part.
    const handled = { processorA: 0, processorB: 0 };
    const scrape = async (name: "processorA" | "processorB") => {
      const text = await (await fetch(`http://127.0.0.1:${ports[name]}/metrics`)).text();
      const line = text.split("\n").find((entry) => entry.startsWith("events_processed_total"));
      handled[name] += line ? Number(line.split(" ").pop()) : 0;
    };

    const profiles = generate(Date.now() - 2 * 24 * 3600 * 1000);
    const expected = expectedFirings(profiles);
    // Both rules fire often enough that a lost or doubled firing would show.
    expect(expected.big).toBeGreaterThan(1000);
    expect(expected.third).toBeGreaterThan(1000);

    // Four senders, each owning a quarter of the profiles, so each profile's events arrive in order.
    const send = async (sender: number) => {
      const mine = profiles.filter((_, p) => p % 4 === sender);
      for (let round = 0; round < PER_PROFILE; round += 2) {
        const events = mine.flatMap((events) => events.slice(round, round + 2));
        for (let offset = 0; offset < events.length; offset += 100) {
          const response = await fetch(`http://127.0.0.1:${ports.gateway}/api/v1/events/batch`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": secret },
            body: JSON.stringify(events.slice(offset, offset + 100)),
          });
          if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
        }
      }
    };

    // Five kills at random moments while events flow, each followed by an immediate restart.
    const next = random(7);
    const killer = (async () => {
      for (let kill = 0; kill < 5; kill++) {
        await new Promise((resolve) => setTimeout(resolve, 1500 + next() * 3000));
        const roll = next();
        const name = roll < 0.33 ? "processorA" : roll < 0.66 ? "processorB" : "sink";
        if (name !== "sink") await scrape(name);
        const victim = running[name];
        victim.kill("SIGKILL");
        await new Promise((resolve) => victim.once("exit", resolve));
        running[name] = launch(name);
        await waitForHttp(`http://127.0.0.1:${ports[name]}/health`, running[name], name, 60_000);
      }
    })();
    // 1 % poison straight onto event.raw while events flow: each must become one dead letter of the processor.
    const poisonIds = new Set<string>();
    const poisoner = (async () => {
      const bus = createKafkaBus({ brokers: brokers.split(","), clientId: "crash-poison", logLevel: "nothing" });
      const producer = new Kafka({ clientId: "crash-poison-bytes", brokers: brokers.split(","), logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      try {
        const roll = random(13);
        for (let sent = 0; sent < POISON; sent += 50) {
          const records = Array.from({ length: 40 }, (_, i) => {
            const n = sent + i;
            const kind = Math.floor(roll() * 3);
            const value =
              kind === 0
                ? `{"type":"event","project_id":"${projectId}","event_id":"poison-${n}",`
                : kind === 1
                  ? JSON.stringify({ type: "event", project_id: projectId, event_id: `poison-${n}` })
                  : JSON.stringify({
                      type: "event",
                      event_id: `poison-${n}`,
                      project_id: projectId,
                      event_name: "x",
                      cts: 1,
                      sts: 1,
                      profile_id: "a\u0000b",
                      props: {},
                      ctx: {},
                    });
            return { topic: TOPIC.raw, key: `poison-${n}`, value };
          });
          for (const at of await bus.produce(records)) poisonIds.add(`processor:${TOPIC.raw}:${at.partition}:${at.offset}`);
          for (let i = 40; i < 50; i++) {
            const [meta] = await producer.send({ topic: TOPIC.raw, messages: [{ key: `poison-${sent + i}`, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }] });
            poisonIds.add(`processor:${TOPIC.raw}:${meta!.partition}:${meta!.baseOffset}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await producer.disconnect();
        await bus.close();
      }
    })();
    await Promise.all([...[0, 1, 2, 3].map(send), poisoner]);
    await killer;
    const drainStarted = Date.now();

    // Drained: both groups have committed everything on their topics.
    const bus = createKafkaBus({ brokers: brokers.split(","), clientId: "crash-test", logLevel: "nothing" });
    try {
      const deadline = Date.now() + 240_000;
      for (;;) {
        const lags = [
          ...(await bus.lag(`${prefix}-processor`, [TOPIC.raw])),
          ...(await bus.lag(`${prefix}-sink`, [TOPIC.enriched, TOPIC.triggered, TOPIC.dlq])),
        ];
        if (lags.every((lag) => lag.lag === 0)) break;
        if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(lags.filter((lag) => lag.lag > 0))}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await bus.close();
    }

    await scrape("processorA");
    await scrape("processorB");
    expect(handled.processorA).toBeGreaterThan(0);
    expect(handled.processorB).toBeGreaterThan(0);

    running.sink.kill("SIGTERM");
    await new Promise((resolve) => running.sink.once("exit", resolve));
    const duckdb = await DuckDBInstance.create(duckdbPath);
    try {
      const connection = await duckdb.connect();
      const [counts] = (
        await connection.runAndReadAll("SELECT count(*)::INT AS events, count(DISTINCT event_id)::INT AS distinct_events FROM events WHERE project_id = $1", [
          projectId,
        ])
      ).getRowObjectsJson();
      expect(counts).toEqual({ events: TOTAL, distinct_events: TOTAL });
      const firings = (
        await connection.runAndReadAll(
          "SELECT trigger_id, count(*)::INT AS firings, count(DISTINCT event_id)::INT AS distinct_events FROM trigger_logs WHERE project_id = $1 AND result = 'fired' GROUP BY trigger_id",
          [projectId],
        )
      ).getRowObjectsJson();
      const byTrigger = Object.fromEntries(firings.map((row) => [String(row.trigger_id), row]));
      expect(byTrigger[big.id]).toEqual({ trigger_id: big.id, firings: expected.big, distinct_events: expected.big });
      expect(byTrigger[third.id]).toEqual({ trigger_id: third.id, firings: expected.third, distinct_events: expected.third });
      const letters = (await connection.runAndReadAll("SELECT dlq_id, stage FROM dead_letters")).getRowObjectsJson();
      expect(poisonIds.size).toBe(POISON);
      expect(letters.filter((letter) => poisonIds.has(String(letter.dlq_id)) && letter.stage === "processor")).toHaveLength(POISON);
      expect(letters).toHaveLength(POISON); // nothing valid was dead-lettered, no poison twice
      console.log(
        `crash test: ${TOTAL} events, ${POISON} poison records → ${letters.length} dead letters; drained ${Date.now() - drainStarted} ms after the last send`,
      );
      connection.closeSync();
    } finally {
      duckdb.closeSync();
    }
  }, 600_000);
});
