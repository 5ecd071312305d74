/**
 * The app's report, events, profiles and saved-report routers against a running query service
 * (real DuckDB) and real PostgreSQL: role checks, the project's time zone, and clear errors.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "~/platform/logger";
import { proxyExport } from "~/server/export-proxy";
import { setQueryServiceTarget } from "~/server/query-client";
import { createTestApp, type TestApp } from "~/testing/app";
import { closeServer, listen, Routes } from "../../../../workers/http-server";
import { createQueryService } from "../../../../workers/query/service";
import { insertEvents, insertProfiles } from "../../../../workers/query/testing";
import { ensureAnalyticsSchema } from "../../../../workers/sink/schema";
import type { SessionUser } from "~/server/api/trpc";

const SECRET = "app-router-test-secret-0123";
const RANGE = { from: "2024-03-09T00:00:00Z", to: "2024-03-12T00:00:00Z" };
let app: TestApp;
let duckdb: DuckDBInstance;
let server: Server;
let url: string;
let owner: SessionUser;
let projectId: string;

beforeAll(async () => {
  app = await createTestApp();
  duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("test", "silent") });
  server = await listen(
    new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler).add("POST", "/query-export", service.exportHandler),
    "127.0.0.1",
    0,
    () => undefined,
  );
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  setQueryServiceTarget({ url, secret: SECRET });

  const signedUp = await app.signUp("owner@example.com", "Owner");
  owner = signedUp.user;
  const project = await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Shop" });
  projectId = project.id;
  await app.db.project.update({ where: { id: projectId }, data: { timezone: "America/New_York" } });
  // 04:30 UTC on 10 March is still 9 March in New York.
  await insertEvents(
    connection,
    ["2024-03-10T04:30:00Z", "2024-03-10T15:00:00Z", "2024-03-11T15:00:00Z"].map((ts, index) => ({
      project_id: projectId,
      event_id: `e${index}`,
      event_name: "purchase",
      profile_id: "u1",
      ts: Date.parse(ts),
      props: { amount: 10 * (index + 1) },
      ctx: {},
      browser: null,
      os: null,
      device_type: null,
    })),
  );
  await insertProfiles(connection, new Map([[`${projectId}\u0000u1`, { plan: "pro" }]]));
  connection.closeSync();
});

afterAll(async () => {
  setQueryServiceTarget(null);
  if (server) await closeServer(server);
  duckdb?.closeSync();
  await app?.close();
});

describe("report routers", () => {
  it("buckets a trend in the project's time zone", async () => {
    const trend = await app.caller(owner).reports.trend({ projectId, definition: { range: RANGE, interval: "day", series: [{ event: "purchase" }] } });
    expect(trend.buckets).toEqual(["2024-03-08T00:00", "2024-03-09T00:00", "2024-03-10T00:00", "2024-03-11T00:00"]);
    expect(trend.series[0]!.values).toEqual([0, 1, 1, 1]);
  });

  it("pages events and reads profiles", async () => {
    const caller = app.caller(owner);
    const first = await caller.events.list({ projectId, limit: 2 });
    expect(first.items.map((item) => item.eventId)).toEqual(["e2", "e1"]);
    const second = await caller.events.list({ projectId, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((item) => item.eventId)).toEqual(["e0"]);
    expect(second.nextCursor).toBeNull();
    expect((await caller.profiles.get({ projectId, profileId: "u1" })).props).toEqual({ plan: "pro" });
    expect(await caller.reports.keyNumbers({ projectId })).toMatchObject({ eventsToday: 0 });
  });

  it("keeps saved reports in order and validates their definitions", async () => {
    const caller = app.caller(owner);
    const a = await caller.savedReports.create({ projectId, name: "A", spec: { kind: "query", definition: { range: RANGE } } });
    const b = await caller.savedReports.create({
      projectId,
      name: "B",
      spec: { kind: "segment", definition: { range: RANGE, event: null, breakdown: "props.plan" } },
    });
    await caller.savedReports.reorder({ projectId, reportIds: [b.id, a.id] });
    expect((await caller.savedReports.list({ projectId })).map((report) => report.name)).toEqual(["B", "A"]);
    await expect(
      caller.savedReports.create({ projectId, name: "bad", spec: { kind: "segment", definition: { range: RANGE, event: null, breakdown: "props.a'b" } } }),
    ).rejects.toThrow(/Unknown field/);
  });

  it("streams an export through the app after checking membership", async () => {
    const request = () => new Request("http://app/export", { method: "POST", body: JSON.stringify({ format: "csv", source: { kind: "events" } }) });
    const response = await proxyExport({ request: request(), projectId, userId: owner.id, db: app.db, target: { url, secret: SECRET } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-total-rows")).toBe("3");
    expect((await response.text()).split("\r\n")[0]).toBe("event_id,event_name,profile_id,ts,received_at,browser,os,device_type,props,ctx");
    const stranger = await app.signUp("stranger@example.com");
    const refused = await proxyExport({ request: request(), projectId, userId: stranger.user.id, db: app.db, target: { url, secret: SECRET } });
    expect(refused.status).toBe(404);
  });

  it("says clearly when the query service is not reachable", async () => {
    setQueryServiceTarget({ url: "http://127.0.0.1:9", secret: SECRET });
    try {
      await expect(app.caller(owner).events.list({ projectId })).rejects.toMatchObject({
        code: "SERVICE_UNAVAILABLE",
        message: expect.stringMatching(/not reachable/),
      });
    } finally {
      setQueryServiceTarget({ url, secret: SECRET });
    }
  });
});
