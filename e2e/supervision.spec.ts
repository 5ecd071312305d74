import { spawn } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { readDataDirLock } from "../tools/data-dir-lock";
import { testEnv } from "./helpers";

const WORKER_URL = `http://127.0.0.1:${process.env.E2E_WORKER_PORT ?? 4210}`;
const ROOT = path.resolve(import.meta.dirname, "..");

async function workerHealthy(): Promise<boolean> {
  return fetch(`${WORKER_URL}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (res) => res.ok,
    () => false,
  );
}

test("the launcher brings a killed worker back, and a second start on the same data folder refuses in one line", async ({ page }) => {
  test.setTimeout(120_000);
  const { dataDir } = await testEnv();
  const before = await readDataDirLock(dataDir);
  const workerPid = before?.children.worker?.pid;
  expect(workerPid, "the lock file names the supervised worker").toBeGreaterThan(0);
  expect(before?.children["web app"]?.pid).toBeGreaterThan(0);

  process.kill(workerPid ?? 0, "SIGKILL");
  await expect.poll(async () => (await readDataDirLock(dataDir))?.children.worker?.pid, { timeout: 30_000 }).not.toBe(workerPid);
  await expect.poll(workerHealthy, { timeout: 60_000 }).toBe(true);
  // The web app kept running and still reaches the worker's query service.
  await page.goto("/api/health");
  await expect(page.locator("body")).toContainText("ok");

  const second = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "tools", "launcher.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "3298", WORKER_PORT: "4298", PRISM_SKIP_BUILD: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  second.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  second.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => second.once("exit", resolve));
  expect(code).toBe(1);
  expect(output.trim()).toBe(
    `prism: Another Prism (pid ${before?.pid}, started ${before?.startedAt}) is already running on ${dataDir}; stop it first, or set DATA_DIR to another folder.`,
  );
  expect(await workerHealthy()).toBe(true);
});
