/**
 * The reporting metrics through the query service over HTTP, on a real DuckDB with the real DDL:
 * a report moves report_query_total and report_query_duration_seconds under its kind and outcome,
 * and duckdb_connection_pool_active counts the connections a running report holds.
 */
import type { Server } from "node:http";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { Registry } from "prom-client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/platform/logger";
import { until } from "../../src/testing/until";
import { rebuildEventCounts } from "../sink/rollups";
import { ensureAnalyticsSchema } from "../sink/schema";
import { closeServer, listen, Routes } from "../http-server";
import { createQueryService, type QueryRouter } from "./service";

const SECRET = "report-metrics-test-secret";
const RANGE = { from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z" };

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
let server: Server;
let registry: Registry;
let client: ReturnType<typeof createTRPCClient<QueryRouter>>;

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  await connection.run(`INSERT INTO events SELECT 'p1', 'e' || i, ['a','b','c'][i % 3 + 1], 'u' || (i % 5000), TIMESTAMPTZ '2024-03-05 00:00:00+00' + INTERVAL (i) SECOND,
      now(), json_object('amount', i % 100), '{}', '{}', NULL, NULL, NULL, NULL FROM range(300000) t(i)`);
  await rebuildEventCounts(connection);
  registry = new Registry();
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("report-metrics-test", "silent"), metrics: registry });
  server = await listen(new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/query`;
  client = createTRPCClient<QueryRouter>({
    links: [httpLink({ url, transformer: superjson, methodOverride: "POST", headers: () => ({ "x-internal-secret": SECRET }) })],
  });
});
afterAll(async () => {
  await closeServer(server);
  connection.closeSync();
  duckdb.closeSync();
});

async function value(name: string, labels: Record<string, string> = {}, suffix = ""): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  const sample = metric.values.find(
    (entry) =>
      (suffix === "" || (entry as { metricName?: string }).metricName === `${name}${suffix}`) &&
      Object.entries(labels).every(([key, v]) => entry.labels[key] === v),
  );
  return sample?.value ?? 0;
}

describe("reporting metrics", () => {
  it("counts and times a report by kind and outcome", async () => {
    const result = await client.report.trend.query({
      projectId: "p1",
      timezone: "Europe/Berlin",
      definition: { range: RANGE, interval: "day", series: [{ event: "a", filters: [] }] },
    });
    expect(result.series[0]!.total).toBe(100_000);
    expect(await value("report_query_total", { kind: "trend", outcome: "ok" })).toBe(1);
    expect(await value("report_query_duration_seconds", { kind: "trend", outcome: "ok" }, "_count")).toBe(1);
    expect(await value("report_query_duration_seconds", { kind: "trend", outcome: "ok" }, "_sum")).toBeGreaterThan(0);

    // Too many buckets: refused before anything runs, counted as invalid.
    await expect(
      client.report.trend.query({ projectId: "p1", timezone: "UTC", definition: { range: RANGE, interval: "minute", series: [{ event: null, filters: [] }] } }),
    ).rejects.toThrow(/buckets/);
    expect(await value("report_query_total", { kind: "trend", outcome: "invalid" })).toBe(1);
    expect(await value("report_query_total", { kind: "trend", outcome: "ok" })).toBe(1);
  });

  it("shows the DuckDB connections a running report holds, and none once it is done", async () => {
    expect(await value("duckdb_connection_pool_active")).toBe(0);
    const running = client.report.query.query({
      projectId: "p1",
      definition: { range: RANGE, groupBy: ["props.amount", "profile_id"], aggregation: { op: "p99", field: "props.amount" }, limit: 1000 },
    });
    let peak = 0;
    await until(
      "a DuckDB connection in use",
      async () => {
        peak = Math.max(peak, await value("duckdb_connection_pool_active"));
        return peak > 0;
      },
      10_000,
      2,
    );
    await running;
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(await value("duckdb_connection_pool_active")).toBe(0);
    expect(await value("report_query_total", { kind: "query", outcome: "ok" })).toBe(1);
  });
});
