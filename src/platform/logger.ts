import pino, { type Logger } from "pino";

/** Structured JSON logs. Secrets are redacted wherever they might appear. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    redact: {
      paths: ["apiKey", "password", "token", "secret", "*.apiKey", "*.password", "*.token", "*.secret", "headers.authorization", "headers['x-api-key']"],
      censor: "[redacted]",
    },
  });
}

export type { Logger };
