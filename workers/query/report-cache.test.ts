/**
 * The report cache through the query service over HTTP, on a real DuckDB with the real DDL: one
 * computation for 20 concurrent identical requests, answers kept until the data of their range
 * changes, live ranges kept for the documented staleness only, the refresh bypass, and the bounds.
 */
import type { Server } from "node:http";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { Registry } from "prom-client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/platform/logger";
import { rebuildEventCounts } from "../sink/rollups";
import { ensureAnalyticsSchema } from "../sink/schema";
import { closeServer, listen, Routes } from "../http-server";
import type { RefEvent } from "./reference";
import type { ReportCacheOptions } from "./report-cache";
import { createQueryService, type QueryRouter, type QueryService } from "./service";
import { insertEvents } from "./testing";

const SECRET = "report-cache-test-secret";
const CLOSED = { from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z" };

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
const servers: Server[] = [];

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  await connection.run(`INSERT INTO events SELECT 'p1', 'e' || i, ['a','b'][i % 2 + 1], 'u' || (i % 50), TIMESTAMPTZ '2024-03-05 00:00:00+00' + INTERVAL (i) MINUTE,
      now(), json_object('amount', i % 10), '{}', '{}', NULL, NULL, NULL, NULL FROM range(20000) t(i)`);
  await rebuildEventCounts(connection);
});
afterAll(async () => {
  for (const server of servers) await closeServer(server);
  connection.closeSync();
  duckdb.closeSync();
});

async function serve(cache: Partial<ReportCacheOptions> = {}) {
  const registry = new Registry();
  const service: QueryService = createQueryService({ duckdb, secret: SECRET, log: createLogger("report-cache-test", "silent"), metrics: registry, cache });
  const server = await listen(new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  servers.push(server);
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/query`;
  const client = createTRPCClient<QueryRouter>({
    links: [httpLink({ url, transformer: superjson, methodOverride: "POST", headers: () => ({ "x-internal-secret": SECRET }) })],
  });
  const count = async (kind: string, outcome: string) =>
    (await registry.getSingleMetric("report_query_total")!.get()).values.find((entry) => entry.labels.kind === kind && entry.labels.outcome === outcome)
      ?.value ?? 0;
  return { client, count, service };
}

const trend = (range: { from: string; to: string }, event = "a", fresh?: boolean) => ({
  projectId: "p1",
  timezone: "Europe/Berlin",
  definition: { range, interval: "day" as const, series: [{ event, filters: [] }], compare: true },
  ...(fresh === undefined ? {} : { fresh }),
});

const event = (id: string, iso: string): RefEvent => ({
  project_id: "p1",
  event_id: id,
  event_name: "a",
  profile_id: "u1",
  ts: Date.parse(iso),
  props: {},
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
});

describe("report cache", () => {
  it("runs one query for 20 concurrent identical requests, and answers the next ones from the cache", async () => {
    const { client, count } = await serve();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.report.trend.query(trend(CLOSED))));
    expect(await count("trend", "ok")).toBe(1);
    expect(await count("trend", "cached")).toBe(19);
    expect(new Set(answers.map(({ cached: _cached, ...answer }) => JSON.stringify(answer))).size).toBe(1);
    expect(answers.filter((answer) => !answer.cached)).toHaveLength(1);
    expect(answers[0]!.series[0]!.total).toBe(10_000);
    expect(Date.parse(answers[0]!.computedAt)).toBeGreaterThanOrEqual(started - 1000);

    // The same question asked differently (key order, defaults spelled out) is the same entry.
    const again = await client.report.trend.query({
      timezone: "Europe/Berlin",
      projectId: "p1",
      definition: {
        compare: true,
        compareTo: "previous",
        filters: [],
        series: [{ filters: [], event: "a", aggregation: { op: "count" } }],
        interval: "day",
        range: CLOSED,
      },
    });
    expect(again).toMatchObject({ cached: true, computedAt: answers[0]!.computedAt });
    expect(await count("trend", "ok")).toBe(1);
  });

  it("keeps an ended range until its data changes: a late event in the range invalidates it, one outside does not", async () => {
    const { client, count } = await serve();
    const first = await client.report.trend.query(trend(CLOSED, "b"));
    expect(first.cached).toBe(false);
    await insertEvents(connection, [{ ...event("late-outside", "2024-05-01T10:00:00Z"), event_name: "b" }]);
    expect((await client.report.trend.query(trend(CLOSED, "b"))).cached).toBe(true);
    await insertEvents(connection, [{ ...event("late-inside", "2024-03-20T10:00:00Z"), event_name: "b" }]);
    const after = await client.report.trend.query(trend(CLOSED, "b"));
    expect(after.cached).toBe(false);
    expect(after.series[0]!.total).toBe(first.series[0]!.total! + 1);
    expect(await count("trend", "ok")).toBe(2);
  });

  it("serves a range reaching the present for at most the configured staleness", async () => {
    const { client, count } = await serve({ liveStaleMs: 400 });
    const live = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() };
    const first = await client.report.trend.query(trend(live));
    await insertEvents(connection, [event("live-1", new Date().toISOString())]);
    const within = await client.report.trend.query(trend(live));
    expect(within).toMatchObject({ cached: true, computedAt: first.computedAt });
    expect(within.series[0]!.total).toBe(first.series[0]!.total);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const later = await client.report.trend.query(trend(live));
    expect(later.cached).toBe(false);
    expect(later.series[0]!.total).toBe(first.series[0]!.total! + 1);
    expect(Date.parse(later.computedAt)).toBeGreaterThan(Date.parse(first.computedAt));
    expect(await count("trend", "ok")).toBe(2);
  });

  it("computes again for fresh: true (the refresh button) and keeps that answer", async () => {
    const { client, count } = await serve();
    const first = await client.report.trend.query(trend(CLOSED));
    const refreshed = await client.report.trend.query(trend(CLOSED, "a", true));
    expect(refreshed.cached).toBe(false);
    expect(Date.parse(refreshed.computedAt)).toBeGreaterThanOrEqual(Date.parse(first.computedAt));
    expect(await client.report.trend.query(trend(CLOSED))).toMatchObject({ cached: true, computedAt: refreshed.computedAt });
    expect(await count("trend", "ok")).toBe(2);
  });

  it("stays within its entry and byte bounds, dropping the least recently used", async () => {
    const { client, service } = await serve({ maxEntries: 3 });
    const day = (n: number) => ({ from: `2024-03-${String(n).padStart(2, "0")}T00:00:00Z`, to: `2024-03-${String(n + 1).padStart(2, "0")}T00:00:00Z` });
    for (const n of [1, 2, 3])
      await client.report.segment.query({ projectId: "p1", definition: { range: day(n), event: null, filters: [], breakdown: "event_name" } });
    // Day 1 is used again, so day 2 is the least recently used when day 4 comes in.
    expect(
      (await client.report.segment.query({ projectId: "p1", definition: { range: day(1), event: null, filters: [], breakdown: "event_name" } })).cached,
    ).toBe(true);
    await client.report.segment.query({ projectId: "p1", definition: { range: day(4), event: null, filters: [], breakdown: "event_name" } });
    expect(service.reports.size.entries).toBe(3);
    expect(
      (await client.report.segment.query({ projectId: "p1", definition: { range: day(1), event: null, filters: [], breakdown: "event_name" } })).cached,
    ).toBe(true);
    expect(
      (await client.report.segment.query({ projectId: "p1", definition: { range: day(2), event: null, filters: [], breakdown: "event_name" } })).cached,
    ).toBe(false);

    const small = await serve({ maxBytes: 2000 });
    for (let n = 1; n <= 10; n++) await small.client.report.trend.query(trend(day(n)));
    const { entries, bytes } = small.service.reports.size;
    expect(bytes).toBeLessThanOrEqual(2000);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(10);
  });

  it("answers from the cache until a named cohort changes (its version), and keeps a report naming a dynamic cohort as live", async () => {
    const { client, count } = await serve({ liveStaleMs: 300 });
    const vips = { id: "c_vips", key: "vips", name: "VIPs", kind: "static" as const, definition: null, version: "1" };
    await client.cohorts.setStaticMembers.mutate({ projectId: "p1", cohortId: "c_vips", ids: ["u2", "u3"] });
    const segment = (cohort: typeof vips) => ({
      projectId: "p1",
      definition: { range: CLOSED, event: null, filters: [], breakdown: "event_name", cohortFilters: [{ cohortId: cohort.id, op: "in" as const }] },
      cohorts: [cohort],
    });
    const first = await client.report.segment.query(segment(vips));
    expect(first.total).toBe(800);
    expect((await client.report.segment.query(segment(vips))).cached).toBe(true);
    // The app bumps the version with the members: the cached answer is not served for the new list.
    await client.cohorts.setStaticMembers.mutate({ projectId: "p1", cohortId: "c_vips", ids: ["u3"] });
    const changed = await client.report.segment.query(segment({ ...vips, version: "2" }));
    expect(changed).toMatchObject({ cached: false, total: 400 });

    const buyers = {
      id: "c_buyers",
      key: "buyers",
      name: "Buyers",
      kind: "dynamic" as const,
      definition: {
        match: "all" as const,
        conditions: [{ kind: "behaviour" as const, event: "a", filters: [], comparison: "at_least" as const, count: 1, days: 30 }],
      },
      version: "1",
    };
    const query = { projectId: "p1", definition: { range: CLOSED, cohortBreakdown: [buyers.id] }, cohorts: [buyers] };
    const answer = await client.report.query.query(query);
    expect(answer.byCohort).toEqual([{ cohortId: "c_buyers", key: "buyers", name: "Buyers", result: expect.objectContaining({ columns: ["value"] }) }]);
    expect((await client.report.query.query(query)).cached).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await client.report.query.query(query)).cached).toBe(false);
    expect(await count("query", "ok")).toBe(2);
  });
});
