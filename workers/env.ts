import path from "node:path";
import { z } from "zod";
import { RECORD_FORMATS } from "../src/contracts/wire/codec";
import { webhookAllowHostsSchema } from "../src/core/webhooks";
import { brokerList, parseConfig, port, postgresUrl, requirePrivateSecretsInProduction, secretSetting } from "../src/platform/config-parse";

export const WORKER_ROLES = ["all", "gateway", "processor", "sink"] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The worker's configuration, validated once at boot. */
const workerEnvSchema = requirePrivateSecretsInProduction(
  z.object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PRISM_ROLE: z.enum(WORKER_ROLES).default("all"),
    DATABASE_URL: postgresUrl,
    /** Unset: the embedded log in DuckDB stands in for Kafka (role `all` only). */
    KAFKA_BROKERS: brokerList.optional(),
    /** Replicas of the core topics the worker creates on Kafka: 1 in development, 3 or more in production. */
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).default(1),
    /** How the worker writes its internal topics on Kafka (src/contracts/wire); "json" rolls back. Consumers read both. */
    KAFKA_RECORD_FORMAT: z.enum(RECORD_FORMATS).default("avro"),
    /** Compression of the record batches the worker produces to Kafka; consumers read either. */
    KAFKA_COMPRESSION: z.enum(["zstd", "none"]).default("zstd"),
    DUCKDB_PATH: z.string().default(path.join(".data", "prism.duckdb")),
    WORKER_HOST: z.string().default("127.0.0.1"),
    WORKER_PORT: port.default(4100),
    /**
     * The public port (roles `all` and `gateway`): ingest answered by this worker, everything else
     * forwarded to WEB_APP_URL. Unset: no public port (ingest is still on WORKER_PORT).
     */
    PUBLIC_PORT: port.optional(),
    PUBLIC_HOST: z.string().default("127.0.0.1"),
    /** The Next.js server the public port forwards to, e.g. http://127.0.0.1:3001. */
    WEB_APP_URL: z.string().url().optional(),
    /** Where a processor without the sink (role processor) reaches the query service for cohort members, e.g. http://sink-host:4100. */
    QUERY_SERVICE_URL: z.string().url().optional(),
    /** How often the processor reloads the members of the cohorts rules read (profile.in_cohort); an edited cohort reloads within seconds anyway. */
    COHORT_REFRESH_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    INTERNAL_SECRET: secretSetting("INTERNAL_SECRET"),
    /** Basic-auth password the edge's Upstash client uses against the gateway. */
    GATEWAY_TOKEN: secretSetting("GATEWAY_TOKEN"),
    /** How long worker-served ingest caches an API key's project and plan. */
    INGEST_KEY_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    /** Consumer groups are `<prefix>-processor`, `<prefix>-sink`, `<prefix>-actions`; tests sharing a broker use their own. */
    CONSUMER_GROUP_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, "may use letters, digits, . _ -")
      .default("prism"),
    /** The query service's report cache: how long a report over live data is served from it, how many results and bytes it keeps (0 entries: off). */
    REPORT_CACHE_STALE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    REPORT_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(500),
    REPORT_CACHE_MAX_MB: z.coerce.number().int().min(1).max(65_536).default(64),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Comma-separated host names, IPs or CIDRs that webhooks may call although private or loopback. */
    WEBHOOK_ALLOW_HOSTS: webhookAllowHostsSchema.default([]),
  }),
  ["INTERNAL_SECRET", "GATEWAY_TOKEN"],
);

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function workerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const env = parseConfig(workerEnvSchema, source);
  return env;
}
