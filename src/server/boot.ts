/**
 * Node-only start-up checks, kept out of ./env.ts because edge routes import that module and the
 * Edge Runtime has no `process.exit`.
 */
import { ConfigError } from "~/platform/config-parse";
import { appEnv } from "./env";

/** Called once when the server starts (src/instrumentation.ts): bad configuration stops it with one line. */
export function checkAppEnvAtBoot(): void {
  try {
    appEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`prism app: ${error.message}`);
    process.exit(1);
  }
}
