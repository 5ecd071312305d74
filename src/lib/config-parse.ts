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

/** Parse `source` with `schema`, turning zod issues into one readable line. */
export function parseConfig<T extends z.ZodTypeAny>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "config"} ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
}
