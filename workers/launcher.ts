/**
 * `npm start`: the whole platform on one machine. Embedded PostgreSQL (PGlite) unless
 * DATABASE_URL is set, the embedded log unless KAFKA_BROKERS is set, DuckDB under .data/.
 * Builds the web app when sources are newer than the last build, migrates, seeds the demo,
 * then runs the worker (role `all`) and `next start` as children and prints where to go.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { brokerList, ConfigError, parseConfig, port, postgresUrl } from "../src/lib/config-parse";
import { migrateDatabase } from "../prisma/tools/migrate";
import { createPrismaClient } from "../src/server/db";
import { loadSampleData } from "../src/server/demo/load-sample-data";
import { DEMO_LOGIN, seedDemo } from "../src/server/demo/seed";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";

const ROOT = path.resolve(import.meta.dirname, "..");

const launcherEnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: port.default(3000),
  WORKER_PORT: port.default(4100),
  DATA_DIR: z.string().default(path.join(ROOT, ".data")),
  DATABASE_URL: postgresUrl.optional(),
  KAFKA_BROKERS: brokerList.optional(),
  SMTP_URL: z.string().url().optional(),
  PRISM_SKIP_BUILD: z.enum(["0", "1"]).default("0"),
});
type LauncherEnv = z.infer<typeof launcherEnvSchema>;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function assertPortFree(host: string, portNumber: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          error.code === "EADDRINUSE"
            ? `Port ${portNumber} is already in use; set ${variable} to a free port.`
            : `Cannot listen on ${host}:${portNumber}: ${error.message}`,
        ),
      ),
    );
    probe.listen(portNumber, host, () => probe.close(() => resolve()));
  });
}

/** Secrets generated once per installation, so sessions survive restarts. */
async function installationSecrets(dataDir: string): Promise<Record<"NEXTAUTH_SECRET" | "INTERNAL_SECRET" | "GATEWAY_TOKEN", string>> {
  const file = path.join(dataDir, "secrets.json");
  const schema = z.object({ NEXTAUTH_SECRET: z.string().min(16), INTERNAL_SECRET: z.string().min(16), GATEWAY_TOKEN: z.string().min(16) });
  if (existsSync(file)) {
    const parsed = schema.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (parsed.success) return parsed.data;
  }
  const fresh = {
    NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
    INTERNAL_SECRET: randomBytes(32).toString("hex"),
    GATEWAY_TOKEN: randomBytes(24).toString("hex"),
  };
  await writeFile(file, JSON.stringify(fresh, null, 2), { mode: 0o600 });
  return fresh;
}

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  if (entry.endsWith(`${path.sep}generated`)) return 0;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestMtime(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

export async function buildIsStale(): Promise<boolean> {
  const buildId = await stat(path.join(ROOT, ".next", "BUILD_ID")).catch(() => null);
  if (!buildId) return true;
  const inputs = ["src", "edge", "public", "next.config.ts", "tailwind.config.ts", "postcss.config.mjs", "package-lock.json", "prisma/schema.prisma"];
  const newest = Math.max(...(await Promise.all(inputs.map((input) => newestMtime(path.join(ROOT, input))))));
  return newest > buildId.mtimeMs;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} ${args[1] ?? ""} exited with code ${code}`)),
    );
  });
}

export async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} during start-up (see its output above).`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s.`);
}

export async function launch(env: LauncherEnv): Promise<void> {
  await mkdir(env.DATA_DIR, { recursive: true });
  await assertPortFree(env.HOST, env.PORT, "PORT");
  await assertPortFree("127.0.0.1", env.WORKER_PORT, "WORKER_PORT");

  const children: ChildProcess[] = [];
  let embedded: EmbeddedPostgres | undefined;
  const shutdown = async (code: number) => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : null)));
    await embedded?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  try {
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: path.join(env.DATA_DIR, "postgres") });
      databaseUrl = embedded.url;
      say(`• Embedded PostgreSQL (PGlite) at ${databaseUrl.replace(/\?.*$/, "")}, data in ${path.relative(ROOT, env.DATA_DIR)}/postgres`);
    }
    const applied = await migrateDatabase(databaseUrl);
    say(`• Database migrated (${applied.length} new migration${applied.length === 1 ? "" : "s"})`);

    const prisma = createPrismaClient(databaseUrl);
    const demo = await seedDemo(prisma).finally(() => prisma.$disconnect());
    if (demo) say(`• Created the demo user and project ${demo.projectId}`);

    const secrets = await installationSecrets(env.DATA_DIR);
    const workerUrl = `http://127.0.0.1:${env.WORKER_PORT}`;
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...secrets,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      DUCKDB_PATH: path.join(env.DATA_DIR, "prism.duckdb"),
      WORKER_PORT: String(env.WORKER_PORT),
      WORKER_URL: workerUrl,
      NEXTAUTH_URL: `http://${env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST}:${env.PORT}`,
      PRISM_ROLE: "all",
      ...(env.SMTP_URL ? { SMTP_URL: env.SMTP_URL } : {}),
      ...(env.KAFKA_BROKERS ? { KAFKA_BROKERS: env.KAFKA_BROKERS.join(",") } : {}),
    };

    const nextBin = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
    if (env.PRISM_SKIP_BUILD === "0" && (await buildIsStale())) {
      say("• Building the web app (first start, or sources changed)…");
      await run(process.execPath, [nextBin, "build"], { ...childEnv, NEXT_TELEMETRY_DISABLED: "1" });
    }

    const worker = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "workers", "main.ts")], { cwd: ROOT, env: childEnv, stdio: "inherit" });
    children.push(worker);
    await waitForHttp(`${workerUrl}/health`, worker, "The worker");
    say(`• Worker (role all) healthy at ${workerUrl}/health`);

    const web = spawn(process.execPath, [nextBin, "start", "-p", String(env.PORT), "-H", env.HOST], {
      cwd: ROOT,
      env: { ...childEnv, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(web);
    const appUrl = childEnv.NEXTAUTH_URL ?? "";
    await waitForHttp(`${appUrl}/api/health`, web, "The web app");

    if (demo) {
      const seeding = createPrismaClient(databaseUrl);
      try {
        let lastShown = 0;
        const loaded = await loadSampleData({
          db: seeding,
          projectId: demo.projectId,
          appUrl,
          onProgress(sent, total) {
            if (sent - lastShown >= total / 4 || sent === total) {
              lastShown = sent;
              say(`• Sample data: ${sent} / ${total} events sent through ingest`);
            }
          },
        });
        say(`• Demo project holds ${loaded.events} sample events from ${loaded.profiles} profiles`);
      } finally {
        await seeding.$disconnect();
      }
    }

    say("");
    say(`Prism is running at ${appUrl}`);
    say(`  Sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
    say(
      `  Worker health ${workerUrl}/health · Postgres ${env.DATABASE_URL ? "external" : "embedded"} · Kafka ${env.KAFKA_BROKERS ? env.KAFKA_BROKERS.join(",") : "embedded log"}`,
    );
    say("  Press Ctrl+C to stop.");

    for (const child of children) {
      child.once("exit", (code) => {
        process.stderr.write(`prism: a child process exited (code ${code}); stopping.\n`);
        void shutdown(code ?? 1);
      });
    }
  } catch (error) {
    process.stderr.write(`prism: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    await shutdown(1);
  }
}

export function launcherEnv(source: Record<string, string | undefined> = process.env): LauncherEnv {
  return parseConfig(launcherEnvSchema, source);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    await launch(launcherEnv());
  } catch (error) {
    process.stderr.write(`prism: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    process.exit(1);
  }
}
