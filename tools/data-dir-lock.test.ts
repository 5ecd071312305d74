import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../src/platform/config-parse";
import { acquireDataDirLock, LOCK_FILE, readDataDirLock } from "./data-dir-lock";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "prism-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

describe("the data folder lock", () => {
  it("refuses a second holder with one line naming the first, and frees the folder on release", async () => {
    const first = await acquireDataDirLock(dir);
    const refusal = await acquireDataDirLock(dir).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toMatch(new RegExp(`^Another Prism \\(pid ${process.pid}, started .*\\) is already running on ${dir};`));
    expect((refusal as Error).message).not.toContain("\n");
    expect((await stat(path.join(dir, LOCK_FILE))).mode & 0o777).toBe(0o600);

    await first.release();
    const second = await acquireDataDirLock(dir);
    await second.release();
  });

  it("takes over the lock of a launcher that was killed, and lists its children still running", async () => {
    const sleeper = spawnSync(
      process.execPath,
      [
        "-e",
        "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { detached: true, stdio: 'ignore' }); c.unref(); console.log(c.pid)",
      ],
      {
        encoding: "utf8",
      },
    );
    const orphanPid = Number(sleeper.stdout.trim());
    try {
      await writeFile(
        path.join(dir, LOCK_FILE),
        JSON.stringify({
          pid: deadPid(),
          startTicks: null,
          startedAt: "2026-01-01T00:00:00Z",
          children: { worker: { pid: orphanPid, startTicks: null }, web: { pid: deadPid(), startTicks: null } },
        }),
      );
      const lock = await acquireDataDirLock(dir);
      expect(lock.orphans).toEqual([{ name: "worker", pid: orphanPid }]);
      await lock.update({ worker: process.pid });
      expect((await readDataDirLock(dir))?.children.worker?.pid).toBe(process.pid);
      expect(JSON.parse(await readFile(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
      await lock.release();
      expect(await readDataDirLock(dir)).toBeNull();
    } finally {
      process.kill(orphanPid, "SIGKILL");
    }
  });

  it("does not mistake a recycled pid for the holder: the process start time must match too", async () => {
    // The parent process is alive, but it did not start at the recorded time: the lock is stale.
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, startTicks: "1", startedAt: "2026-01-01T00:00:00Z", children: {} }));
    const lock = await acquireDataDirLock(dir);
    await lock.release();
  });
});
