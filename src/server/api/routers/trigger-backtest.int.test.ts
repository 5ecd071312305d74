/**
 * The triggers `backtest` procedure against a running query service (real DuckDB) and real
 * PostgreSQL: counts over seeded events with cooldowns, merged identities and profile props at
 * event time, the day range, paging by whole persons, and tenant scope.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "~/platform/logger";
import { queryClient, setQueryServiceTarget } from "~/server/query-client";
import { createTestApp, type TestApp } from "~/testing/app";
import type { SessionUser } from "~/server/api/trpc";
import { closeServer, listen, Routes } from "../../../../workers/http-server";
import { createQueryCaller } from "../../../../workers/query/router";
import { QueryRunner } from "../../../../workers/query/runner";
import { createQueryService } from "../../../../workers/query/service";
import { insertEvents } from "../../../../workers/query/testing";
import type { RefEvent } from "../../../../workers/query/reference";
import { ensureAnalyticsSchema } from "../../../../workers/sink/schema";

const SECRET = "backtest-router-test-secret-0123";
const HOUR = 3600_000;
const DAY = 24 * HOUR;
let app: TestApp;
let duckdb: DuckDBInstance;
let server: Server;
let owner: SessionUser;
let projectId: string;
let otherProjectId: string;

const purchase = (project: string, id: string, profileId: string | null, ago: number, amount: number, name = "purchase"): RefEvent => ({
  project_id: project,
  event_id: id,
  event_name: name,
  profile_id: profileId,
  ts: Date.now() - ago,
  props: { amount },
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
});

beforeAll(async () => {
  app = await createTestApp();
  duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("test", "silent") });
  server = await listen(new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  const address = server.address();
  setQueryServiceTarget({ url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, secret: SECRET });

  const signedUp = await app.signUp("owner@example.com", "Owner");
  owner = signedUp.user;
  projectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Shop" })).id;
  otherProjectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Other shop" })).id;
  const events = [
    // u1: the second big purchase falls in the first one's cooldown; the view is not a purchase.
    purchase(projectId, "u1-a", "u1", 3 * DAY, 80),
    purchase(projectId, "u1-b", "u1", 3 * DAY - 10 * 60_000, 90),
    purchase(projectId, "u1-c", "u1", 2 * DAY, 100),
    purchase(projectId, "u1-d", "u1", 1 * DAY, 20),
    purchase(projectId, "u1-e", "u1", 1 * DAY, 999, "view"),
    // a9 was merged into u2: one person, so u2's purchase is in a9's cooldown.
    purchase(projectId, "a9-a", "a9", 5 * DAY, 70),
    purchase(projectId, "u2-a", "u2", 5 * DAY - 5 * 60_000, 60),
    // Anonymous events have no cooldown.
    purchase(projectId, "anon-a", null, 4 * HOUR, 99),
    purchase(projectId, "anon-b", null, 3 * HOUR, 99),
    // Outside the last 7 days.
    purchase(projectId, "u3-a", "u3", 10 * DAY, 500),
    // Another project's events never count.
    ...[1, 2, 3].map((n) => purchase(otherProjectId, `x${n}`, "u1", n * HOUR, 1000)),
  ];
  // u1 became "pro" between its first and third purchase.
  await insertEvents(connection, events, (event): Record<string, string> => (event.event_id === "u1-c" || event.event_id === "u1-d" ? { plan: "pro" } : {}));
  await connection.run(`INSERT INTO person_overrides VALUES ($1, 'a9', 'u2', now())`, [projectId]);
  connection.closeSync();
});

afterAll(async () => {
  setQueryServiceTarget(null);
  if (server) await closeServer(server);
  duckdb?.closeSync();
  await app?.close();
});

describe("triggers.backtest", () => {
  it("counts the firings of the last N days with the processor's cooldowns, per person, and only the project's own", async () => {
    const page = await app
      .caller(owner)
      .triggers.backtest({ projectId, rule: "event.name == 'purchase' && event.props.amount > 50", cooldownSeconds: 3600, days: 7, cursor: null });
    expect(page.next).toBeNull();
    expect(page.total).toBe(9);
    expect(page.summary).toMatchObject({ events: 9, fired: 5, errors: 0, profiles: 2 });
    expect(page.summary.topProfiles).toEqual([
      { person: "u1", fired: 2 },
      { person: "u2", fired: 1 },
    ]);
    expect(page.summary.sample.map((firing) => firing.eventId).sort()).toEqual(["a9-a", "anon-a", "anon-b", "u1-a", "u1-c"]);
    expect(Object.values(page.summary.perDay).reduce((sum, n) => sum + n, 0)).toBe(5);

    const month = await app
      .caller(owner)
      .triggers.backtest({ projectId, rule: "event.name == 'purchase' && event.props.amount > 50", cooldownSeconds: 3600, days: 30, cursor: null });
    expect(month.summary).toMatchObject({ events: 10, fired: 6, profiles: 3 });
  });

  it("reads the profile props stored with each event, not the profile's latest", async () => {
    const page = await app.caller(owner).triggers.backtest({ projectId, rule: "profile.props.plan == 'pro'", days: 7, cursor: null });
    expect(page.summary.sample.map((firing) => firing.eventId)).toEqual(["u1-c", "u1-d"]);
  });

  it("reads today's members of the cohorts a rule names, an id merged into a member as that member, like the rule tester", async () => {
    const cohort = await app.db.cohort.create({ data: { projectId, key: "vip", name: "VIPs", kind: "static" } });
    await queryClient().cohorts.setStaticMembers.mutate({ projectId, cohortId: cohort.id, ids: ["u2"] });
    const rule = "event.name == 'purchase' && profile.in_cohort('vip')";
    const page = await app.caller(owner).triggers.backtest({ projectId, rule, days: 7, cursor: null });
    expect(page.summary.sample.map((firing) => firing.eventId).sort()).toEqual(["a9-a", "u2-a"]);
    expect(page.summary.topProfiles).toEqual([{ person: "u2", fired: 2 }]);
    const test = (profileId: string) => app.caller(owner).triggers.test({ projectId, rule, event: { name: "purchase", props: {}, profile_id: profileId } });
    expect(await test("a9")).toMatchObject({ result: true });
    expect(await test("u1")).toMatchObject({ result: false });
    // Another project has no cohort 'vip': its rule does not check.
    await expect(app.caller(owner).triggers.backtest({ projectId: otherProjectId, rule, days: 7, cursor: null })).rejects.toThrow(/unknown cohort 'vip'/);
  });

  it("says why a rule that does not check cannot be backtested", async () => {
    await expect(app.caller(owner).triggers.backtest({ projectId, rule: "event.props.amount >", days: 7, cursor: null })).rejects.toThrow(
      /The rule does not check/,
    );
  });

  it("pages by whole persons, each event once, in event-time order within a person", async () => {
    const caller = createQueryCaller({ runner: new QueryRunner(duckdb), log: createLogger("test", "silent") });
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 7 * DAY).toISOString();
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const page = await caller.triggers.backtestEvents({ projectId, from, to, after, limit: 2 });
      expect(page.total).toBe(9);
      pages.push(page.events.map((event) => `${event.person ?? "-"}:${event.eventId}`));
      if (page.next === null) break;
      after = page.next;
    }
    expect(pages).toEqual([
      ["-:anon-a", "-:anon-b"],
      ["u1:u1-a", "u1:u1-b", "u1:u1-c", "u1:u1-d", "u1:u1-e"],
      ["u2:a9-a", "u2:u2-a"],
    ]);
  });
});
