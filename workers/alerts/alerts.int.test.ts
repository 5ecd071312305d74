/**
 * Metric alerts end to end on real PostgreSQL and DuckDB, the worker on its embedded log: a saved
 * daily trend over stored events, an anomaly alert and a threshold alert, scheduler ticks at fixed
 * clocks. State rows per period with the report's own numbers, no second row for a period, missed
 * periods caught up, and a transition to firing runs the alert's actions through the action
 * runner: an in-app notification, a signed webhook delivery, a tag on the named profile.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newWebhookEndpointId, newWebhookSecret } from "../../src/core/webhooks";
import type { SessionUser } from "../../src/server/api/trpc";
import { setQueryServiceTarget } from "../../src/server/query-client";
import { createTestApp, type TestApp } from "../../src/testing/app";
import { until } from "../../src/testing/until";
import { startReceiver, type TestReceiver } from "../actions/webhook-testing";
import { workerEnv } from "../env";
import { startWorker, type RunningWorker } from "../main";
import { createLogger } from "../../src/platform/logger";
import { QueryRunner, DEFAULT_QUERY_LIMITS } from "../query/runner";
import type { RefEvent } from "../query/reference";
import { insertEvents } from "../query/testing";
import { ensureAnalyticsSchema } from "../sink/schema";
import { runAlertTick, type AlertSchedulerOptions } from "./scheduler";

const DAY = 86_400_000;
const day0 = Math.floor(Date.now() / DAY) * DAY - 25 * DAY;
const dayLabel = (n: number) => new Date(day0 + n * DAY).toISOString().slice(0, 16);
/** Purchases per day: about ten, with spikes on days 14 and 17. */
const countOn = (n: number) => (n === 14 ? 60 : n === 17 ? 70 : 10 + (n % 3));

describe("metric alerts", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker;
  let receiver: TestReceiver;
  let owner: SessionUser;
  let projectId: string;
  let reportId: string;
  let anomalyId: string;
  let thresholdId: string;
  let tick: (now: number) => ReturnType<typeof runAlertTick>;
  const definition = {
    range: { from: new Date(day0).toISOString(), to: new Date(day0 + 21 * DAY).toISOString() },
    interval: "day" as const,
    series: [{ event: "purchase" }],
  };

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-alerts-"));
    receiver = await startReceiver();
    worker = await startWorker(
      workerEnv({
        DATABASE_URL: app.url,
        DUCKDB_PATH: path.join(dir, "prism.duckdb"),
        WORKER_PORT: "0",
        CONSUMER_GROUP_PREFIX: `alerts-${Date.now()}`,
        WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
        LOG_LEVEL: "warn",
      }),
    );
    setQueryServiceTarget({ url: `http://127.0.0.1:${worker.port}`, secret: workerEnv({ DATABASE_URL: app.url }).INTERNAL_SECRET });
    const runner = new QueryRunner(worker.duckdb!, DEFAULT_QUERY_LIMITS);
    const opts: Omit<AlertSchedulerOptions, "now"> = {
      db: app.db,
      run: (query) => runner.all(query),
      produce: (records) => worker.bus.produce(records),
      log: createLogger("alerts-test", "silent"),
    };
    tick = (now) => runAlertTick({ ...opts, now: () => now });

    const signedUp = await app.signUp("owner@example.com", "Owner");
    owner = signedUp.user;
    const caller = app.caller(owner);
    projectId = (await caller.projects.create({ orgId: signedUp.orgId, name: "Shop" })).id;
    const events: RefEvent[] = [];
    for (let n = 0; n < 21; n++) {
      for (let i = 0; i < countOn(n); i++) {
        events.push({
          project_id: projectId,
          event_id: `p-${n}-${i}`,
          event_name: "purchase",
          profile_id: `u${i}`,
          ts: day0 + n * DAY + 3_600_000 + i * 60_000,
          props: { amount: 10 },
          ctx: {},
          browser: null,
          os: null,
          device_type: null,
        });
      }
    }
    const connection = await worker.duckdb!.connect();
    await ensureAnalyticsSchema(connection); // the sink makes its tables on its first write
    await insertEvents(connection, events);
    connection.closeSync();

    const endpoint = await app.db.webhookEndpoint.create({
      data: { id: newWebhookEndpointId(), projectId, url: receiver.url("/hooks/alerts"), secret: newWebhookSecret() },
    });
    reportId = (await caller.savedReports.create({ projectId, name: "Purchases", spec: { kind: "trend", definition } })).id;
    anomalyId = (
      await caller.alerts.create({
        projectId,
        alert: {
          name: "Purchases unusual",
          reportId,
          config: { condition: "anomaly", k: 3, window: 7 },
          actions: [
            { type: "notification", title: "Purchases unusual", body: "" },
            { type: "webhook", endpointId: endpoint.id },
            { type: "tag_profile", tag: "on-call", profileId: "ops-team" },
          ],
        },
      })
    ).id;
    thresholdId = (await caller.alerts.create({ projectId, alert: { name: "Over 50", reportId, config: { condition: "above", threshold: 50 } } })).id;
  }, 60_000);

  afterAll(async () => {
    setQueryServiceTarget(null);
    await worker?.stop();
    await receiver?.close();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const history = async (alertId: string) => (await app.caller(owner).alerts.history({ projectId, alertId, limit: 200 })).items;

  it("judges the latest complete period of a new alert with the report's number, and fires its actions once", async () => {
    const summary = await tick(day0 + 15 * DAY + 10 * 60_000);
    expect(summary).toMatchObject({ failed: 0 });

    const [anomaly] = await history(anomalyId);
    expect(anomaly).toMatchObject({ periodLabel: dayLabel(14), state: "firing", value: 60, median: 11, mad: 1 });
    expect(anomaly!.firingId).toMatch(/^alf_/);
    const [threshold] = await history(thresholdId);
    expect(threshold).toMatchObject({ periodLabel: dayLabel(14), state: "firing", value: 60, median: null, firingId: expect.any(String) });

    // The value is the saved report's for that day.
    const report = await app.caller(owner).reports.trend({ projectId, definition, fresh: true });
    expect(report.series[0]!.values[report.buckets.indexOf(dayLabel(14))]).toBe(60);

    const notification = await until("the alert's notification", () => app.db.notification.findFirst({ where: { projectId, title: "Purchases unusual" } }));
    expect(notification.body).toContain(dayLabel(14));
    const delivered = await until("the alert's webhook", async () => receiver.received.find((request) => request.url === "/hooks/alerts"));
    expect(JSON.parse(delivered.body)).toMatchObject({
      type: "alert.fired",
      alert: { id: anomalyId, name: "Purchases unusual", condition: "anomaly", k: 3, window: 7, interval: "day" },
      period: { label: dayLabel(14) },
      value: 60,
      median: 11,
      mad: 1,
    });
    const tagged = await until("the tag on ops-team", async () => {
      const state = await app.db.profileState.findUnique({ where: { projectId_profileId: { projectId, profileId: "ops-team" } } });
      return state && JSON.stringify(state.props).includes("on-call") ? state : null;
    });
    expect(tagged.profileId).toBe("ops-team");

    const alerts = await app.caller(owner).alerts.list({ projectId, reportId });
    expect(alerts.map((alert) => [alert.name, alert.state])).toEqual([
      ["Purchases unusual", "firing"],
      ["Over 50", "firing"],
    ]);
  });

  it("writes nothing twice for a period already judged", async () => {
    const summary = await tick(day0 + 15 * DAY + 20 * 60_000);
    expect(summary).toMatchObject({ periods: 0, firings: 0, failed: 0 });
    expect(await app.db.metricAlertState.count({ where: { alertId: anomalyId } })).toBe(1);
  });

  it("catches up missed periods in order, firing again only on the way back into firing", async () => {
    const summary = await tick(day0 + 18 * DAY + 10 * 60_000);
    expect(summary).toMatchObject({ periods: 6, failed: 0 });
    const rows = (await history(anomalyId)).map((row) => [row.periodLabel, row.state, row.value, row.firingId === null ? "" : "fired"]);
    expect(rows).toEqual([
      [dayLabel(17), "firing", 70, "fired"],
      [dayLabel(16), "ok", 11, ""],
      [dayLabel(15), "ok", 10, ""],
      [dayLabel(14), "firing", 60, "fired"],
    ]);
    await until("the second notification", async () => (await app.db.notification.count({ where: { projectId, title: "Purchases unusual" } })) === 2);
    await until("the second webhook", async () => receiver.received.filter((request) => request.url === "/hooks/alerts").length === 2);
    expect((await app.caller(owner).alerts.get({ projectId, alertId: anomalyId })).lastEvaluatedPeriod?.toISOString()).toBe(
      new Date(day0 + 17 * DAY).toISOString(),
    );
  });

  it("pages the history newest first", async () => {
    const first = await app.caller(owner).alerts.history({ projectId, alertId: anomalyId, limit: 3 });
    expect(first.items.map((row) => row.periodLabel)).toEqual([dayLabel(17), dayLabel(16), dayLabel(15)]);
    const second = await app.caller(owner).alerts.history({ projectId, alertId: anomalyId, limit: 3, cursor: first.nextCursor });
    expect(second.items.map((row) => row.periodLabel)).toEqual([dayLabel(14)]);
    expect(second.nextCursor).toBeNull();
  });

  it("evaluates a draft now over the query service without writing", async () => {
    const before = await app.db.metricAlertState.count();
    const result = await app.caller(owner).alerts.evaluate({ projectId, target: { kind: "draft", reportId, config: { condition: "below", threshold: 1 } } });
    // Yesterday (UTC) had no purchases: 0 is below 1.
    expect(result).toMatchObject({ periodLabel: new Date(Math.floor(Date.now() / DAY) * DAY - DAY).toISOString().slice(0, 16), value: 0, state: "firing" });
    expect(await app.db.metricAlertState.count()).toBe(before);
  });

  it("refuses alerts on reports that are not trends, missing series and profile actions without a profile", async () => {
    const caller = app.caller(owner);
    const query = await caller.savedReports.create({ projectId, name: "Q", spec: { kind: "query", definition: { range: definition.range } } });
    await expect(caller.alerts.create({ projectId, alert: { name: "x", reportId: query.id, config: { condition: "anomaly" } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(caller.alerts.create({ projectId, alert: { name: "x", reportId, seriesIndex: 3, config: { condition: "anomaly" } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("no series 4"),
    });
    await expect(
      caller.alerts.create({
        projectId,
        alert: { name: "x", reportId, config: { condition: "anomaly" }, actions: [{ type: "tag_profile", tag: "t" } as never] },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
