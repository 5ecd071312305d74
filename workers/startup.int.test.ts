/**
 * Bad configuration ends start-up with one clear line naming the problem (exit 1), never a
 * stack trace alone. Runs the real worker entry point as a child process.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import os from "node:os";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { migrateDatabase } from "../prisma/tools/migrate";
import { createTestDatabase } from "../src/testing/postgres";

const ROOT = path.resolve(import.meta.dirname, "..");

function runWorker(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "workers", "main.ts")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", WORKER_PORT: "0", LOG_LEVEL: "info", ...env },
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

function expectOneLine(result: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe("");
}

describe("worker start-up with bad configuration", () => {
  const databaseUrl = () => inject("postgresServerUrl");

  it("names a malformed DATABASE_URL", async () => {
    expectOneLine(await runWorker({ DATABASE_URL: "not a url" }), /^prism worker: Invalid configuration: DATABASE_URL must look like postgresql:\/\//);
  });

  it("names an unreachable PostgreSQL without leaking the password", async () => {
    const result = await runWorker({ DATABASE_URL: "postgresql://postgres:s3cret@127.0.0.1:1/prism" });
    expectOneLine(result, /^prism worker: Cannot reach PostgreSQL at 127\.0\.0\.1:1\/prism/);
    expect(result.stderr).not.toContain("s3cret");
  });

  it("names an unreachable Kafka broker", async () => {
    expectOneLine(
      await runWorker({ DATABASE_URL: databaseUrl(), KAFKA_BROKERS: "127.0.0.1:1", PRISM_ROLE: "gateway" }),
      /^prism worker: Cannot reach Kafka at 127\.0\.0\.1:1/,
    );
  });

  it("names a port in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      expectOneLine(
        await runWorker({ DATABASE_URL: databaseUrl(), KAFKA_BROKERS: inject("kafkaBrokers"), PRISM_ROLE: "gateway", WORKER_PORT: String(port) }),
        new RegExp(`^prism worker: Port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
    } finally {
      blocker.close();
    }
  });

  it("refuses a split role without Kafka, since the embedded log lives in one process", async () => {
    expectOneLine(await runWorker({ DATABASE_URL: databaseUrl(), PRISM_ROLE: "processor" }), /^prism worker: Role processor needs KAFKA_BROKERS/);
  });
});

describe("worker lifecycle", () => {
  it("serves /health with each dependency and stops cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "prism-worker-test-"));
    const database = await createTestDatabase(inject("postgresServerUrl"));
    await migrateDatabase(database.url);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "workers", "main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "test",
        WORKER_PORT: "0",
        DATABASE_URL: database.url,
        DUCKDB_PATH: path.join(dir, "prism.duckdb"),
        LOG_LEVEL: "info",
      },
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = out.match(/"port":(\d+)/);
          if (match) resolve(Number(match[1]));
        });
        child.once("exit", (code) => reject(new Error(`worker exited early (${code})`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: "ok",
        version: (JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version,
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
        role: "all",
        checks: { postgres: { ok: true }, bus: { ok: true, detail: "embedded" }, duckdb: { ok: true } },
      });
      const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      await database.drop();
    }
  });

  it("names a database that was never migrated", async () => {
    const database = await createTestDatabase(inject("postgresServerUrl"));
    try {
      expectOneLine(await runWorker({ DATABASE_URL: database.url, DUCKDB_PATH: ":memory:" }), /has no Prism tables; run `npm run db:migrate` first\.$/);
    } finally {
      await database.drop();
    }
  });
});
