import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_SECRETS } from "../src/platform/config-parse";
import { workerEnv } from "./env";

const ROOT = path.resolve(import.meta.dirname, "..");
const DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/prism";

describe("worker configuration", () => {
  it("keeps the development defaults outside production", () => {
    expect(workerEnv({ DATABASE_URL }).INTERNAL_SECRET).toBe(DEVELOPMENT_SECRETS.INTERNAL_SECRET);
  });

  it("refuses public secrets in production, naming only the offending ones", () => {
    expect(() => workerEnv({ NODE_ENV: "production", DATABASE_URL, INTERNAL_SECRET: "i".repeat(64) })).toThrow(
      new ConfigError(
        "Invalid configuration: GATEWAY_TOKEN is unset or a public development default; production needs private values (npm start generates them into .data/secrets.json)",
      ),
    );
    expect(workerEnv({ NODE_ENV: "production", DATABASE_URL, INTERNAL_SECRET: "i".repeat(64), GATEWAY_TOKEN: "g".repeat(48) }).GATEWAY_TOKEN).toBe(
      "g".repeat(48),
    );
  });

  it("stops the real worker in production with exit 1 and one line naming each public secret", async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "workers", "main.ts")], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", DATABASE_URL, WORKER_PORT: "0", GATEWAY_TOKEN: DEVELOPMENT_SECRETS.GATEWAY_TOKEN },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^prism worker: Invalid configuration: INTERNAL_SECRET, GATEWAY_TOKEN are unset or a public development default/),
    ]);
  });
});
