import { createLogger, type Logger } from "~/platform/logger";
import { appEnv } from "~/server/env";

let cached: Logger | undefined;

/** The web app's one logger. */
export function appLogger(): Logger {
  cached ??= createLogger("app", appEnv().LOG_LEVEL);
  return cached;
}
