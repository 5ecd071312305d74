/**
 * The cohorts router and cohorts in the report routers, against a running query service (real
 * DuckDB) and real PostgreSQL: static uploads, dynamic behaviour counted now, identity merge,
 * cohort filters and breakdowns in reports, the report cache following a cohort's changes, roles,
 * tenant checks and clear 4xx answers.
 */
import type { Server } from "node:http";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "~/platform/logger";
import { setQueryServiceTarget } from "~/server/query-client";
import { createTestApp, type TestApp } from "~/testing/app";
import type { SessionUser } from "~/server/api/trpc";
import { closeServer, listen, Routes } from "../../../../workers/http-server";
import type { RefEvent } from "../../../../workers/query/reference";
import { createQueryService } from "../../../../workers/query/service";
import { insertEvents, insertProfiles } from "../../../../workers/query/testing";
import { ensureAnalyticsSchema } from "../../../../workers/sink/schema";

const SECRET = "cohorts-router-test-secret-0123";
const DAY = 86_400_000;
let app: TestApp;
let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
let server: Server;
let owner: SessionUser;
let viewer: SessionUser;
let stranger: SessionUser;
let projectId: string;
let otherProjectId: string;
const now = Date.now();
const RANGE = { from: new Date(now - 40 * DAY).toISOString(), to: new Date(now + DAY).toISOString() };

const event = (id: string, name: string, profile: string, daysAgo: number): RefEvent => ({
  project_id: projectId,
  event_id: id,
  event_name: name,
  profile_id: profile,
  ts: now - daysAgo * DAY,
  props: {},
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
});

beforeAll(async () => {
  app = await createTestApp();
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("test", "silent") });
  server = await listen(
    new Routes().add("GET", "/query/*", service.handler).add("POST", "/query/*", service.handler).add("POST", "/query-export", service.exportHandler),
    "127.0.0.1",
    0,
    () => undefined,
  );
  const address = server.address();
  setQueryServiceTarget({ url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, secret: SECRET });

  const signedUp = await app.signUp("owner@example.com", "Owner");
  owner = signedUp.user;
  projectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Shop" })).id;
  viewer = (await app.signUp("viewer@example.com", "Viewer")).user;
  await app.db.membership.create({ data: { userId: viewer.id, organizationId: signedUp.orgId, role: "viewer" } });
  const other = await app.signUp("stranger@example.com", "Stranger");
  stranger = other.user;
  otherProjectId = (await app.caller(stranger).projects.create({ orgId: other.orgId, name: "Elsewhere" })).id;

  // u1 buys three times; u2 once, and once more as anon-9 before being identified; u3 only looks.
  await insertEvents(connection, [
    event("e1", "purchase", "u1", 1),
    event("e2", "purchase", "u1", 2),
    event("e3", "purchase", "u1", 3),
    event("e4", "purchase", "u2", 2),
    event("e5", "purchase", "anon-9", 3),
    event("e6", "view", "u3", 1),
  ]);
  await insertProfiles(
    connection,
    new Map([
      [`${projectId}\u0000u1`, { plan: "pro" }],
      [`${projectId}\u0000u2`, { plan: "free" }],
      [`${projectId}\u0000u3`, { plan: "free" }],
    ]),
  );
  await connection.run("INSERT INTO person_overrides VALUES ($1, 'anon-9', 'u2', now())", [projectId]);
});

afterAll(async () => {
  setQueryServiceTarget(null);
  if (server) await closeServer(server);
  connection?.closeSync();
  duckdb?.closeSync();
  await app?.close();
});

const buyersInput = {
  key: "buyers",
  name: "Repeat buyers",
  kind: "dynamic" as const,
  definition: { conditions: [{ kind: "behaviour" as const, event: "purchase", comparison: "at_least" as const, count: 2, days: 30 }] },
};

describe("cohorts", () => {
  it("creates, counts, previews and uses cohorts in every report kind, by person", async () => {
    const caller = app.caller(owner);
    const buyers = await caller.cohorts.create({ projectId, cohort: buyersInput });
    const vips = await caller.cohorts.create({ projectId, cohort: { key: "vips", name: "VIPs", kind: "static" } });
    // A header, a duplicate and an id merged into u2 since.
    const upload = await caller.cohorts.setStaticMembers({ projectId, cohortId: vips.id, text: "profile_id\nu3\r\nanon-9\nu3\n\n" });
    expect(upload).toMatchObject({ members: 2, duplicates: 1 });
    expect(upload.cohort.version).toBe(vips.version + 1);

    expect(await caller.cohorts.count({ projectId, cohortId: buyers.id })).toMatchObject({ count: 2 });
    expect(await caller.cohorts.count({ projectId, cohortId: vips.id })).toMatchObject({ count: 2 });
    const listed = await app.caller(viewer).cohorts.list({ projectId });
    expect(listed.map((cohort) => [cohort.key, cohort.memberCount])).toEqual([
      ["buyers", 2],
      ["vips", 2],
    ]);
    const page = await caller.cohorts.members({ projectId, cohortId: vips.id, limit: 1 });
    expect(page.items).toEqual([{ profileId: "u2", props: { plan: "free" } }]);
    expect(page.nextCursor).toBe("u2");

    const vipsOnly = await caller.reports.query({ projectId, definition: { range: RANGE, cohortFilters: [{ cohortId: vips.id, op: "in" }] } });
    expect(vipsOnly.rows[0]!.value).toBe(3);
    const notBuyers = await caller.reports.query({ projectId, definition: { range: RANGE, cohortFilters: [{ cohortId: buyers.id, op: "not_in" }] } });
    expect(notBuyers.rows[0]!.value).toBe(1);
    const persons = await caller.reports.query({
      projectId,
      definition: { range: RANGE, aggregation: { op: "unique_profiles" }, cohortBreakdown: [buyers.id, vips.id] },
    });
    expect(persons.rows[0]!.value).toBe(3);
    expect(persons.byCohort!.map((part) => [part.key, part.name, part.result.rows[0]!.value])).toEqual([
      ["buyers", "Repeat buyers", 2],
      ["vips", "VIPs", 2],
    ]);

    const withCohorts = { cohortFilters: [{ cohortId: buyers.id, op: "in" as const }], cohortBreakdown: [vips.id] };
    const trend = await caller.reports.trend({ projectId, definition: { range: RANGE, interval: "week", series: [{ event: "purchase" }], ...withCohorts } });
    expect(trend.series[0]!.total).toBe(5);
    expect(trend.byCohort![0]!.result.series[0]!.total).toBe(2);
    const funnel = await caller.reports.funnel({
      projectId,
      definition: { range: RANGE, steps: [{ event: "purchase" }, { event: "purchase" }], ...withCohorts },
    });
    expect(funnel.steps.map((step) => step.count)).toEqual([2, 2]);
    expect(funnel.byCohort![0]!.result.steps.map((step) => step.count)).toEqual([1, 1]);
    const segment = await caller.reports.segment({ projectId, definition: { range: RANGE, event: null, breakdown: "event_name", ...withCohorts } });
    expect(segment.rows).toEqual([{ value: "purchase", result: 5 }]);
    const retention = await caller.reports.retention({ projectId, definition: { range: RANGE, cohortEvent: null, returnEvent: null, ...withCohorts } });
    expect(retention.cohorts.reduce((sum, row) => sum + row.size, 0)).toBe(2);
    expect(retention.byCohort![0]!.result.cohorts.reduce((sum, row) => sum + row.size, 0)).toBe(1);
    const paths = await caller.reports.paths({ projectId, definition: { range: RANGE, event: "purchase", ...withCohorts } });
    expect(paths.persons).toBe(2);
    expect(paths.byCohort![0]!.result.persons).toBe(1);
  });

  it("computes a report again once a cohort's members change, not before", async () => {
    const caller = app.caller(owner);
    const team = await caller.cohorts.create({ projectId, cohort: { key: "team", name: "Team", kind: "static" } });
    await caller.cohorts.setStaticMembers({ projectId, cohortId: team.id, ids: ["u1"] });
    const definition = { range: { from: RANGE.from, to: new Date(now - DAY / 2).toISOString() }, cohortFilters: [{ cohortId: team.id, op: "in" as const }] };
    const first = await caller.reports.query({ projectId, definition });
    expect(first.rows[0]!.value).toBe(3);
    expect((await caller.reports.query({ projectId, definition })).cached).toBe(true);
    await caller.cohorts.setStaticMembers({ projectId, cohortId: team.id, ids: ["u1", "u2"] });
    expect(await caller.reports.query({ projectId, definition })).toMatchObject({ cached: false, rows: [{ value: 5 }] });
  });

  it("refuses other tenants, viewers writing, taken keys, bad uploads and cohorts of another project", async () => {
    const caller = app.caller(owner);
    const mine = await caller.cohorts.create({ projectId, cohort: { key: "mine", name: "Mine", kind: "static" } });
    const theirs = await app.caller(stranger).cohorts.create({ projectId: otherProjectId, cohort: { key: "mine", name: "Theirs", kind: "static" } });

    await expect(app.caller(stranger).cohorts.get({ projectId, cohortId: mine.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(app.caller(stranger).cohorts.members({ projectId: otherProjectId, cohortId: mine.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(app.caller(viewer).cohorts.create({ projectId, cohort: buyersInput })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.cohorts.create({ projectId, cohort: { key: "mine", name: "Again", kind: "static" } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining('"mine"'),
    });
    await expect(caller.cohorts.create({ projectId, cohort: { key: "Bad Key", name: "x", kind: "static" } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.cohorts.create({ projectId, cohort: { key: "nodef", name: "x", kind: "dynamic" } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.cohorts.setStaticMembers({ projectId, cohortId: mine.id, text: `ok\n${"x".repeat(300)}\n` })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("line 2"),
    });
    const buyers = (await caller.cohorts.list({ projectId })).find((cohort) => cohort.key === "buyers")!;
    await expect(caller.cohorts.setStaticMembers({ projectId, cohortId: buyers.id, ids: ["u1"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // Another project's cohort id is unknown here, in reports, saved reports and exports alike.
    const naming = { range: RANGE, cohortFilters: [{ cohortId: theirs.id, op: "in" as const }] };
    await expect(caller.reports.query({ projectId, definition: naming })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining(theirs.id),
    });
    await expect(caller.savedReports.create({ projectId, name: "x", spec: { kind: "query", definition: naming } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("deletes a cohort and its stored members, unless a rule names it", async () => {
    const caller = app.caller(owner);
    const gone = await caller.cohorts.create({ projectId, cohort: { key: "gone", name: "Gone", kind: "static" } });
    await caller.cohorts.setStaticMembers({ projectId, cohortId: gone.id, ids: ["u1", "u2"] });
    const rule = await app.db.trigger.create({ data: { projectId, name: "uses gone", rule: "profile.in_cohort('gone')" } });
    await expect(caller.cohorts.delete({ projectId, cohortId: gone.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("uses gone"),
    });
    await app.db.trigger.delete({ where: { id: rule.id } });
    await expect(app.caller(viewer).cohorts.delete({ projectId, cohortId: gone.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await caller.cohorts.delete({ projectId, cohortId: gone.id })).toEqual({ deleted: true });
    const left = await connection.runAndReadAll("SELECT count(*)::INT AS n FROM cohort_members WHERE cohort_id = $1", [gone.id]);
    expect(left.getRowObjectsJS()[0]!.n).toBe(0);
    await expect(caller.cohorts.get({ projectId, cohortId: gone.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
