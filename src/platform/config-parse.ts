import { z } from "zod";

/** Thrown at boot for bad configuration; the launcher prints `message` as one line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "must look like postgresql://user@host:port/database");

export const port = z.coerce.number().int().min(0).max(65535);

/** Comma-separated host:port list, e.g. "127.0.0.1:9092,10.0.0.2:9092". */
export const brokerList = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .refine((list) => list.length > 0 && list.every((item) => /^[\w.-]+:\d{1,5}$/.test(item)), "must be host:port[,host:port…]");

/**
 * Development defaults of the shared secrets. They are in the source, so anyone can read them: they keep
 * `npm run dev` and the tests working, and production refuses them (`npm start` generates real ones).
 */
export const DEVELOPMENT_SECRETS = {
  NEXTAUTH_SECRET: "prism-development-secret-change-me",
  INTERNAL_SECRET: "prism-internal-development-secret",
  GATEWAY_TOKEN: "prism-gateway-development-token",
} as const;

export type SecretName = keyof typeof DEVELOPMENT_SECRETS;

const PUBLIC_SECRET_VALUES: ReadonlySet<string> = new Set(Object.values(DEVELOPMENT_SECRETS));

/** A shared secret; unset, it falls back to its public development default (refused in production). */
export function secretSetting(name: SecretName) {
  return z.string().min(16, "must be at least 16 characters").default(DEVELOPMENT_SECRETS[name]);
}

/**
 * `schema` that, in production, also requires every secret in `names` to be private. One issue names
 * them all, so boot stops with one line listing each offending variable, even beside other problems.
 */
export function requirePrivateSecretsInProduction<T extends z.ZodType<Record<string, unknown>>>(schema: T, names: readonly SecretName[]): T {
  return schema.superRefine(
    (env, ctx) => {
      if (env.NODE_ENV !== "production") return;
      const offending = names.filter((name) => typeof env[name] !== "string" || PUBLIC_SECRET_VALUES.has(env[name]));
      if (offending.length === 0) return;
      ctx.addIssue({
        code: "custom",
        path: [offending.join(", ")],
        message: `${offending.length === 1 ? "is" : "are"} unset or a public development default; production needs private values (npm start generates them into .data/secrets.json)`,
      });
    },
    // Also when another variable is wrong, so one start names every problem.
    { when: () => true },
  );
}

/** Parse `source` with `schema`, turning zod issues into one readable line. */
export function parseConfig<T extends z.ZodTypeAny>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "config"} ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
}
