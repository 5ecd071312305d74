/**
 * `npm start`: the whole platform on one machine. An embedded PostgreSQL 17 unless DATABASE_URL
 * is set, the embedded log unless KAFKA_BROKERS is set, DuckDB under .data/. Locks the data
 * folder, builds the web app when sources are newer than the last build, migrates, seeds the
 * demo, then supervises the worker (role `all`) and `next start` (restarted with backoff when
 * they die) and prints where to go. The public URL (HOST:PORT) is the worker's public port:
 * ingest is answered there by the worker, everything else forwarded to `next start` on loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { brokerList, ConfigError, parseConfig, port, postgresUrl } from "../src/platform/config-parse";
import { migrateDatabase } from "../prisma/tools/migrate";
import { createPrismaClient } from "../src/platform/db";
import { loadSampleData } from "../src/server/demo/load-sample-data";
import { DEMO_LOGIN, seedDemo } from "../src/server/demo/seed";
import { acquireDataDirLock } from "./data-dir-lock";
import { restrictDataDir, startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";
import { freeLoopbackPort } from "./free-port";
import { restartDelayMs, Supervisor } from "./supervisor";

const ROOT = path.resolve(import.meta.dirname, "..");

const launcherEnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: port.default(3000),
  WORKER_PORT: port.default(4100),
  /** The Next.js server, on loopback behind the public port; default: a free port. */
  WEB_APP_PORT: port.optional(),
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

const SECRET_NAMES = ["NEXTAUTH_SECRET", "INTERNAL_SECRET", "GATEWAY_TOKEN", "POSTGRES_PASSWORD"] as const;
type InstallationSecrets = Record<(typeof SECRET_NAMES)[number], string>;

/** Secrets generated once per installation (kept owner-only), so sessions survive restarts; ones an older version lacked are added. */
async function installationSecrets(dataDir: string): Promise<InstallationSecrets> {
  const file = path.join(dataDir, "secrets.json");
  const stored = z.record(z.string(), z.unknown()).safeParse(existsSync(file) ? JSON.parse(await readFile(file, "utf8").catch(() => "{}")) : {});
  const known = stored.success ? stored.data : {};
  const secrets = Object.fromEntries(
    SECRET_NAMES.map((name) => {
      const value = known[name];
      return [name, typeof value === "string" && value.length >= 16 ? value : randomBytes(32).toString("hex")];
    }),
  ) as InstallationSecrets;
  if (SECRET_NAMES.some((name) => known[name] !== secrets[name])) await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  await chmod(file, 0o600);
  return secrets;
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

const LEGACY_PGLITE_DIR = "postgres";
const POSTGRES_DIR = "pg";

async function stopOrphans(orphans: Array<{ name: string; pid: number }>): Promise<void> {
  for (const orphan of orphans) {
    say(`• Stopping the ${orphan.name} (pid ${orphan.pid}) left running by an earlier start that was killed`);
    try {
      process.kill(orphan.pid, "SIGTERM");
    } catch {
      continue;
    }
    for (let waited = 0; waited < 10_000; waited += 100) {
      try {
        process.kill(orphan.pid, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Files an older version created with the default umask: make them owner-only too. */
async function restrictExistingFiles(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir, { withFileTypes: true });
  await Promise.all(entries.filter((entry) => entry.isFile()).map((entry) => chmod(path.join(dataDir, entry.name), 0o600).catch(() => undefined)));
}

export async function launch(env: LauncherEnv): Promise<void> {
  await restrictDataDir(env.DATA_DIR);
  const lock = await acquireDataDirLock(env.DATA_DIR);
  await stopOrphans(lock.orphans);
  // Everything the children write from here on (DuckDB files, WAL, secrets) is readable by its owner only.
  process.umask(0o077);
  await restrictExistingFiles(env.DATA_DIR);

  const supervisor = new Supervisor({
    started: () => void lock.update(supervisor.pids()).catch(() => undefined),
    died: (name, why, restartInMs) => process.stderr.write(`prism: the ${name} ${why}; restarting it in ${Math.round(restartInMs / 1000)} s.\n`),
  });
  let embedded: EmbeddedPostgres | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await supervisor.stop();
    await embedded?.stop().catch(() => undefined);
    await lock.release();
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
  // npm does not pass SIGTERM on to the script's process, so when npm itself is ended (a process
  // manager, `kill <npm pid>`) we are re-parented: stop then too, instead of running on orphaned.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 1000).unref();

  try {
    await assertPortFree(env.HOST, env.PORT, "PORT");
    await assertPortFree("127.0.0.1", env.WORKER_PORT, "WORKER_PORT");
    if (env.WEB_APP_PORT !== undefined) await assertPortFree("127.0.0.1", env.WEB_APP_PORT, "WEB_APP_PORT");
    const webAppPort = env.WEB_APP_PORT ?? (await freeLoopbackPort());
    const secrets = await installationSecrets(env.DATA_DIR);

    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      if (existsSync(path.join(env.DATA_DIR, LEGACY_PGLITE_DIR)) && !existsSync(path.join(env.DATA_DIR, POSTGRES_DIR))) {
        say(
          `• Note: ${path.join(env.DATA_DIR, LEGACY_PGLITE_DIR)} holds the PGlite database of an earlier Prism, which is no longer used; ` +
            `Prism now keeps PostgreSQL 17 in ${path.join(env.DATA_DIR, POSTGRES_DIR)} and starts it fresh. Delete the old folder when you no longer need it.`,
        );
      }
      const dataDir = path.join(env.DATA_DIR, POSTGRES_DIR);
      const port = await freeLoopbackPort();
      const startDatabase = async (): Promise<EmbeddedPostgres> => {
        const server = await startEmbeddedPostgres({ dataDir, password: secrets.POSTGRES_PASSWORD, port });
        // Supervised like the other children: a database that dies on its own comes back on the same port.
        void server.exited.then(async (code) => {
          if (stopping) return;
          process.stderr.write(`prism: the embedded PostgreSQL exited with code ${code}; restarting it.\n`);
          for (let attempt = 1; !stopping; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, restartDelayMs(attempt)));
            if (stopping) return;
            try {
              embedded = await startDatabase();
              return;
            } catch (error) {
              process.stderr.write(`prism: ${error instanceof Error ? error.message : String(error)}\n`);
            }
          }
        });
        return server;
      };
      embedded = await startDatabase();
      databaseUrl = embedded.url;
      say(`• Embedded PostgreSQL 17 at 127.0.0.1:${port}, data in ${path.relative(ROOT, dataDir) || dataDir}`);
    }
    const applied = await migrateDatabase(databaseUrl);
    say(`• Database migrated (${applied.length} new migration${applied.length === 1 ? "" : "s"})`);

    const prisma = createPrismaClient(databaseUrl);
    const demo = await seedDemo(prisma).finally(() => prisma.$disconnect());
    if (demo) say(`• Created the demo user and project ${demo.projectId}`);

    const workerUrl = `http://127.0.0.1:${env.WORKER_PORT}`;
    const { POSTGRES_PASSWORD: _databasePassword, ...appSecrets } = secrets;
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...appSecrets,
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

    const webAppUrl = `http://127.0.0.1:${webAppPort}`;
    const worker = supervisor.start({
      name: "worker",
      command: process.execPath,
      args: ["--import", "tsx", path.join(ROOT, "workers", "main.ts")],
      // The worker owns the public port: ingest answered there, the rest forwarded to the web app.
      options: { cwd: ROOT, env: { ...childEnv, PUBLIC_HOST: env.HOST, PUBLIC_PORT: String(env.PORT), WEB_APP_URL: webAppUrl }, stdio: "inherit" },
    });
    await waitForHttp(`${workerUrl}/health`, worker, "The worker");
    say(`• Worker (role all) healthy at ${workerUrl}/health`);

    const web = supervisor.start({
      name: "web app",
      command: process.execPath,
      args: [nextBin, "start", "-p", String(webAppPort), "-H", "127.0.0.1"],
      options: { cwd: ROOT, env: { ...childEnv, NEXT_TELEMETRY_DISABLED: "1" }, stdio: ["ignore", "ignore", "inherit"] },
    });
    await waitForHttp(`${webAppUrl}/api/health`, web, "The web app");
    // Then once through the public port, so the forwarding is checked too.
    const appUrl = childEnv.NEXTAUTH_URL ?? "";
    await waitForHttp(`${appUrl}/api/health`, web, "The web app behind the public port");

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
    say(`  Ingest answered there by the worker; the web app (Next.js) behind it at ${webAppUrl}`);
    say(
      `  Worker health ${workerUrl}/health · Postgres ${env.DATABASE_URL ? "external" : "embedded"} · Kafka ${env.KAFKA_BROKERS ? env.KAFKA_BROKERS.join(",") : "embedded log"}`,
    );
    if (!env.SMTP_URL) say(`  No SMTP_URL: mail waits in the outbox (${appUrl}/admin/outbox), readable by the first account you sign up, the instance admin.`);
    say("  Press Ctrl+C to stop.");
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
