/**
 * The processor's cohort member source over HTTP (role `processor`, whose sink runs elsewhere)
 * against a real query service on real DuckDB: every id naming a member, merged ids included, and
 * a refusal without the internal secret.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedCohort } from "../../src/core/cohorts";
import { createLogger } from "../../src/platform/logger";
import { closeServer, listen, Routes } from "../http-server";
import { createQueryService } from "../query/service";
import { ensureAnalyticsSchema } from "../sink/schema";
import { CohortCache, remoteMemberSource } from "./cohort-cache";

const SECRET = "cohort-cache-test-secret-0123456";
const log = createLogger("cohort-cache-int-test", "silent");
const VIP: ResolvedCohort = { id: "cohort-vip", key: "vip", name: "VIPs", kind: "static", definition: null, version: "1" };
let duckdb: DuckDBInstance;
let server: Server;
let url: string;

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  for (const [project, id] of [
    ["p1", "alice"],
    ["p1", "bob"],
    ["p2", "carol"],
  ]) {
    await connection.run("INSERT INTO cohort_members VALUES ($1, 'cohort-vip', $2, now())", [project!, id!]);
  }
  // anon-7 became alice: it names a member too.
  await connection.run("INSERT INTO person_overrides VALUES ('p1', 'anon-7', 'alice', now())");
  connection.closeSync();
  const service = createQueryService({ duckdb, secret: SECRET, log });
  server = await listen(new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  if (server) await closeServer(server);
  duckdb?.closeSync();
});

describe("remoteMemberSource", () => {
  it("loads every id naming a member of the project's cohort, merged ids included", async () => {
    const source = remoteMemberSource(url, SECRET);
    expect((await source("p1", VIP)).sort()).toEqual(["alice", "anon-7", "bob"]);
    expect(await source("p2", VIP)).toEqual(["carol"]);
  });

  it("is refused without the internal secret, and the cache then knows no members", async () => {
    await expect(remoteMemberSource(url, "not-the-secret-0123456789abcdef")("p1", VIP)).rejects.toThrow();
    const cache = new CohortCache(remoteMemberSource(url, "not-the-secret-0123456789abcdef"), log);
    cache.want([{ projectId: "p1", cohort: VIP }]);
    await cache.refresh();
    expect(cache.view("p1").members("vip")).toBeNull();
  });
});
