/**
 * `npm run bench:ingest`: ingest throughput and latency against a production build on a real
 * Kafka broker, next to a bare Node + kafkajs server producing the same records (baseline),
 * measured in the same run. The headline rows use the public URL, laid out as `npm start` and the
 * README's production layout lay it out: the worker (role gateway) owns the public port, answers
 * ingest there and forwards everything else to `next start`. The Next.js edge routes (for edge
 * deployments) are measured too, on Next's own port. Each scenario runs ROUNDS times, a headline
 * scenario alternating with its baseline round by round; medians are printed.
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
/** The public URL: the worker's public port. */
const PUBLIC_PORT = 3310;
/** `next start`, behind the public port (and measured directly as the edge deployments' routes). */
const WEB_APP_PORT = 3311;
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
const selected = (name: string) => ONLY.length === 0 || ONLY.some((word) => name.includes(word));

/**
 * Runs ROUNDS rounds of each selected scenario, taking turns round by round (on a shared machine
 * the load drifts over minutes, so a figure and its baseline see the same drift); medians.
 */
async function alternating<F>(runs: Array<{ name: string; once: () => Promise<F> }>, summarise: (rounds: F[]) => F, notRun: F): Promise<F[]> {
  const rounds: F[][] = runs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of runs.entries()) if (selected(run.name)) rounds[i]!.push(await run.once());
  }
  return runs.map((run, i) => (selected(run.name) ? summarise(rounds[i]!) : notRun));
}

const NOT_RUN: Figures = { requestsPerSecond: NaN, eventsPerSecond: NaN, p50: NaN, p99: NaN, non2xx: 0 };

/** autocannon scenarios (closed loop, or its per-second bursts with `rate`), alternating; prints and answers each one's medians. */
async function scenarios(runs: Array<{ name: string; eventsPerRequest: number; make: () => Promise<Result> }>): Promise<Figures[]> {
  const all = await alternating(
    runs.map((run) => ({
      name: run.name,
      once: async (): Promise<Figures> => {
        const result = await run.make();
        return {
          requestsPerSecond: result.requests.average,
          eventsPerSecond: result.requests.average * run.eventsPerRequest,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx + result.errors,
        };
      },
    })),
    (rounds) => ({
      requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
      eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    }),
    NOT_RUN,
  );
  for (const [i, figures] of all.entries()) {
    if (!selected(runs[i]!.name)) continue;
    say(
      `  ${runs[i]!.name.padEnd(40)} ${figures.eventsPerSecond.toFixed(0).padStart(8)} events/s  p50 ${figures.p50.toFixed(1).padStart(6)} ms  p99 ${figures.p99.toFixed(1).padStart(6)} ms  non-2xx ${figures.non2xx}`,
    );
  }
  return all;
}

interface PacedFigures {
  rate: number;
  p50: number;
  p99: number;
  failed: number;
}

/** A steady 1,000 requests/s, open loop (paced-load.ts), alternating; medians. */
async function pacedScenarios(runs: Array<{ name: string; url: string; body: string; headers: Record<string, string> }>): Promise<PacedFigures[]> {
  const all = await alternating(
    runs.map((run) => ({
      name: run.name,
      once: async (): Promise<PacedFigures> => {
        const result = await pacedLoad({ url: run.url, body: run.body, headers: run.headers, rate: 1000, seconds: SECONDS });
        return { rate: result.achievedRate, p50: result.p50, p99: result.p99, failed: result.failed };
      },
    })),
    (rounds) => ({
      rate: median(rounds.map((r) => r.rate)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    }),
    { rate: NaN, p50: NaN, p99: NaN, failed: 0 },
  );
  for (const [i, figures] of all.entries()) {
    if (!selected(runs[i]!.name)) continue;
    say(
      `  ${runs[i]!.name.padEnd(40)} ${figures.rate.toFixed(0).padStart(8)} events/s  p50 ${figures.p50.toFixed(1).padStart(6)} ms  p99 ${figures.p99.toFixed(1).padStart(6)} ms  non-2xx ${figures.failed}`,
    );
  }
  return all;
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
    // The production layout: the gateway owns the public port, Next behind it on loopback.
    const worker = start(["--import", "tsx", "workers/main.ts"], {
      ...common,
      PRISM_ROLE: "gateway",
      WORKER_PORT: String(WORKER_PORT),
      PUBLIC_PORT: String(PUBLIC_PORT),
      WEB_APP_URL: `http://127.0.0.1:${WEB_APP_PORT}`,
    });
    await waitForHttp(`http://127.0.0.1:${WORKER_PORT}/health`, worker, "the gateway");
    const web = start([path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-p", String(WEB_APP_PORT), "-H", "127.0.0.1"], {
      ...common,
      NEXTAUTH_URL: `http://127.0.0.1:${PUBLIC_PORT}`,
      WORKER_URL: `http://127.0.0.1:${WORKER_PORT}`,
      NEXT_TELEMETRY_DISABLED: "1",
    });
    await waitForHttp(`http://127.0.0.1:${PUBLIC_PORT}/api/health`, web, "the web app behind the public port");
    start(["--import", "tsx", "tools/bench/baseline-server.ts"], { KAFKA_BROKERS: brokers, BASELINE_PORT: String(BASELINE_PORT) });
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const publicIngest = `http://127.0.0.1:${PUBLIC_PORT}/api/v1`;
    const edgeRoutes = `http://127.0.0.1:${WEB_APP_PORT}/api/v1`;
    const bare = `http://127.0.0.1:${BASELINE_PORT}`;
    const auth = { "x-api-key": key.secret };
    say(
      `Ingest benchmark: ${ROUNDS} rounds × ${SECONDS} s per scenario, alternating with their baselines, medians; Kafka ${brokers}; ${process.env.BENCH_CPU_NOTE ?? "load generator on the same 2-core machine"}`,
    );
    // Warm-up: key caches, producer connections, the edge routes' bundles.
    await load({ url: `${publicIngest}/events/batch`, body: BATCH, headers: auth, connections: 4 });
    await load({ url: `${edgeRoutes}/events/batch`, body: BATCH, headers: auth, connections: 4 });

    say("The public URL (worker's public port; npm start and the production layout):");
    const [publicBatch, baseBatch] = await scenarios([
      {
        name: "public URL batch (100/request)",
        eventsPerRequest: 100,
        make: () => load({ url: `${publicIngest}/events/batch`, body: BATCH, headers: auth, connections: 16 }),
      },
      { name: "baseline batch (100/request)", eventsPerRequest: 100, make: () => load({ url: bare, body: BATCH, headers: {}, connections: 16 }) },
    ]);
    const [publicSingle, baseSingle] = await pacedScenarios([
      { name: "public URL single, steady 1000/s", url: `${publicIngest}/events`, body: SINGLE, headers: auth },
      { name: "baseline single, steady 1000/s", url: bare, body: SINGLE, headers: {} },
    ]);
    const [publicBursts, baseBursts] = await scenarios([
      {
        name: "public URL single, 1000/s in bursts",
        eventsPerRequest: 1,
        make: () => load({ url: `${publicIngest}/events`, body: SINGLE, headers: auth, connections: 32, rate: 1000 }),
      },
      {
        name: "baseline single, 1000/s in bursts",
        eventsPerRequest: 1,
        make: () => load({ url: bare, body: SINGLE, headers: {}, connections: 32, rate: 1000 }),
      },
    ]);
    const [publicSingleMax, baseSingleMax] = await scenarios([
      {
        name: "public URL single, unthrottled",
        eventsPerRequest: 1,
        make: () => load({ url: `${publicIngest}/events`, body: SINGLE, headers: auth, connections: 32 }),
      },
      { name: "baseline single, unthrottled", eventsPerRequest: 1, make: () => load({ url: bare, body: SINGLE, headers: {}, connections: 32 }) },
    ]);

    say("The Next.js edge routes (edge deployments), on next start's own port:");
    const [edgeBatch] = await scenarios([
      {
        name: "edge routes batch (100/request)",
        eventsPerRequest: 100,
        make: () => load({ url: `${edgeRoutes}/events/batch`, body: BATCH, headers: auth, connections: 16 }),
      },
    ]);
    const [edgeSingle] = await pacedScenarios([{ name: "edge routes single, steady 1000/s", url: `${edgeRoutes}/events`, body: SINGLE, headers: auth }]);

    // Where the time goes: each hop alone.
    say("Hops:");
    const gatewayAuth = { authorization: `Basic ${Buffer.from(`prism:${SECRETS.GATEWAY_TOKEN}`).toString("base64")}` };
    const gatewayRecord = JSON.stringify([{ topic: "event.raw", key: "proj_bench:user-1", value: SINGLE }]);
    const [, forwarded, direct] = await scenarios([
      {
        name: "hop: gateway /produce, 1 record",
        eventsPerRequest: 1,
        make: () => load({ url: `http://127.0.0.1:${WORKER_PORT}/produce`, body: gatewayRecord, headers: gatewayAuth, connections: 32 }),
      },
      // What forwarding costs a page or REST call: the app's health route through the public port, and directly.
      {
        name: "hop: web app via the public port",
        eventsPerRequest: 1,
        make: () => load({ url: `http://127.0.0.1:${PUBLIC_PORT}/api/health`, headers: {}, connections: 32 }),
      },
      {
        name: "hop: web app directly",
        eventsPerRequest: 1,
        make: () => load({ url: `http://127.0.0.1:${WEB_APP_PORT}/api/health`, headers: {}, connections: 32 }),
      },
    ]);

    const verdict = (met: boolean) => (met ? "met" : "NOT met");
    const batchRatio = publicBatch!.eventsPerSecond / baseBatch!.eventsPerSecond;
    say("");
    say(
      `batch on the public URL: ${publicBatch!.eventsPerSecond.toFixed(0)} events/s = ${batchRatio.toFixed(2)}× baseline (${baseBatch!.eventsPerSecond.toFixed(0)}) — target ≥ 20000 events/s and ≥ 0.5×: ${verdict(publicBatch!.eventsPerSecond >= 20_000 && batchRatio >= 0.5)}`,
    );
    say(
      `single at a steady 1000/s on the public URL: p99 ${publicSingle!.p99.toFixed(1)} ms, p50 ${publicSingle!.p50.toFixed(1)} ms, ${publicSingle!.rate.toFixed(0)}/s answered (baseline p99 ${baseSingle!.p99.toFixed(1)} ms) — target p99 < 30 ms: ${verdict(publicSingle!.p99 < 30 && publicSingle!.rate >= 950)}`,
    );
    say(`single at 1000/s in autocannon's one-second bursts: public URL p99 ${publicBursts!.p99.toFixed(1)} ms, baseline ${baseBursts!.p99.toFixed(1)} ms`);
    say(
      `single unthrottled: public URL ${publicSingleMax!.eventsPerSecond.toFixed(0)} events/s = ${(publicSingleMax!.eventsPerSecond / baseSingleMax!.eventsPerSecond).toFixed(2)}× baseline`,
    );
    say(
      `Next.js edge routes (edge deployments): batch ${edgeBatch!.eventsPerSecond.toFixed(0)} events/s = ${(edgeBatch!.eventsPerSecond / baseBatch!.eventsPerSecond).toFixed(2)}× baseline; single at 1000/s p99 ${edgeSingle!.p99.toFixed(1)} ms (${edgeSingle!.rate.toFixed(0)}/s answered)`,
    );
    say(
      `forwarding to the web app: ${forwarded!.requestsPerSecond.toFixed(0)} requests/s via the public port vs ${direct!.requestsPerSecond.toFixed(0)} directly (${(forwarded!.requestsPerSecond / direct!.requestsPerSecond).toFixed(2)}×), p50 ${forwarded!.p50.toFixed(1)} vs ${direct!.p50.toFixed(1)} ms`,
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

await main();
process.exit(0);
