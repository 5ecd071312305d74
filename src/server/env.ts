import { z } from "zod";
import { webhookAllowHostsSchema } from "~/core/webhooks";
import { parseConfig, postgresUrl, requirePrivateSecretsInProduction, secretSetting } from "~/platform/config-parse";

/** The web app's configuration, validated once. The launcher fills these for the single-machine mode. */
const appEnvSchema = requirePrivateSecretsInProduction(
  z.object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: postgresUrl,
    NEXTAUTH_SECRET: secretSetting("NEXTAUTH_SECRET"),
    NEXTAUTH_URL: z.string().url().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Shared secret between the app, the edge and the workers' internal endpoints. */
    INTERNAL_SECRET: secretSetting("INTERNAL_SECRET"),
    /** The worker's HTTP endpoint (query service, gateway, health). */
    WORKER_URL: z.string().url().default("http://127.0.0.1:4100"),
    /** Where the edge's REST producer posts (workers/gateway); defaults to WORKER_URL. */
    GATEWAY_URL: z.string().url().optional(),
    GATEWAY_TOKEN: secretSetting("GATEWAY_TOKEN"),
    /** How the edge reaches the app's internal key endpoint; defaults to NEXTAUTH_URL. */
    INTERNAL_APP_URL: z.string().url().optional(),
    INGEST_KEY_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    INGEST_MAX_EVENT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(32 * 1024),
    INGEST_MAX_REQUEST_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(500 * 1024),
    INGEST_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(1500),
    SMTP_URL: z.string().url().optional(),
    MAIL_FROM: z.string().default("Prism <no-reply@prism.local>"),
    /** Private hosts webhook endpoints may name (the worker reads the same setting when calling them). */
    WEBHOOK_ALLOW_HOSTS: webhookAllowHostsSchema.default([]),
  }),
  ["NEXTAUTH_SECRET", "INTERNAL_SECRET", "GATEWAY_TOKEN"],
);

export type AppEnv = z.infer<typeof appEnvSchema>;

export function parseAppEnv(source: Record<string, string | undefined>): AppEnv {
  return parseConfig(appEnvSchema, source);
}

let cached: AppEnv | undefined;

/** Lazily parsed so `next build` does not need a database URL; `./boot.ts` parses it at server start. */
export function appEnv(): AppEnv {
  cached ??= parseAppEnv(process.env);
  return cached;
}
