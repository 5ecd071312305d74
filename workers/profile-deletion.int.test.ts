/**
 * GDPR deletion of a profile, end to end on the real broker, PostgreSQL and DuckDB: a profile's
 * events, history, firings, action results, webhook payloads, dead letters and rule state are
 * gone from every query, export and table afterwards; other profiles and another tenant's
 * profile of the same id are untouched; the audit record names who and when, not the id.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PROFILE_DELETION_STEPS } from "../src/contracts/profile-deletion";
import { newWebhookEndpointId, newWebhookSecret } from "../src/core/webhooks";
import type { SessionUser } from "../src/server/api/trpc";
import { proxyExport } from "../src/server/export-proxy";
import { setQueryServiceTarget, type QueryServiceTarget } from "../src/server/query-client";
import { createTestApp, type TestApp } from "../src/testing/app";
import { until } from "../src/testing/until";
import { startReceiver, type TestReceiver } from "./actions/webhook-testing";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { letterConcerns } from "./sink/erase";
import { queryDuckDB as query } from "./query/testing";

/** Rows of the profile's own in each DuckDB table (action results through its firings). */
async function duckdbRows(duckdb: DuckDBInstance, projectId: string, profileId: string) {
  const count = async (sql: string) => Number((await query(duckdb, sql, [projectId, profileId]))[0]?.n ?? 0);
  return {
    events: await count("SELECT count(*)::INT AS n FROM events WHERE project_id = $1 AND profile_id = $2"),
    profile_changes: await count("SELECT count(*)::INT AS n FROM profile_changes WHERE project_id = $1 AND profile_id = $2"),
    action_results: await count(
      "SELECT count(*)::INT AS n FROM action_results WHERE project_id = $1 AND firing_id IN (SELECT firing_id FROM trigger_logs WHERE project_id = $1 AND profile_id = $2)",
    ),
    trigger_logs: await count("SELECT count(*)::INT AS n FROM trigger_logs WHERE project_id = $1 AND profile_id = $2"),
    dead_letters: await count("SELECT count(*)::INT AS n FROM dead_letters WHERE project_id = $1 AND json_extract_string(payload, '$.profile_id') = $2"),
    cohort_members: await count("SELECT count(*)::INT AS n FROM cohort_members WHERE project_id = $1 AND profile_id = $2"),
    profiles: await count("SELECT count(*)::INT AS n FROM profiles WHERE project_id = $1 AND profile_id = $2"),
  };
}

describe("GDPR deletion of a profile", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker;
  let receiver: TestReceiver;
  let target: QueryServiceTarget;
  let owner: SessionUser;
  let member: SessionUser;
  let stranger: SessionUser;
  let projectId: string;
  let otherProjectId: string;
  const keys = new Map<string, string>();
  const RANGE = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };

  const post = async (project: string, route: string, body: unknown, expected: number[] = [202]) => {
    const response = await fetch(`http://127.0.0.1:${worker.port}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": keys.get(project)! },
      body: JSON.stringify(body),
    });
    expect(expected, await response.clone().text()).toContain(response.status);
  };

  /** A project with a purchase trigger that notifies, tags the profile and calls a webhook. */
  const makeProject = async (user: SessionUser, orgId: string, name: string) => {
    const caller = app.caller(user);
    const project = await caller.projects.create({ orgId, name });
    keys.set(project.id, (await caller.apiKeys.create({ projectId: project.id, name: "server" })).secret);
    const endpoint = await app.db.webhookEndpoint.create({
      data: { id: newWebhookEndpointId(), projectId: project.id, url: receiver.url(`/hooks/${name}`), secret: newWebhookSecret() },
    });
    await caller.triggers.create({
      projectId: project.id,
      trigger: {
        name: "Purchase",
        rule: "event.name == 'purchase'",
        actions: [
          { type: "notification", title: "Purchase", body: "" },
          { type: "tag_profile", tag: "buyer" },
          { type: "webhook", endpointId: endpoint.id },
        ],
        enabled: true,
        cooldownSeconds: 0,
      },
    });
    return project.id;
  };

  /** Everything a person leaves behind: events, a profile call, a firing with its actions and webhook, and a refused event. */
  const leaveTraces = async (project: string, profileId: string, purchases: number) => {
    const t0 = Date.now() - 60_000;
    await post(project, "/api/v1/events/batch", {
      events: [
        { event_name: "page_view", profile_id: profileId, cts: t0, props: { path: "/" } },
        ...Array.from({ length: purchases }, (_, index) => ({
          event_name: "purchase",
          profile_id: profileId,
          cts: t0 + 1000 * (index + 1),
          props: { amount: 10 },
        })),
      ],
    });
    await post(project, "/api/v1/profiles", { profile_id: profileId, set: { email: `${profileId}@example.com` } });
    // Dated a week ahead: refused whatever the plan says, and kept as a dead letter.
    await post(project, "/api/v1/events", { event_name: "checkout", profile_id: profileId, cts: Date.now() + 7 * 86_400_000, props: {} }, [400, 422]);
  };

  /** Waits until the profile's traces are all stored (the profile has its email and its tag) and stop changing. */
  const settled = async (project: string, profileId: string, purchases: number) => {
    const read = async () => ({
      ...(await duckdbRows(worker.duckdb!, project, profileId)),
      webhook_deliveries: await app.db.webhookDelivery.count({ where: { projectId: project, payload: { path: ["event", "profile_id"], equals: profileId } } }),
    });
    const rows = await until(
      `${profileId}'s traces in ${project}`,
      async () => {
        const found = await read();
        const [profile] = await query(worker.duckdb!, "SELECT props::VARCHAR AS props FROM profiles WHERE project_id = $1 AND profile_id = $2", [
          project,
          profileId,
        ]);
        const props = profile ? String(profile.props) : "";
        const complete =
          found.events === purchases + 1 &&
          found.trigger_logs === purchases &&
          found.action_results === 3 * purchases &&
          found.dead_letters === 1 &&
          found.webhook_deliveries === purchases &&
          props.includes("buyer") &&
          props.includes("@example.com");
        // Thrown, not null: when time runs out, `until` names what was there.
        if (!complete) throw new Error(`not yet: ${JSON.stringify({ ...found, props })}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const again = await read();
        return JSON.stringify(again) === JSON.stringify(found) ? found : null;
      },
      60_000,
    );
    expect(await app.db.profileState.count({ where: { projectId: project, profileId } })).toBe(1);
    return rows;
  };

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-erase-"));
    receiver = await startReceiver();
    worker = await startWorker(
      workerEnv({
        DATABASE_URL: app.url,
        KAFKA_BROKERS: inject("kafkaBrokers"),
        DUCKDB_PATH: path.join(dir, "prism.duckdb"),
        WORKER_PORT: "0",
        CONSUMER_GROUP_PREFIX: `erase-${Date.now()}`,
        WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
        INGEST_KEY_CACHE_MS: "0",
        LOG_LEVEL: "warn",
      }),
    );
    target = { url: `http://127.0.0.1:${worker.port}`, secret: workerEnv({ DATABASE_URL: app.url }).INTERNAL_SECRET };
    setQueryServiceTarget(target);

    const first = await app.signUp("owner@example.com", "Owner");
    owner = first.user;
    const second = await app.signUp("member@example.com", "Member");
    member = second.user;
    await app.db.membership.create({ data: { userId: member.id, organizationId: first.orgId, role: "member" } });
    const third = await app.signUp("stranger@example.com", "Stranger");
    stranger = third.user;
    projectId = await makeProject(owner, first.orgId, "shop");
    otherProjectId = await makeProject(stranger, third.orgId, "elsewhere");
    // The processor reloads triggers every 2 s: events sent before that would find no rule to fire.
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }, 120_000);

  afterAll(async () => {
    setQueryServiceTarget(null);
    await worker?.stop();
    await receiver?.close();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes the profile from every store and query, leaves everyone else, and keeps an audit without the id", async () => {
    await Promise.all([leaveTraces(projectId, "alice", 2), leaveTraces(projectId, "bob", 1), leaveTraces(otherProjectId, "alice", 1)]);
    // Static cohorts naming them (uploaded lists).
    for (const [project, profileId] of [
      [projectId, "alice"],
      [projectId, "bob"],
      [otherProjectId, "alice"],
    ] as const) {
      await query(worker.duckdb!, "INSERT INTO cohort_members VALUES ($1, 'cohort-vip', $2, now())", [project, profileId]);
    }
    const alice = await settled(projectId, "alice", 2);
    const bob = await settled(projectId, "bob", 1);
    const otherAlice = await settled(otherProjectId, "alice", 1);

    // Only admins, signed in, of the profile's own project.
    await expect(app.caller(member).profiles.delete({ projectId, profileId: "alice" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(app.caller(stranger).profiles.delete({ projectId, profileId: "alice" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(app.caller(member).profiles.deletions({ projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.profileDeletion.count()).toBe(0);

    const caller = app.caller(owner);
    const { deletionId } = await caller.profiles.delete({ projectId, profileId: "alice" });
    // A second click while it runs is the same job.
    expect(await caller.profiles.delete({ projectId, profileId: "alice" })).toEqual({ deletionId });
    await expect(app.caller(stranger).profiles.deletion({ projectId: otherProjectId, deletionId })).rejects.toMatchObject({ code: "NOT_FOUND" });

    // Progress as the UI polls it: steps done never go back, and the job ends done.
    const progress: number[] = [];
    const job = await until(
      "the deletion to finish",
      async () => {
        const view = await caller.profiles.deletion({ projectId, deletionId });
        progress.push(view.stepsDone);
        return view.status === "done" || view.status === "failed" ? view : null;
      },
      60_000,
      100,
    );
    expect(job).toMatchObject({ status: "done", error: null, stepsDone: PROFILE_DELETION_STEPS.length, requestedBy: "owner@example.com" });
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(job.startedAt!.getTime()).toBeLessThanOrEqual(job.finishedAt!.getTime());
    // Each store's count is what the profile had there.
    expect(Object.fromEntries(job.steps.map((step) => [step.table, step.removed]))).toEqual({
      ...alice,
      profile_state: 1,
      person_overrides: 0,
      identified_profiles: 0,
    });
    expect(job.removed).toBe(Object.values(alice).reduce((sum, n) => sum + n, 0) + 1);

    // No query, page or export shows anything of alice.
    await expect(caller.profiles.get({ projectId, profileId: "alice" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await caller.profiles.timeline({ projectId, profileId: "alice" })).items).toEqual([]);
    expect((await caller.profiles.search({ projectId })).items.map((item) => item.profileId)).toEqual(["bob"]);
    const events = await caller.events.list({ projectId, limit: 200 });
    expect(events.items.length).toBe(bob.events);
    expect(events.items.every((event) => event.profileId === "bob")).toBe(true);
    const byProfile = await caller.reports.query({ projectId, definition: { range: RANGE, groupBy: ["profile_id"] } });
    expect(byProfile.rows.map((row) => row.groups)).toEqual([["bob"]]);
    const unique = await caller.reports.trend({
      projectId,
      definition: { range: RANGE, interval: "day", series: [{ event: null, aggregation: { op: "unique_profiles" } }] },
    });
    expect(Math.max(...unique.series[0]!.values.map((n) => n ?? 0))).toBe(1);
    const letters = await caller.deadLetters.list({ projectId });
    expect(letters.items).toHaveLength(1);
    expect(JSON.stringify(letters.items)).not.toContain("alice");
    const firings = await caller.triggers.list({ projectId });
    const firingPage = await caller.reports.triggerFirings({ projectId, triggerId: firings[0]!.id });
    expect(firingPage.items.map((firing) => firing.profileId)).toEqual(["bob"]);
    const exported = await proxyExport({
      request: new Request("http://app/export", { method: "POST", body: JSON.stringify({ format: "ndjson", source: { kind: "events" } }) }),
      projectId,
      userId: owner.id,
      db: app.db,
      target,
    });
    const text = await exported.text();
    expect(text).not.toContain("alice");
    expect(text.trim().split("\n")).toHaveLength(bob.events);
    expect(await app.db.profileState.count({ where: { projectId, profileId: "alice" } })).toBe(0);
    expect(await app.db.webhookDelivery.count({ where: { projectId, payload: { path: ["event", "profile_id"], equals: "alice" } } })).toBe(0);
    expect(await duckdbRows(worker.duckdb!, projectId, "alice")).toEqual({
      events: 0,
      profile_changes: 0,
      action_results: 0,
      trigger_logs: 0,
      dead_letters: 0,
      cohort_members: 0,
      profiles: 0,
    });

    // Bob, and the other tenant's alice, are untouched.
    const { webhook_deliveries: bobDeliveries, ...bobRows } = bob;
    expect(await duckdbRows(worker.duckdb!, projectId, "bob")).toEqual(bobRows);
    expect(await app.db.webhookDelivery.count({ where: { projectId } })).toBe(bobDeliveries);
    expect(await app.db.profileState.count({ where: { projectId, profileId: "bob" } })).toBe(1);
    const { webhook_deliveries: otherDeliveries, ...otherRows } = otherAlice;
    expect(await duckdbRows(worker.duckdb!, otherProjectId, "alice")).toEqual(otherRows);
    expect(await app.db.webhookDelivery.count({ where: { projectId: otherProjectId } })).toBe(otherDeliveries);
    expect(await app.db.profileState.count({ where: { projectId: otherProjectId, profileId: "alice" } })).toBe(1);

    // The audit: who and when and how much, and a digest only the id can match; the id itself nowhere.
    const stored = await app.db.profileDeletion.findUniqueOrThrow({ where: { id: deletionId } });
    expect(stored.profileIds).toEqual([]);
    expect(JSON.stringify(stored)).not.toContain("alice");
    expect(stored).toMatchObject({ requestedById: owner.id, requestedByEmail: "owner@example.com", status: "done" });
    expect(stored.finishedAt).toBeInstanceOf(Date);
    const audit = await caller.profiles.deletions({ projectId });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain("alice");
    expect((await caller.profiles.findDeletions({ projectId, profileId: "alice" })).map((record) => record.deletionId)).toEqual([deletionId]);
    expect(await caller.profiles.findDeletions({ projectId, profileId: "bob" })).toEqual([]);
    expect(await app.caller(stranger).profiles.deletions({ projectId: otherProjectId })).toEqual([]);
  }, 180_000);

  it("deletes the person's identity rows: no override or identified row holds any of its ids afterwards", async () => {
    const identify = (userId: string, anonymousId: string) => ({ type: "identify", userId, anonymousId, messageId: `identify-${anonymousId}`, traits: {} });
    const cts = Date.now() - 30_000;
    await post(projectId, "/api/v1/events/batch", {
      events: [
        { event_name: "page_view", profile_id: "anon-carol", cts, props: {} },
        { event_name: "page_view", profile_id: "anon-dave", cts, props: {} },
        identify("carol", "anon-carol"),
        identify("dave", "anon-dave"),
      ],
    });
    const overrides = async (store: "duckdb" | "postgres") =>
      store === "duckdb"
        ? (await query(worker.duckdb!, "SELECT distinct_id, person_id FROM person_overrides WHERE project_id = $1 ORDER BY distinct_id", [projectId])).map(
            (row) => `${String(row.distinct_id)}>${String(row.person_id)}`,
          )
        : (await app.db.personOverride.findMany({ where: { projectId }, orderBy: { distinctId: "asc" }, select: { distinctId: true, personId: true } })).map(
            (row) => `${row.distinctId}>${row.personId}`,
          );
    const merged = ["anon-carol>carol", "anon-dave>dave"];
    await until(
      "both merges in both stores",
      async () =>
        JSON.stringify(await overrides("postgres")) === JSON.stringify(merged) && JSON.stringify(await overrides("duckdb")) === JSON.stringify(merged)
          ? true
          : null,
      60_000,
    );
    const identified = async () =>
      (await app.db.identifiedProfile.findMany({ where: { projectId }, select: { profileId: true } })).map((row) => row.profileId).sort();
    expect(await identified()).toEqual(expect.arrayContaining(["carol", "dave"]));

    // Deleted from the anonymous id: the whole person goes, with every row naming its ids.
    const caller = app.caller(owner);
    const { deletionId } = await caller.profiles.delete({ projectId, profileId: "anon-carol" });
    const job = await until(
      "carol's deletion to finish",
      async () => {
        const view = await caller.profiles.deletion({ projectId, deletionId });
        return view.status === "done" || view.status === "failed" ? view : null;
      },
      60_000,
      100,
    );
    expect(job).toMatchObject({ status: "done", error: null });
    const carol = ["anon-carol", "carol"];
    for (const store of ["duckdb", "postgres"] as const) {
      const rows = await overrides(store);
      expect(
        rows.filter((row) => row.split(">").some((id) => carol.includes(id))),
        store,
      ).toEqual([]);
      expect(rows, store).toEqual(["anon-dave>dave"]);
    }
    const left = await identified();
    expect(left.filter((id) => carol.includes(id))).toEqual([]);
    expect(left).toContain("dave");
  }, 120_000);

  it("takes events that arrive for a deleted id afterwards as a new profile", async () => {
    await post(projectId, "/api/v1/events", { event_name: "page_view", profile_id: "alice", props: { path: "/back" } });
    const timeline = await until("alice's new event", async () => {
      const page = await app.caller(owner).profiles.timeline({ projectId, profileId: "alice" });
      return page.items.length > 0 && page.items;
    });
    expect(timeline.map((event) => event.eventName)).toEqual(["page_view"]);
    // Nothing of the old person comes back: no props, windows or cooldowns the rules could read.
    const state = await app.db.profileState.findFirst({ where: { projectId, profileId: "alice" } });
    expect(JSON.stringify(state?.props ?? {})).not.toContain("example.com");
    expect(state?.windows ?? []).toEqual([]);
  }, 60_000);
});

describe("which dead letters concern a profile", () => {
  const ids = new Set(["alice"]);
  it("matches a profile key anywhere in the payload, a consumer's record text, or the record's key", () => {
    expect(letterConcerns(JSON.stringify({ event_name: "x", profile_id: "alice" }), null, null, "p", ids)).toBe(true);
    expect(letterConcerns(JSON.stringify({ events: [{ user_id: "alice" }] }), null, null, "p", ids)).toBe(true);
    expect(letterConcerns(JSON.stringify(JSON.stringify({ profile_id: "alice" })), "utf8", null, "p", ids)).toBe(true);
    expect(letterConcerns(JSON.stringify(Buffer.from(JSON.stringify({ profile_id: "alice" })).toString("base64")), "base64", null, "p", ids)).toBe(true);
    expect(letterConcerns(JSON.stringify("garbage"), "utf8", JSON.stringify({ topic: "event.raw", partition: 0, offset: "1", key: "p:alice" }), "p", ids)).toBe(
      true,
    );
  });
  it("leaves letters that only mention the id elsewhere, or name another profile", () => {
    expect(letterConcerns(JSON.stringify({ event_name: "alice", profile_id: "bob" }), null, null, "p", ids)).toBe(false);
    expect(letterConcerns(JSON.stringify("garbage"), "utf8", JSON.stringify({ key: "q:alice" }), "p", ids)).toBe(false);
  });
});
