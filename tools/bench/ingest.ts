/**
 * `npm run bench:ingest`: ingest throughput and latency against a production build on a real
 * Kafka broker, next to a bare Node + kafkajs server producing the same records (baseline),
 * measured in the same run. Each scenario runs ROUNDS times; medians are printed.
 *
 *   BENCH_ROUNDS=3 BENCH_SECONDS=8 npm run bench:ingest
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import autocannon, { type Result } from "autocannon";
import { migrateDatabase } from "../../prisma/tools/migrate";
import { createPrismaClient } from "../../src/platform/db";
import { mintApiKey } from "../../src/platform/api-keys";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from "../../src/testing/postgres";
import { startLocalBroker } from "../kafka/local-broker";
import { buildIsStale, run, waitForHttp } from "../launcher";
import { pacedLoad } from "./paced-load";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const APP_PORT = 3310;
const WORKER_PORT = 4310;
const BASELINE_PORT = 3320;
const SECRETS = {
  INTERNAL_SECRET: "bench-internal-secret-000000",
  GATEWAY_TOKEN: "bench-gateway-token-00000000",
  NEXTAUTH_SECRET: "bench-nextauth-secret-0000000",
};

const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function event(i: number) {
  return {
    event_name: i % 5 === 0 ? "purchase" : "page_view",
    profile_id: `user-${i % 500}`,
    props: { path: "/products/lamp", amount: 4900, campaign: "summer_sale" },
  };
}
const BATCH = JSON.stringify(Array.from({ length: 100 }, (_, i) => event(i)));
const SINGLE = JSON.stringify(event(1));

function load(opts: { url: string; body?: string; headers: Record<string, string>; connections: number; rate?: number }): Promise<Result> {
  return autocannon({
    url: opts.url,
    method: opts.body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...opts.headers },
    body: opts.body,
    connections: opts.connections,
    duration: SECONDS,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
  });
}

interface Figures {
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** BENCH_ONLY=word,word runs only the scenarios whose names contain one of the words. */
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
const NOT_RUN: Figures = { requestsPerSecond: NaN, eventsPerSecond: NaN, p50: NaN, p99: NaN, non2xx: 0 };

async function scenario(name: string, eventsPerRequest: number, make: () => Promise<Result>): Promise<Figures> {
  if (ONLY.length > 0 && !ONLY.some((word) => name.includes(word))) return NOT_RUN;
  const rounds: Figures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const result = await make();
    rounds.push({
      requestsPerSecond: result.requests.average,
      eventsPerSecond: result.requests.average * eventsPerRequest,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx + result.errors,
    });
  }
  const figures: Figures = {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
  say(
    `  ${name.padEnd(34)} ${figures.eventsPerSecond.toFixed(0).padStart(8)} events/s  p50 ${figures.p50.toFixed(1).padStart(6)} ms  p99 ${figures.p99.toFixed(1).padStart(6)} ms  non-2xx ${figures.non2xx}`,
  );
  return figures;
}

interface PacedFigures {
  rate: number;
  p50: number;
  p99: number;
  failed: number;
}

/** A steady 1,000 requests/s, open loop (paced-load.ts), ROUNDS times; medians. */
async function pacedScenario(name: string, opts: { url: string; body: string; headers: Record<string, string> }): Promise<PacedFigures> {
  if (ONLY.length > 0 && !ONLY.some((word) => name.includes(word))) return { rate: NaN, p50: NaN, p99: NaN, failed: 0 };
  const rounds: PacedFigures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const result = await pacedLoad({ ...opts, rate: 1000, seconds: SECONDS });
    rounds.push({ rate: result.achievedRate, p50: result.p50, p99: result.p99, failed: result.failed });
  }
  const figures: PacedFigures = {
    rate: median(rounds.map((r) => r.rate)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
  };
  say(
    `  ${name.padEnd(34)} ${figures.rate.toFixed(0).padStart(8)} events/s  p50 ${figures.p50.toFixed(1).padStart(6)} ms  p99 ${figures.p99.toFixed(1).padStart(6)} ms  non-2xx ${figures.failed}`,
  );
  return figures;
}

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string>): ChildProcess {
  // BENCH_CPU_PROFILE=dir writes V8 CPU profiles of the servers there.
  const profile = process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

async function main() {
  const cleanup: Array<() => Promise<void>> = [];
  try {
    let brokers = process.env.KAFKA_BROKERS;
    if (!brokers) {
      const broker = await startLocalBroker();
      cleanup.push(() => broker.stop());
      brokers = broker.brokers.join(",");
    }
    const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL, "prism_bench");
    cleanup.push(() => database.drop());
    await migrateDatabase(database.url);
    const prisma = createPrismaClient(database.url);
    const key = mintApiKey();
    const user = await prisma.user.create({ data: { email: "bench@example.com", passwordHash: "x" }, select: { id: true } });
    const org = await prisma.organization.create({
      data: { name: "Bench", slug: `bench-${Date.now()}`, memberships: { create: { userId: user.id, role: "owner" } } },
      select: { id: true },
    });
    await prisma.project.create({ data: { id: "proj_bench", organizationId: org.id, name: "Bench", rateLimitPerSecond: 100_000 } });
    await prisma.apiKey.create({ data: { id: key.id, projectId: "proj_bench", name: "bench", prefix: key.prefix, secretHash: key.secretHash } });
    await prisma.$disconnect();

    if (await buildIsStale()) {
      say("Building the web app…");
      await run(process.execPath, [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], { ...process.env, NEXT_TELEMETRY_DISABLED: "1" });
    }
    const common = { ...SECRETS, NODE_ENV: "production", DATABASE_URL: database.url, KAFKA_BROKERS: brokers, LOG_LEVEL: "warn" };
    const worker = start(["--import", "tsx", "workers/main.ts"], { ...common, PRISM_ROLE: "gateway", WORKER_PORT: String(WORKER_PORT) });
    await waitForHttp(`http://127.0.0.1:${WORKER_PORT}/health`, worker, "the gateway");
    const web = start([path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-p", String(APP_PORT), "-H", "127.0.0.1"], {
      ...common,
      NEXTAUTH_URL: `http://127.0.0.1:${APP_PORT}`,
      WORKER_URL: `http://127.0.0.1:${WORKER_PORT}`,
      NEXT_TELEMETRY_DISABLED: "1",
    });
    await waitForHttp(`http://127.0.0.1:${APP_PORT}/api/v1/health`, web, "the web app");
    start(["--import", "tsx", "tools/bench/baseline-server.ts"], { KAFKA_BROKERS: brokers, BASELINE_PORT: String(BASELINE_PORT) });
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const prism = `http://127.0.0.1:${APP_PORT}/api/v1`;
    const bare = `http://127.0.0.1:${BASELINE_PORT}`;
    const auth = { "x-api-key": key.secret };
    say(
      `Ingest benchmark: ${ROUNDS} rounds × ${SECONDS} s per scenario, medians; Kafka ${brokers}; ${process.env.BENCH_CPU_NOTE ?? "load generator on the same 2-core machine"}`,
    );
    // Warm-up: the edge bundle, key cache, producer connections.
    await load({ url: `${prism}/events/batch`, body: BATCH, headers: auth, connections: 4 });

    const prismBatch = await scenario("Prism batch (100/request)", 100, () =>
      load({ url: `${prism}/events/batch`, body: BATCH, headers: auth, connections: 16 }),
    );
    const baseBatch = await scenario("baseline batch (100/request)", 100, () => load({ url: bare, body: BATCH, headers: {}, connections: 16 }));
    const workerIngest = `http://127.0.0.1:${WORKER_PORT}/api/v1`;
    const prismSingle = await pacedScenario("Prism single, steady 1000/s", { url: `${prism}/events`, body: SINGLE, headers: auth });
    const workerSingle = await pacedScenario("Prism on the worker: single, 1000/s", { url: `${workerIngest}/events`, body: SINGLE, headers: auth });
    const baseSingle = await pacedScenario("baseline single, steady 1000/s", { url: bare, body: SINGLE, headers: {} });
    const prismBursts = await scenario("Prism single, 1000/s in bursts", 1, () =>
      load({ url: `${prism}/events`, body: SINGLE, headers: auth, connections: 32, rate: 1000 }),
    );
    const workerBursts = await scenario("Prism on the worker: 1000/s bursts", 1, () =>
      load({ url: `${workerIngest}/events`, body: SINGLE, headers: auth, connections: 32, rate: 1000 }),
    );
    const baseBursts = await scenario("baseline single, 1000/s in bursts", 1, () =>
      load({ url: bare, body: SINGLE, headers: {}, connections: 32, rate: 1000 }),
    );
    const prismSingleMax = await scenario("Prism single, unthrottled", 1, () => load({ url: `${prism}/events`, body: SINGLE, headers: auth, connections: 32 }));
    const baseSingleMax = await scenario("baseline single, unthrottled", 1, () => load({ url: bare, body: SINGLE, headers: {}, connections: 32 }));

    const workerBatch = await scenario("Prism on the worker: batch", 100, () =>
      load({ url: `${workerIngest}/events/batch`, body: BATCH, headers: auth, connections: 16 }),
    );
    await scenario("Prism on the worker: single, max", 1, () => load({ url: `${workerIngest}/events`, body: SINGLE, headers: auth, connections: 32 }));

    // Where the time goes: each hop of the Prism path alone.
    const gatewayAuth = { authorization: `Basic ${Buffer.from(`prism:${SECRETS.GATEWAY_TOKEN}`).toString("base64")}` };
    const gatewayRecord = JSON.stringify([{ topic: "event.raw", key: "proj_bench:user-1", value: SINGLE }]);
    await scenario("hop: gateway /produce, 1 record", 1, () =>
      load({ url: `http://127.0.0.1:${WORKER_PORT}/produce`, body: gatewayRecord, headers: gatewayAuth, connections: 32 }),
    );
    await scenario("hop: Next edge route floor (health)", 1, () => load({ url: `${prism}/health`, headers: {}, connections: 32 }));

    say("");
    say(
      `batch throughput: ${prismBatch.eventsPerSecond.toFixed(0)} events/s = ${(prismBatch.eventsPerSecond / baseBatch.eventsPerSecond).toFixed(2)}× baseline (target ≥ 20000 events/s and ≥ 0.5×)`,
    );
    say(
      `batch throughput on the worker: ${workerBatch.eventsPerSecond.toFixed(0)} events/s = ${(workerBatch.eventsPerSecond / baseBatch.eventsPerSecond).toFixed(2)}× baseline`,
    );
    say(
      `single p99 at a steady 1000 req/s: Next edge route ${prismSingle.p99.toFixed(1)} ms (${prismSingle.rate.toFixed(0)}/s answered), worker ${workerSingle.p99.toFixed(1)} ms, baseline ${baseSingle.p99.toFixed(1)} ms (target < 30 ms)`,
    );
    say(
      `single p99 at 1000 req/s in autocannon's one-second bursts: Next edge route ${prismBursts.p99.toFixed(1)} ms, worker ${workerBursts.p99.toFixed(1)} ms, baseline ${baseBursts.p99.toFixed(1)} ms`,
    );
    say(
      `single throughput: ${prismSingleMax.eventsPerSecond.toFixed(0)} events/s = ${(prismSingleMax.eventsPerSecond / baseSingleMax.eventsPerSecond).toFixed(2)}× baseline`,
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

await main();
process.exit(0);
