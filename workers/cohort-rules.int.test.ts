/**
 * `profile.in_cohort('vip')` through the real pipeline (embedded log, real PostgreSQL and DuckDB):
 * the rule fires only for members of a static cohort, follows a change of its members within the
 * worker's refresh, and the rule tester and the backtest answer with the same membership. A dynamic
 * cohort ("did purchase at least 3 times") is followed as events arrive, within the refresh. Saving
 * a rule naming a cohort the project does not have is refused with the key named.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "../src/server/api/trpc";
import { queryClient, setQueryServiceTarget, type QueryServiceTarget } from "../src/server/query-client";
import { createTestApp, type TestApp } from "../src/testing/app";
import { until } from "../src/testing/until";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { queryDuckDB as query } from "./query/testing";

const RULE = "event.name == 'purchase' && profile.in_cohort('vip')";
const BUYER_RULE = "event.name == 'login' && profile.in_cohort('buyers')";
/** Short, so the test sees a refresh; production's default is 30 s. */
const REFRESH_MS = 3000;

describe("cohorts in rules through the pipeline", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker | undefined;
  let target: QueryServiceTarget;
  let owner: SessionUser;
  let projectId: string;
  let cohortId: string;
  let triggerId: string;
  let buyerTriggerId: string;
  let apiKey: string;
  let seq = 0;

  const send = async (name: string, profileId: string) => {
    const response = await fetch(`http://127.0.0.1:${worker!.port}/api/v1/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ events: [{ event_name: name, event_id: `ev-${++seq}`, cts: Date.now(), profile_id: profileId, props: {} }] }),
    });
    expect(response.status, await response.clone().text()).toBe(202);
    return `ev-${seq}`;
  };
  const purchase = (profileId: string) => send("purchase", profileId);
  const stored = async (eventId: string) =>
    (await query(worker!.duckdb!, "SELECT count(*)::INT AS n FROM events WHERE project_id = $1 AND event_id = $2", [projectId, eventId]))[0]!.n === 1;
  const firings = async (profileId: string, trigger = triggerId) =>
    Number(
      (
        await query(worker!.duckdb!, "SELECT count(*)::INT AS n FROM trigger_logs WHERE project_id = $1 AND trigger_id = $2 AND profile_id = $3", [
          projectId,
          trigger,
          profileId,
        ])
      )[0]!.n,
    );
  /** Sends events for `profileId` until one fires `trigger`: proves the members the worker holds include it. */
  const firesFor = (profileId: string, timeoutMs: number, name = "purchase", trigger = triggerId) =>
    until(
      `a ${name} by ${profileId} to fire`,
      async () => {
        const before = await firings(profileId, trigger);
        await send(name, profileId);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (await firings(profileId, trigger)) > before;
      },
      timeoutMs,
      0,
    );
  /** The static members as the cohorts router sets them: the list in DuckDB, then a new version in PostgreSQL. */
  const setMembers = async (ids: string[]) => {
    await queryClient(target).cohorts.setStaticMembers.mutate({ projectId, cohortId, ids });
    await app.db.cohort.update({ where: { id: cohortId }, data: { version: { increment: 1 } } });
  };

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-cohort-rules-"));
    const { user, orgId } = await app.signUp("cohorts@example.com");
    owner = user;
    const caller = app.caller(owner);
    projectId = (await caller.projects.create({ orgId, name: "Shop" })).id;
    apiKey = (await caller.apiKeys.create({ projectId, name: "server" })).secret;
    cohortId = (await app.db.cohort.create({ data: { projectId, key: "vip", name: "VIPs", kind: "static" } })).id;
    const buyers = { match: "all", conditions: [{ kind: "behaviour", event: "purchase", filters: [], comparison: "at_least", count: 3, days: 30 }] };
    await app.db.cohort.create({ data: { projectId, key: "buyers", name: "Buyers", kind: "dynamic", definition: buyers } });
    // Created before the worker starts, so its first rule load has them.
    triggerId = (
      await caller.triggers.create({
        projectId,
        trigger: { name: "VIP purchase", rule: RULE, actions: [{ type: "notification", title: "VIP bought", body: "" }], enabled: true, cooldownSeconds: 0 },
      })
    ).id;
    buyerTriggerId = (
      await caller.triggers.create({ projectId, trigger: { name: "Buyer back", rule: BUYER_RULE, actions: [], enabled: true, cooldownSeconds: 0 } })
    ).id;
    worker = await startWorker(
      workerEnv({
        DATABASE_URL: app.url,
        DUCKDB_PATH: path.join(dir, "prism.duckdb"),
        WORKER_PORT: "0",
        CONSUMER_GROUP_PREFIX: `cohort-rules-${Date.now()}`,
        INGEST_KEY_CACHE_MS: "0",
        COHORT_REFRESH_MS: String(REFRESH_MS),
        LOG_LEVEL: "warn",
      }),
    );
    target = { url: `http://127.0.0.1:${worker.port}`, secret: workerEnv({ DATABASE_URL: app.url }).INTERNAL_SECRET };
    setQueryServiceTarget(target);
    // The sink creates its tables with its first write: one event before the upload.
    const first = await purchase("carol");
    await until("the first event to be stored", () => stored(first), 30_000);
    await setMembers(["alice"]);
  }, 120_000);

  afterAll(async () => {
    setQueryServiceTarget(null);
    await worker?.stop();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses to save a rule naming a cohort the project does not have, naming the key", async () => {
    await expect(
      app.caller(owner).triggers.create({
        projectId,
        trigger: { name: "Typo", rule: "profile.in_cohort('vips')", actions: [], enabled: true, cooldownSeconds: 0 },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("unknown cohort 'vips'; did you mean 'vip'?") });
    expect(await app.caller(owner).triggers.check({ projectId, rule: RULE })).toEqual({ ok: true, warnings: [], windowNeeds: [], cohortKeys: ["vip"] });
  });

  it("fires for members only, and follows a change of the members within the refresh", async () => {
    // The members load within seconds of the worker's start (and of the upload's new version).
    await firesFor("alice", 30_000);
    const bobsPurchase = await purchase("bob");
    await until("bob's purchase to be stored", () => stored(bobsPurchase));
    // Firings are written beside events; give the sink a moment before counting none.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await firings("bob")).toBe(0);

    await setMembers(["bob"]);
    // A new version is seen at the registry's next reload (2 s) and loaded at once; the refresh bounds it
    // anyway (plus slack for the pipeline on a busy machine).
    await firesFor("bob", 2000 + REFRESH_MS + 15_000);
    const alicesBefore = await firings("alice");
    const alicesPurchase = await purchase("alice");
    const bobsLast = await purchase("bob");
    await until("the last purchases to be stored", async () => (await stored(alicesPurchase)) && (await stored(bobsLast)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await firings("alice")).toBe(alicesBefore);
  }, 90_000);

  it("follows a dynamic cohort as events arrive, within the refresh, without any edit", async () => {
    const login = await send("login", "dave");
    await until("dave's first login to be stored", () => stored(login));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await firings("dave", buyerTriggerId)).toBe(0);
    const purchases = [await purchase("dave"), await purchase("dave"), await purchase("dave")];
    await until("dave's purchases to be stored", async () => (await Promise.all(purchases.map(stored))).every(Boolean));
    // Three purchases make dave a buyer at the cohort's next refresh: no version changed.
    await firesFor("dave", REFRESH_MS + 15_000, "login", buyerTriggerId);
  }, 60_000);

  it("gives the rule tester and the backtest the membership the worker has", async () => {
    const caller = app.caller(owner);
    const sample = (profileId: string | null) => ({ projectId, rule: RULE, event: { name: "purchase", props: {}, profile_id: profileId } });
    expect(await caller.triggers.test(sample("bob"))).toMatchObject({ result: true });
    expect(await caller.triggers.test(sample("alice"))).toMatchObject({ result: false });
    expect(await caller.triggers.test(sample(null))).toMatchObject({ result: false });

    const bobsPurchases = Number(
      (await query(worker!.duckdb!, "SELECT count(*)::INT AS n FROM events WHERE project_id = $1 AND profile_id = 'bob'", [projectId]))[0]!.n,
    );
    const page = await caller.triggers.backtest({ projectId, rule: RULE, days: 1 });
    // Membership is today's for every stored event: all of bob's purchases, none of alice's.
    expect(page.summary.topProfiles).toEqual([{ person: "bob", fired: bobsPurchases }]);
  });
});
