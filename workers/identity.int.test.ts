/**
 * Identity merge through the real pipeline (real broker, Postgres, DuckDB): the anonymous events a
 * visitor sent before identify count for the user in a funnel across sign-up, in uniques and on the
 * profile timeline, and a rule's window sees them. An identify never merges two identified users;
 * the admin's explicit merge does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { upstashProducer } from "../edge/upstash-producer";
import type { SessionUser } from "../src/server/api/trpc";
import { setMergeProducer } from "../src/server/identity";
import { setQueryServiceTarget } from "../src/server/query-client";
import { createTestApp, type TestApp } from "../src/testing/app";
import { until } from "../src/testing/until";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { queryDuckDB as query } from "./query/testing";

describe("identity merge through the pipeline", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker | undefined;
  let projectId: string;
  let apiKey: string;
  let owner: SessionUser;
  const now = Date.now();
  let seq = 0;

  const send = async (events: unknown[]) => {
    const response = await fetch(`http://127.0.0.1:${worker!.port}/api/v1/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ events }),
    });
    expect(response.status, await response.clone().text()).toBe(202);
  };
  const track = (name: string, profileId: string, at = now) => ({ event_name: name, event_id: `ev-${++seq}`, cts: at, profile_id: profileId, props: {} });
  const identify = (userId: string, anonymousId: string, traits: Record<string, string> = {}) => ({
    type: "identify",
    userId,
    anonymousId,
    messageId: `id-${++seq}`,
    traits,
  });
  const personOf = async (distinctId: string) =>
    (
      await app.db.$queryRaw<
        Array<{ person_id: string }>
      >`SELECT person_id FROM person_overrides WHERE project_id = ${projectId} AND distinct_id = ${distinctId}`
    )[0]?.person_id;

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-identity-"));
    const { user, orgId } = await app.signUp("identity@example.com");
    owner = user;
    const caller = app.caller(user);
    projectId = (await caller.projects.create({ orgId, name: "Signups" })).id;
    apiKey = (await caller.apiKeys.create({ projectId, name: "server" })).secret;
    await caller.triggers.create({
      projectId,
      trigger: {
        name: "Signed up after browsing",
        rule: "event.name == 'signup' && window.count('view', '1h') >= 2 && profile.props.ref == 'ad'",
        actions: [],
        enabled: true,
        cooldownSeconds: 0,
      },
    });
    const env = workerEnv({
      DATABASE_URL: app.url,
      KAFKA_BROKERS: inject("kafkaBrokers"),
      DUCKDB_PATH: path.join(dir, "prism.duckdb"),
      WORKER_PORT: "0",
      CONSUMER_GROUP_PREFIX: `identity-${Date.now()}`,
      INGEST_KEY_CACHE_MS: "0",
      LOG_LEVEL: "warn",
    });
    worker = await startWorker(env);
    setQueryServiceTarget({ url: `http://127.0.0.1:${worker.port}`, secret: env.INTERNAL_SECRET });
    setMergeProducer(upstashProducer({ url: `http://127.0.0.1:${worker.port}`, username: "prism", password: env.GATEWAY_TOKEN }));
  }, 60_000);

  afterAll(async () => {
    setMergeProducer(null);
    setQueryServiceTarget(null);
    await worker?.stop();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("counts the anonymous events before identify for the user, in reports, the timeline and a rule's window", async () => {
    const caller = app.caller(owner);
    const duckdb = worker!.duckdb!;
    // A visitor browses anonymously (a profile prop set while anonymous too), then signs up.
    await send([track("view", "anon-1", now - 20 * 60_000), track("view", "anon-1", now - 10 * 60_000)]);
    await send([{ type: "identify", anonymousId: "anon-1", messageId: `id-${++seq}`, traits: { ref: "ad" } }]);
    await until("the anonymous views in the processor's window", async () => {
      const state = await app.db.profileState.findFirst({ where: { projectId, profileId: "anon-1" } });
      return Array.isArray(state?.windows) && state.windows.length === 2 && (state.props as { ref?: string }).ref === "ad";
    });
    await send([identify("user-1", "anon-1", { plan: "pro" })]);
    await until("anon-1 merged into user-1", async () => (await personOf("anon-1")) === "user-1");
    await send([track("signup", "user-1")]);

    // The rule saw the anonymous views in user-1's window, and anon-1's props.
    const firings = await until("the sign-up firing", async () => {
      const rows = await query(duckdb, "SELECT profile_id, result FROM trigger_logs WHERE project_id = $1", [projectId]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(firings).toEqual([{ profile_id: "user-1", result: "fired" }]);
    const state = await app.db.profileState.findFirst({ where: { projectId, profileId: "user-1" } });
    expect(state?.props).toEqual({ ref: "ad", plan: "pro" });
    expect(await app.db.profileState.count({ where: { projectId, profileId: "anon-1" } })).toBe(0);

    // History is not rewritten: the views stay under anon-1 in DuckDB.
    // The views and the sign-up travel under different keys (partitions), so either may be stored first.
    await until(
      "the views and the sign-up stored",
      async () => (await query(duckdb, "SELECT 1 FROM events WHERE project_id = $1 AND event_name IN ('view', 'signup')", [projectId])).length === 3,
    );
    expect(await query(duckdb, "SELECT DISTINCT profile_id FROM events WHERE project_id = $1 AND event_name = 'view'", [projectId])).toEqual([
      { profile_id: "anon-1" },
    ]);

    // Reports count one person who viewed then signed up.
    const range = { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };
    const funnel = await until("the funnel across sign-up", async () => {
      const result = await caller.reports.funnel({
        projectId,
        definition: {
          range,
          steps: [
            { event: "view", filters: [] },
            { event: "signup", filters: [] },
          ],
          windowSeconds: 3600,
          filters: [],
        },
        fresh: true,
      });
      return result.steps[1]?.count === 1 ? result : undefined;
    });
    expect(funnel.steps.map((step) => step.count)).toEqual([1, 1]);
    const uniques = await caller.reports.query({
      projectId,
      definition: { range, events: [], filters: [], groupBy: [], aggregation: { op: "unique_profiles" }, limit: 10 },
      fresh: true,
    });
    expect(uniques.rows.map((row) => row.value)).toEqual([1]);

    // The profile page shows the person's events, each under the id it was sent with.
    const timeline = await caller.profiles.timeline({ projectId, profileId: "user-1" });
    expect(timeline.items.map((row) => [row.eventName, row.profileId])).toEqual([
      ["signup", "user-1"],
      ["view", "anon-1"],
      ["view", "anon-1"],
    ]);
    expect((await caller.profiles.get({ projectId, profileId: "user-1" })).eventCount).toBe(3);
  }, 90_000);

  it("never merges two identified users on an identify; an admin's explicit merge does", async () => {
    const caller = app.caller(owner);
    const duckdb = worker!.duckdb!;
    await send([identify("user-2", "anon-2"), track("view", "user-2")]);
    await until("anon-2 merged into user-2", async () => (await personOf("anon-2")) === "user-2");
    // The same browser signs in as user-2 without reset(): anon-1 already belongs to user-1.
    await send([identify("user-2", "anon-1", { plan: "team" })]);
    // And a user id named as the anonymous one: user-1 is identified.
    await send([identify("user-2", "user-1")]);
    await until("user-2's traits applied", async () => {
      const state = await app.db.profileState.findFirst({ where: { projectId, profileId: "user-2" } });
      return (state?.props as { plan?: string } | undefined)?.plan === "team";
    });
    await until("both identifies refused and counted", async () =>
      /identity_merges_total\{result="refused"\} 2/.test(await (await fetch(`http://127.0.0.1:${worker!.port}/metrics`)).text()),
    );
    expect(await personOf("anon-1")).toBe("user-1");
    expect(await personOf("user-1")).toBeUndefined();

    await expect(caller.profiles.merge({ projectId, from: "user-1", into: "user-1" })).rejects.toThrow(/two different profiles/);
    await caller.profiles.merge({ projectId, from: "user-1", into: "user-2" });
    await until("user-1 merged into user-2", async () => (await personOf("user-1")) === "user-2");
    expect(await personOf("anon-1")).toBe("user-2");
    await until("the sink's overrides", async () => {
      const rows = await query(duckdb, "SELECT distinct_id, person_id FROM person_overrides WHERE project_id = $1 ORDER BY distinct_id", [projectId]);
      return (
        JSON.stringify(rows) ===
        JSON.stringify([
          { distinct_id: "anon-1", person_id: "user-2" },
          { distinct_id: "anon-2", person_id: "user-2" },
          { distinct_id: "user-1", person_id: "user-2" },
        ])
      );
    });
    const range = { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };
    const uniques = await caller.reports.query({
      projectId,
      definition: { range, events: [], filters: [], groupBy: [], aggregation: { op: "unique_profiles" }, limit: 10 },
      fresh: true,
    });
    expect(uniques.rows.map((row) => row.value)).toEqual([1]);

    // Deleting the person from any of its ids deletes every id merged into it.
    const { deletionId } = await caller.profiles.delete({ projectId, profileId: "anon-2" });
    const job = await app.db.profileDeletion.findUniqueOrThrow({ where: { id: deletionId } });
    expect([...job.profileIds].sort()).toEqual(["anon-1", "anon-2", "user-1", "user-2"]);
    await until("the deletion done", async () => (await app.db.profileDeletion.findUniqueOrThrow({ where: { id: deletionId } })).status === "done", 30_000);
    expect(await query(duckdb, "SELECT count(*)::INT AS n FROM events WHERE project_id = $1", [projectId])).toEqual([{ n: 0 }]);
  }, 90_000);
});
