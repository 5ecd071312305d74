/**
 * One `npm start` per data folder: two launchers on one DATA_DIR would run two PostgreSQL
 * clusters and two DuckDB writers over the same files. The lock file names the holder (pid and
 * process start time, so a recycled pid is not mistaken for a live holder) and the children it
 * supervises, which is also how tools and tests find the worker's pid.
 */
import { readFileSync } from "node:fs";
import { open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../src/platform/config-parse";

export const LOCK_FILE = "prism.lock";

const lockSchema = z.object({
  pid: z.number().int().positive(),
  startTicks: z.string().nullable(),
  startedAt: z.string(),
  children: z.record(z.string(), z.object({ pid: z.number().int().positive(), startTicks: z.string().nullable() })),
});
export type DataDirLockState = z.infer<typeof lockSchema>;

/** The process's start time in clock ticks since boot (Linux), or null where /proc is missing. */
function startTicksOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command name (field 2) may contain spaces, so count from its closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(proc: { pid: number; startTicks: string | null }): boolean {
  try {
    process.kill(proc.pid, 0);
  } catch {
    return false;
  }
  return proc.startTicks === null || startTicksOf(proc.pid) === proc.startTicks;
}

export async function readDataDirLock(dataDir: string): Promise<DataDirLockState | null> {
  const text = await readFile(path.join(dataDir, LOCK_FILE), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface DataDirLock {
  /** Records the supervised children's pids in the lock file. */
  update(children: Record<string, number>): Promise<void>;
  release(): Promise<void>;
  /** Children of a launcher that was killed without stopping them, still running; stop them before starting new ones. */
  orphans: Array<{ name: string; pid: number }>;
}

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const state: DataDirLockState = { pid: process.pid, startTicks: startTicksOf(process.pid), startedAt: new Date().toISOString(), children: {} };
  const orphans: DataDirLock["orphans"] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(JSON.stringify(state));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const holder = await readDataDirLock(dataDir);
      if (holder && isAlive(holder)) {
        throw new ConfigError(
          `Another Prism (pid ${holder.pid}, started ${holder.startedAt}) is already running on ${dataDir}; stop it first, or set DATA_DIR to another folder.`,
        );
      }
      // A stale lock from a run that was killed: its children may still hold ports and files.
      for (const [name, child] of Object.entries(holder?.children ?? {})) if (isAlive(child)) orphans.push({ name, pid: child.pid });
      await unlink(file).catch(() => undefined);
    }
  }
  return {
    orphans,
    async update(children) {
      state.children = Object.fromEntries(Object.entries(children).map(([name, pid]) => [name, { pid, startTicks: startTicksOf(pid) }]));
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
      await rename(temp, file);
    },
    async release() {
      const holder = await readDataDirLock(dataDir);
      if (holder?.pid === process.pid) await unlink(file).catch(() => undefined);
    },
  };
}
