/**
 * Keeps `npm start`'s children running: a child that exits on its own is started again after a
 * pause that doubles with each quick failure (1 s → 30 s) and resets once it has stayed up for a
 * minute. Every death is logged with its exit code or signal. `stop()` ends every child and
 * resolves once all have exited, however they die.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface SupervisedSpec {
  name: string;
  command: string;
  args: string[];
  options: SpawnOptions;
}

export interface SupervisorEvents {
  /** A child started (first time or again); its pid. */
  started(name: string, pid: number): void;
  /** A child died on its own; `restartInMs` is when it comes back. */
  died(name: string, why: string, restartInMs: number): void;
}

export const RESTART_BASE_MS = 1_000;
export const RESTART_MAX_MS = 30_000;
/** Up this long, a child's next failure starts the backoff from the beginning again. */
export const STABLE_AFTER_MS = 60_000;

/** The pause before restart number `failures` (1-based) of a child that keeps failing quickly. */
export function restartDelayMs(failures: number): number {
  return Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.max(0, failures - 1));
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

interface Entry {
  spec: SupervisedSpec;
  child: ChildProcess | null;
  failures: number;
  startedAt: number;
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private stopping = false;

  constructor(private readonly events: SupervisorEvents) {}

  /** Starts a child under supervision and returns the first process (for start-up checks). */
  start(spec: SupervisedSpec): ChildProcess {
    const entry: Entry = { spec, child: null, failures: 0, startedAt: 0, timer: null };
    this.entries.set(spec.name, entry);
    return this.launch(entry);
  }

  pids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const [name, entry] of this.entries)
      if (entry.child?.pid && entry.child.exitCode === null && entry.child.signalCode === null) pids[name] = entry.child.pid;
    return pids;
  }

  private launch(entry: Entry): ChildProcess {
    const child = spawn(entry.spec.command, entry.spec.args, entry.spec.options);
    entry.child = child;
    entry.startedAt = Date.now();
    if (child.pid) this.events.started(entry.spec.name, child.pid);
    child.once("error", () => undefined); // 'exit' follows and is handled there
    child.once("exit", (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - entry.startedAt >= STABLE_AFTER_MS) entry.failures = 0;
      entry.failures += 1;
      const delay = restartDelayMs(entry.failures);
      this.events.died(entry.spec.name, describeExit(code, signal), delay);
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (!this.stopping) this.launch(entry);
      }, delay);
    });
    return child;
  }

  /** Ends every child (SIGTERM, then SIGKILL after `graceMs`) and waits for all of them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.entries.values()].reverse().map(async (entry) => {
        if (entry.timer) clearTimeout(entry.timer);
        const child = entry.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(force);
      }),
    );
  }
}
