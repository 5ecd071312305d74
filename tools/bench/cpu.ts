import { readFileSync } from "node:fs";

/** Linux reports utime and stime in clock ticks of 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used; null where /proc cannot tell. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * The CPU time groups of processes spend between start() and stop(), e.g. each stage of the worker
 * benchmark during the drain. On a saturated machine this, not throughput, says where time goes:
 * it varies much less from run to run.
 */
export class CpuMeter {
  private readonly before = new Map<number, number>();

  constructor(private readonly groups: Record<string, () => Promise<number[]>>) {}

  async start(): Promise<void> {
    for (const pids of await Promise.all(Object.values(this.groups).map((pidsOf) => pidsOf()))) {
      for (const pid of pids) this.before.set(pid, cpuSecondsOf(pid) ?? 0);
    }
  }

  /** CPU seconds per group; a process that started in between counts from zero. */
  async stop(): Promise<Record<string, number | null>> {
    const spent: Record<string, number | null> = {};
    for (const [name, pidsOf] of Object.entries(this.groups)) {
      let total: number | null = null;
      for (const pid of await pidsOf()) {
        const now = cpuSecondsOf(pid);
        if (now !== null) total = (total ?? 0) + now - (this.before.get(pid) ?? 0);
      }
      spent[name] = total;
    }
    return spent;
  }
}
