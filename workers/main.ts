import { pathToFileURL } from "node:url";
import type { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError } from "../src/platform/config-parse";
import { createLogger, type Logger } from "../src/platform/logger";
import { createBus } from "./bus";
import type { EmbeddedBus } from "./bus/embedded-bus";
import { ensureTopics } from "./bus/topic-admin";
import type { Bus } from "./bus/types";
import { openDuckDB } from "./duckdb";
import { workerEnv, type WorkerEnv } from "./env";
import { runHealthChecks, type HealthCheck } from "./health";
import { createPrismaClient } from "../src/platform/db";
import type { PrismaClient } from "../src/generated/prisma/client";
import { buildVersion } from "../src/platform/version";
import { createGateway } from "./gateway/gateway";
import { addIngestRoutes, createWorkerIngest } from "./gateway/ingest-routes";
import { servePublicPort } from "./gateway/public-port";
import type { IngestHandler } from "../edge/ingest";
import { createReplayHandler, REPLAY_PATH } from "./gateway/replay";
import { actionsGroup, startActionRunner } from "./actions/runner";
import { startAlertScheduler } from "./alerts/scheduler";
import { enqueueWebhookDelivery, startWebhookDispatcher } from "./actions/webhook-dispatcher";
import { watchConsumers, type WatchedGroup } from "./consumer-watch";
import { processorGroup, processorMetrics, startProcessor } from "./processor/processor";
import { RuleRegistry } from "./processor/rule-registry";
import { CohortCache, localMemberSource, remoteMemberSource, type CohortMemberSource } from "./processor/cohort-cache";
import { createQueryService, type QueryService } from "./query/service";
import { startProfileDeletions } from "./sink/erase";
import { ensureAnalyticsSchema } from "./sink/schema";
import { scheduleCompaction } from "./sink/compaction";
import { scheduleRetention } from "./sink/retention";
import { sinkGroup, SINK_TOPICS, startSink } from "./sink/sink";
import { TOPIC } from "../src/core/events";
import { closeServer, listen, Routes, sendJson } from "./http-server";

export interface RunningWorker {
  port: number;
  /** The public port (ingest here, the rest forwarded to the web app), when PUBLIC_PORT is set. */
  publicPort: number | undefined;
  bus: Bus;
  /** The DuckDB instance this process owns (sink or embedded log), for the query service and tests. */
  duckdb: DuckDBInstance | undefined;
  stop(): Promise<void>;
}

/** Which parts a role runs. `all` is the single-machine default. */
export function partsOf(role: WorkerEnv["PRISM_ROLE"]) {
  return {
    gateway: role === "all" || role === "gateway",
    processor: role === "all" || role === "processor",
    sink: role === "all" || role === "sink",
  };
}

export async function startWorker(env: WorkerEnv, log: Logger = createLogger(`worker-${env.PRISM_ROLE}`, env.LOG_LEVEL)): Promise<RunningWorker> {
  const parts = partsOf(env.PRISM_ROLE);
  if (!env.KAFKA_BROKERS && env.PRISM_ROLE !== "all") {
    throw new ConfigError(`Role ${env.PRISM_ROLE} needs KAFKA_BROKERS: the embedded log only works with PRISM_ROLE=all, in one process.`);
  }
  if (env.PUBLIC_PORT !== undefined && !parts.gateway) {
    throw new ConfigError(`PUBLIC_PORT needs a role that serves ingest (all or gateway), not ${env.PRISM_ROLE}.`);
  }
  if (env.PUBLIC_PORT !== undefined && !env.WEB_APP_URL) {
    throw new ConfigError("PUBLIC_PORT needs WEB_APP_URL: the web app the public port forwards everything but ingest to.");
  }
  const closers = new Closers(log);
  const base: Base = { env, log, closers };
  try {
    const postgres = await connectPostgres(base);
    const duckdb = parts.sink || !env.KAFKA_BROKERS ? await openOwnDuckDB(base, parts.sink) : undefined;
    const bus = await connectBus(base, duckdb);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const checks = healthChecks(postgres, bus, duckdb);
    const routes = operationsRoutes(env, parts, checks, metrics);
    const prisma = createPrismaClient(env.DATABASE_URL);
    closers.add(() => prisma.$disconnect());
    const shared: Shared = { ...base, postgres, duckdb, bus, prisma, metrics };

    const queries = parts.sink && duckdb ? mountQueryService(shared, duckdb, routes) : undefined;
    if (queries) startAlerts(shared, queries);
    const ingest = parts.gateway ? mountGateway(shared, routes) : undefined;

    // Consumers start last-in, first-out on shutdown: they stop (finishing and committing their
    // batch) before the bus, DuckDB and Postgres they write to are closed.
    const watched: WatchedGroup[] = [];
    if (parts.sink && duckdb) watched.push(await startSinkPart(shared, duckdb));
    if (parts.processor) watched.push(...(await startProcessorPart(shared, queries)));
    if (watched.length > 0) checks.consumers = watchGroups(shared, watched);

    const port = await serve(base, routes);
    const publicPort = ingest ? await servePublic(base, ingest) : undefined;
    log.info({ role: env.PRISM_ROLE, port, publicPort, bus: bus.kind, parts }, "worker started");
    let stopped = false;
    return {
      port,
      publicPort,
      bus,
      duckdb,
      async stop() {
        if (stopped) return;
        stopped = true;
        await closers.closeAll();
        log.info("worker stopped");
      },
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** What every part of the worker gets: its configuration, its log and what to close on stop. */
interface Base {
  env: WorkerEnv;
  log: Logger;
  closers: Closers;
}

/** The connections the parts share. */
interface Shared extends Base {
  postgres: pg.Pool;
  duckdb: DuckDBInstance | undefined;
  bus: Bus;
  prisma: PrismaClient;
  metrics: Registry;
}

/** Closes what was started, last first; a close that fails is logged and the others still run. */
class Closers {
  private readonly list: Array<() => Promise<void>> = [];

  constructor(private readonly log: Logger) {}

  add(close: () => Promise<void>): void {
    this.list.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.list.splice(0).reverse()) {
      await close().catch((error: unknown) => this.log.error({ err: error }, "error during shutdown"));
    }
  }
}

async function connectPostgres({ env, log, closers }: Base): Promise<pg.Pool> {
  const postgres = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 3000 });
  postgres.on("error", (error) => log.warn({ err: error }, "postgres pool error"));
  closers.add(() => postgres.end());
  await postgres.query("SELECT 1").catch((error: unknown) => {
    throw new ConfigError(`Cannot reach PostgreSQL at ${describeUrl(env.DATABASE_URL)}: ${oneLine(error)}`);
  });
  return postgres;
}

/** The DuckDB file this process owns: the sink's tables, or the embedded log without Kafka. */
async function openOwnDuckDB({ env, closers }: Base, withAnalyticsTables: boolean): Promise<DuckDBInstance> {
  const duckdb = await openDuckDB(env.DUCKDB_PATH);
  closers.add(async () => duckdb.closeSync());
  if (withAnalyticsTables) {
    // The query service (cohort uploads, member lists) must work before the first event is stored.
    const connection = await duckdb.connect();
    try {
      await ensureAnalyticsSchema(connection);
    } finally {
      connection.closeSync();
    }
  }
  return duckdb;
}

async function connectBus({ env, log, closers }: Base, duckdb: DuckDBInstance | undefined): Promise<Bus> {
  let busReady = false;
  const busLog = log.child({ component: "bus" });
  const bus = await createBus({
    kafkaBrokers: env.KAFKA_BROKERS,
    recordFormat: env.KAFKA_RECORD_FORMAT,
    compression: env.KAFKA_COMPRESSION,
    duckdb: duckdb ?? env.DUCKDB_PATH,
    clientId: `prism-${env.PRISM_ROLE}`,
    // Until the first ping succeeds, connection noise is summed up in one start-up error line instead.
    log: (level, message, fields) => {
      if (busReady || level === "debug") busLog[level](fields ?? {}, message);
    },
  });
  closers.add(() => bus.close());
  await bus.ping().catch((error: unknown) => {
    throw new ConfigError(`Cannot reach Kafka at ${env.KAFKA_BROKERS?.join(",")}: ${oneLine(error)}`);
  });
  busReady = true;
  if (env.KAFKA_BROKERS) await ensureCoreTopics(env.KAFKA_BROKERS, env.KAFKA_REPLICATION_FACTOR, log);
  if (bus.kind === "embedded") {
    // The embedded log keeps records in DuckDB; drop those every group has committed for an hour.
    const embedded = bus as EmbeddedBus;
    const timer = setInterval(() => {
      void embedded.prune({ olderThanMs: 3600_000 }).catch((error: unknown) => log.warn({ err: error }, "could not prune the embedded log"));
    }, 600_000);
    timer.unref();
    closers.add(async () => clearInterval(timer));
  }
  return bus;
}

function healthChecks(postgres: pg.Pool, bus: Bus, duckdb: DuckDBInstance | undefined): Record<string, HealthCheck> {
  const checks: Record<string, HealthCheck> = {
    postgres: async () => {
      await postgres.query("SELECT 1");
      return { ok: true };
    },
    bus: async () => {
      await bus.ping();
      return { ok: true, detail: bus.kind };
    },
  };
  if (duckdb) {
    checks.duckdb = async () => {
      const connection = await duckdb.connect();
      try {
        await connection.run("SELECT 1");
      } finally {
        connection.closeSync();
      }
      return { ok: true };
    };
  }
  return checks;
}

/** GET /health (every check, with the version and the parts this role runs) and GET /metrics. */
function operationsRoutes(env: WorkerEnv, parts: ReturnType<typeof partsOf>, checks: Record<string, HealthCheck>, metrics: Registry): Routes {
  return new Routes()
    .add("GET", "/health", async (_req, res) => {
      const report = await runHealthChecks(checks);
      sendJson(res, report.healthy ? 200 : 503, {
        status: report.healthy ? "ok" : "unhealthy",
        ...buildVersion(),
        role: env.PRISM_ROLE,
        parts,
        ...report,
      });
    })
    .add("GET", "/metrics", async (_req, res) => {
      const body = await metrics.metrics();
      res.writeHead(200, { "content-type": metrics.contentType });
      res.end(body);
    });
}

/** The query service on the DuckDB file this process owns, and replay, which reads its letters there. */
function mountQueryService({ env, log, closers, bus, prisma, metrics }: Shared, duckdb: DuckDBInstance, routes: Routes): QueryService {
  const queries = createQueryService({
    duckdb,
    secret: env.INTERNAL_SECRET,
    log: log.child({ component: "query" }),
    metrics,
    cache: { liveStaleMs: env.REPORT_CACHE_STALE_MS, maxEntries: env.REPORT_CACHE_MAX_ENTRIES, maxBytes: env.REPORT_CACHE_MAX_MB * 1024 * 1024 },
  });
  closers.add(() => queries.close());
  routes.add("GET", "/query/*", queries.handler).add("POST", "/query/*", queries.handler).add("POST", "/query-export", queries.exportHandler);
  routes.add(
    "POST",
    REPLAY_PATH,
    createReplayHandler({
      db: prisma,
      runner: queries.runner,
      secret: env.INTERNAL_SECRET,
      log: log.child({ component: "replay" }),
      produce: (records) => bus.produce(records),
    }),
  );
  return queries;
}

/** Metric alerts run beside the query service: they compute their series with its runner, as the reports do. */
function startAlerts({ log, closers, bus, prisma }: Shared, queries: QueryService): void {
  const scheduler = startAlertScheduler({
    db: prisma,
    run: (query) => queries.runner.all(query),
    produce: (records) => bus.produce(records),
    log: log.child({ component: "alerts" }),
  });
  closers.add(() => scheduler.stop());
}

/** The edge's produce endpoint and the ingest API (write keys only send; profiles are read through the app's REST API). */
function mountGateway({ env, log, bus, prisma, metrics }: Shared, routes: Routes): IngestHandler {
  routes.add("POST", "/produce", createGateway({ bus, token: env.GATEWAY_TOKEN, log, metrics }));
  const ingest = createWorkerIngest({ bus, db: prisma, keyCacheMs: env.INGEST_KEY_CACHE_MS });
  addIngestRoutes(routes, ingest);
  return ingest;
}

async function startSinkPart({ env, log, closers, bus, postgres, prisma, metrics }: Shared, duckdb: DuckDBInstance): Promise<WatchedGroup> {
  const sink = await startSink({ bus, groupPrefix: env.CONSUMER_GROUP_PREFIX, duckdb, log: log.child({ component: "sink" }), metrics });
  closers.add(() => sink.stop());
  const cancelRetention = scheduleRetention(duckdb, postgres, log.child({ component: "retention" }));
  closers.add(async () => cancelRetention());
  // Clusters closed spans of events by project, so a tenant's reports skip everyone else's rows.
  const cancelCompaction = scheduleCompaction(duckdb, log.child({ component: "compaction" }));
  closers.add(async () => cancelCompaction());
  // GDPR deletions run here: this process owns the DuckDB file they delete from.
  const deletions = startProfileDeletions({ duckdb, prisma, log: log.child({ component: "profile-deletions" }) });
  closers.add(() => deletions.stop());
  return { groupId: sinkGroup(env.CONSUMER_GROUP_PREFIX), topics: SINK_TOPICS };
}

/** The rules, the processor, the webhook dispatcher and the action runner that feeds it. */
async function startProcessorPart({ env, log, closers, bus, postgres, prisma, metrics }: Shared, queries: QueryService | undefined): Promise<WatchedGroup[]> {
  const cohorts = startCohortCache({ env, log, closers }, queries);
  const rules = new RuleRegistry(postgres, log.child({ component: "rules" }), undefined, cohorts);
  await rules.start().catch((error: unknown) => {
    if ((error as { code?: string }).code === "42P01") {
      throw new ConfigError(`PostgreSQL at ${describeUrl(env.DATABASE_URL)} has no Prism tables; run \`npm run db:migrate\` first.`);
    }
    throw error;
  });
  closers.add(async () => rules.stop());
  const processor = await startProcessor({
    bus,
    groupPrefix: env.CONSUMER_GROUP_PREFIX,
    pool: postgres,
    rules,
    log: log.child({ component: "processor" }),
    metrics: processorMetrics(metrics),
  });
  closers.add(() => processor.stop());
  const webhooks = startWebhookDispatcher({
    db: prisma,
    log: log.child({ component: "webhooks" }),
    allowHosts: env.WEBHOOK_ALLOW_HOSTS,
    metrics,
    deadLetter: (record) => bus.produce([record]),
  });
  closers.add(() => webhooks.stop());
  const runner = await startActionRunner({
    bus,
    groupPrefix: env.CONSUMER_GROUP_PREFIX,
    pool: postgres,
    log: log.child({ component: "actions" }),
    enqueueWebhook: (delivery) => enqueueWebhookDelivery(prisma, delivery),
    onWebhooksQueued: () => webhooks.wake(),
    metrics,
  });
  closers.add(() => runner.stop());
  return [
    { groupId: processorGroup(env.CONSUMER_GROUP_PREFIX), topics: [TOPIC.raw] },
    { groupId: actionsGroup(env.CONSUMER_GROUP_PREFIX), topics: [TOPIC.triggered] },
  ];
}

/**
 * Cohort members for rules (profile.in_cohort), from the query service in this process when it
 * owns the DuckDB file, else from QUERY_SERVICE_URL; none without either (such rules do not fire).
 */
function startCohortCache({ env, log, closers }: Base, queries: QueryService | undefined): CohortCache | undefined {
  const cohortLog = log.child({ component: "cohorts" });
  let source: CohortMemberSource;
  if (queries) source = localMemberSource(queries.runner, cohortLog);
  else if (env.QUERY_SERVICE_URL) source = remoteMemberSource(env.QUERY_SERVICE_URL, env.INTERNAL_SECRET);
  else {
    cohortLog.warn("QUERY_SERVICE_URL is unset: rules using profile.in_cohort do not fire on this processor (set it to a sink's worker URL)");
    return undefined;
  }
  const cache = new CohortCache(source, cohortLog, { refreshMs: env.COHORT_REFRESH_MS });
  cache.start();
  closers.add(async () => cache.stop());
  return cache;
}

/** Watches the consumer groups' lag and liveness, for /metrics and the health check it returns. */
function watchGroups({ log, closers, bus, metrics }: Shared, groups: WatchedGroup[]): HealthCheck {
  const watch = watchConsumers({ bus, groups, metrics, log });
  closers.add(async () => watch.stop());
  return watch.check;
}

/** Listens last, once every part is up; answers the port (WORKER_PORT 0 picks a free one). */
async function serve({ env, log, closers }: Base, routes: Routes): Promise<number> {
  const server = await listen(routes, env.WORKER_HOST, env.WORKER_PORT, (error) => log.error({ err: error }, "request failed"));
  closers.add(() => closeServer(server));
  const address = server.address();
  return typeof address === "object" && address ? address.port : env.WORKER_PORT;
}

/** The public port, when PUBLIC_PORT is set: the same ingest handler as WORKER_PORT's, the rest forwarded to WEB_APP_URL. */
async function servePublic({ env, log, closers }: Base, ingest: IngestHandler): Promise<number | undefined> {
  if (env.PUBLIC_PORT === undefined || !env.WEB_APP_URL) return undefined;
  const served = await servePublicPort({
    ingest,
    webAppUrl: env.WEB_APP_URL,
    log: log.child({ component: "public-port" }),
    host: env.PUBLIC_HOST,
    port: env.PUBLIC_PORT,
  });
  closers.add(() => served.close());
  return served.port;
}

/**
 * Creates the missing core topics with the designed partitions and retention, and logs one line per
 * topic that drifts from the design. Best effort: a cluster that refuses this client admin rights
 * still runs the worker, whose consumers then report a missing topic themselves.
 */
async function ensureCoreTopics(brokers: string[], replicationFactor: number, log: Logger): Promise<void> {
  try {
    const states = await ensureTopics(brokers, {
      replicationFactor,
      clientId: "prism-topic-admin",
      onDrift: (line, state) => log.warn({ topic: state.topic }, line),
    });
    const created = states.filter((state) => state.created).map((state) => state.topic);
    if (created.length > 0) log.info({ topics: created, replicationFactor }, "created Kafka topics");
  } catch (error) {
    log.warn({ err: error }, `could not check the Kafka topics: ${oneLine(error)}`);
  }
}

/** host:port/database of a connection URL, never its password. */
function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

export function oneLine(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return String(error);
}

async function main() {
  let env: WorkerEnv;
  try {
    env = workerEnv();
  } catch (error) {
    console.error(`prism worker: ${oneLine(error)}`);
    process.exit(1);
  }
  const log = createLogger(`worker-${env.PRISM_ROLE}`, env.LOG_LEVEL);
  let worker: RunningWorker;
  try {
    worker = await startWorker(env, log);
  } catch (error) {
    console.error(`prism worker: ${oneLine(error)}`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    void worker.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void main();
