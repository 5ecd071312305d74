import { describe, expect, it } from "vitest";
import { describeExit, restartDelayMs, RESTART_MAX_MS, Supervisor } from "./supervisor";

const waitFor = async (predicate: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("restart backoff", () => {
  it("doubles from one second and stops growing at the maximum", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(restartDelayMs(1000)).toBe(RESTART_MAX_MS);
  });

  it("says how a child died", () => {
    expect(describeExit(null, "SIGKILL")).toBe("killed by SIGKILL");
    expect(describeExit(3, null)).toBe("exited with code 3");
  });
});

describe("Supervisor", () => {
  it("starts a killed child again, logs why it died, and stops every child on stop()", async () => {
    const started: number[] = [];
    const deaths: string[] = [];
    const supervisor = new Supervisor({ started: (_name, pid) => started.push(pid), died: (name, why) => deaths.push(`${name}: ${why}`) });
    supervisor.start({ name: "sleeper", command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"], options: { stdio: "ignore" } });
    await waitFor(() => started.length === 1);
    process.kill(started[0] ?? 0, "SIGKILL");
    await waitFor(() => started.length === 2);
    expect(deaths).toEqual(["sleeper: killed by SIGKILL"]);
    expect(started[1]).not.toBe(started[0]);
    expect(supervisor.pids()).toEqual({ sleeper: started[1] });

    await supervisor.stop();
    expect(supervisor.pids()).toEqual({});
    expect(() => process.kill(started[1] ?? 0, 0)).toThrow();
    expect(started).toHaveLength(2);
  });

  it("ends a child that ignores SIGTERM with SIGKILL after the grace period", async () => {
    const started: number[] = [];
    const supervisor = new Supervisor({ started: (_name, pid) => started.push(pid), died: () => undefined });
    supervisor.start({
      name: "stubborn",
      command: process.execPath,
      args: ["-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
      options: { stdio: ["ignore", "pipe", "ignore"] },
    });
    await waitFor(() => started.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const began = Date.now();
    await supervisor.stop(500);
    expect(Date.now() - began).toBeGreaterThanOrEqual(450);
    expect(() => process.kill(started[0] ?? 0, 0)).toThrow();
  });
});
