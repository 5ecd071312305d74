import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restrictDataDir, runningPostmaster, startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "prism-embedded-pg-"));
  await restrictDataDir(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("the embedded PostgreSQL", () => {
  it("is a real PostgreSQL 17 that needs its password, keeps its data private, and keeps data across restarts", async () => {
    const dataDir = path.join(root, "pg");
    const first = await startEmbeddedPostgres({ dataDir, password: "first-password-1234" });
    try {
      expect(await query(first.url, "SHOW server_version")).toEqual([{ server_version: expect.stringMatching(/^17\./) }]);
      await query(first.url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");
      const wrong = first.url.replace("first-password-1234", "not-the-password");
      await expect(query(wrong, "SELECT 1")).rejects.toThrow(/password authentication failed/);
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    } finally {
      await first.stop();
    }
    expect(await runningPostmaster(dataDir)).toBeNull();

    const again = await startEmbeddedPostgres({ dataDir, password: "first-password-1234" });
    try {
      expect(await query(again.url, "SELECT id FROM kept")).toEqual([{ id: 42 }]);
    } finally {
      await again.stop();
    }
  });

  it("stops a server orphaned by a killed launcher before starting on the same folder", async () => {
    const dataDir = path.join(root, "orphaned");
    const orphan: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, password: "orphan-password-123" });
    const orphanPid = await runningPostmaster(dataDir);
    expect(orphanPid).not.toBeNull();
    // The launcher that started `orphan` is gone (as after SIGKILL); a new start takes over the folder.
    const next = await startEmbeddedPostgres({ dataDir, password: "orphan-password-123" });
    try {
      expect(await orphan.exited).not.toBeUndefined();
      expect(await runningPostmaster(dataDir)).not.toBe(orphanPid);
      expect(await query(next.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await next.stop();
    }
  });
});
