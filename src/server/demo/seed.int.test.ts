/**
 * The demo a newcomer meets after `npm start`: the seed's dashboard, tracking plan and triggers on
 * real PostgreSQL, run over the sample data in a real DuckDB, as the dashboard page runs them.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateEvent } from "~/core/ingest/validate";
import { createLogger } from "~/platform/logger";
import { setQueryServiceTarget } from "~/server/query-client";
import { resolveProjectPlan } from "~/platform/resolve-key";
import type { SessionUser } from "~/server/api/trpc";
import { createTestApp, type TestApp } from "~/testing/app";
import { closeServer, listen, Routes } from "../../../workers/http-server";
import { createQueryService } from "../../../workers/query/service";
import { insertEvents } from "../../../workers/query/testing";
import { ensureAnalyticsSchema } from "../../../workers/sink/schema";
import { generateSampleData } from "./sample-events";
import { DEMO_LOGIN, seedDemo } from "./seed";

const SECRET = "demo-seed-test-secret-0123";
const NOW = Date.parse("2026-12-06T15:30:00Z");
let app: TestApp;
let duckdb: DuckDBInstance;
let server: Server;
let projectId: string;
let demoUser: SessionUser;
const sample = generateSampleData({ now: NOW });

beforeAll(async () => {
  app = await createTestApp();
  const seeded = await seedDemo(app.db, { now: NOW });
  projectId = seeded!.projectId;
  const user = await app.db.user.findUniqueOrThrow({ where: { email: DEMO_LOGIN.email }, select: { id: true, email: true, name: true } });
  demoUser = user;

  duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  await insertEvents(
    connection,
    sample.events.map((event) => ({
      project_id: projectId,
      event_id: event.event_id,
      event_name: event.event_name,
      profile_id: event.profile_id,
      ts: event.cts,
      props: event.props,
      ctx: event.ctx,
      browser: null,
      os: event.ctx.os,
      device_type: event.ctx.device_type,
    })),
  );
  connection.closeSync();
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("test", "silent") });
  server = await listen(new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  const address = server.address();
  setQueryServiceTarget({ url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, secret: SECRET });
}, 120_000);

afterAll(async () => {
  if (server) await closeServer(server);
  duckdb?.closeSync();
  await app?.close();
});

describe("the demo seed", () => {
  it("seeds once: a second start on the same database creates nothing", async () => {
    expect(await seedDemo(app.db, { now: NOW })).toBeNull();
    expect(await app.db.project.count()).toBe(1);
  });

  it("pins a dashboard of key numbers, a trend against the previous period, the shop funnel, a segment and retention, all showing data", async () => {
    const caller = app.caller(demoUser);
    const reports = await caller.savedReports.list({ projectId });
    const pinned = reports.filter((report) => report.onDashboard);
    expect(pinned.length).toBeGreaterThanOrEqual(4);
    expect(pinned.length).toBeLessThanOrEqual(6);
    expect(new Set(pinned.map((report) => report.spec?.kind))).toEqual(new Set(["query", "trend", "funnel", "segment", "retention"]));

    for (const report of pinned) {
      const spec = report.spec!;
      switch (spec.kind) {
        case "trend": {
          expect(spec.definition.compare).toBe(true);
          const result = await caller.reports.trend({ projectId, definition: spec.definition });
          const series = result.series[0]!;
          expect(series.values.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBeGreaterThan(0);
          expect(series.previous!.values.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBeGreaterThan(0);
          break;
        }
        case "funnel": {
          const result = await caller.reports.funnel({ projectId, definition: spec.definition });
          expect(result.steps.map((step) => step.label)).toEqual(["Visit", "Cart", "Checkout", "Purchase"]);
          for (const step of result.steps) expect(step.count).toBeGreaterThan(0);
          break;
        }
        case "segment": {
          const result = await caller.reports.segment({ projectId, definition: spec.definition });
          expect(result.rows.length).toBeGreaterThan(1);
          break;
        }
        case "retention": {
          const result = await caller.reports.retention({ projectId, definition: spec.definition });
          expect(result.cohorts.some((cohort) => cohort.size > 0 && (cohort.counts[1] ?? 0) > 0)).toBe(true);
          break;
        }
        case "query": {
          const result = await caller.reports.query({ projectId, definition: spec.definition });
          expect(result.rows.map((row) => row.groups[0])).toEqual(expect.arrayContaining(["page_view", "login", "purchase"]));
          break;
        }
      }
    }
  });

  it("has a tracking plan, observed, that every sample event meets without a violation", async () => {
    const plan = (await resolveProjectPlan(app.db, projectId))!;
    expect(plan.project.planEnforcement).toBe("observe");
    expect(plan.eventTypes.map((type) => type.name).sort()).toEqual([...new Set(sample.events.map((event) => event.event_name))].sort());
    const offPlan = sample.events
      .map((event) => ({
        event,
        verdict: validateEvent(
          {
            type: "event",
            event_id: event.event_id,
            project_id: projectId,
            event_name: event.event_name,
            cts: event.cts,
            sts: NOW,
            profile_id: event.profile_id,
            props: event.props,
            ctx: event.ctx,
          },
          plan,
        ),
      }))
      .filter(({ verdict }) => verdict.violations.length > 0);
    expect(offPlan.slice(0, 3)).toEqual([]);
  });

  it("has a cohort to filter by and an alert on its active-users trend that the worker can judge", async () => {
    const caller = app.caller(demoUser);
    const cohorts = await caller.cohorts.list({ projectId });
    expect(cohorts.map((cohort) => cohort.key)).toEqual(["repeat_buyers"]);
    const [alert] = await caller.alerts.list({ projectId });
    expect(alert?.name).toBe("Active users out of their usual range");
    const evaluation = await caller.alerts.evaluate({ projectId, target: { kind: "saved", alertId: alert!.id } });
    expect(["ok", "firing", "no_data"]).toContain(evaluation.state);
  });

  it("has triggers whose rules check against the tracking plan", async () => {
    const triggers = await app.caller(demoUser).triggers.list({ projectId });
    expect(triggers.map((trigger) => trigger.name)).toEqual(expect.arrayContaining(["Big purchase", "First login", "VIP in the summer sale"]));
    for (const trigger of triggers) expect(trigger.ruleProblems).toEqual([]);
  });
});
