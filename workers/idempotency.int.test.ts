/**
 * A client event_id is the idempotency key across requests (issue #13): the whole worker on the
 * real broker and on the embedded log, events in through the worker's ingest, the Next route's
 * handler (REST produce to the gateway) and the browser SDK, out in DuckDB. Resends (spaced in
 * time, after a 503 whose write still landed) are stored once and fire their rule once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createIngestHandler, type OutgoingRecord } from "../edge/ingest";
import { upstashProducer } from "../edge/upstash-producer";
import { resolveApiKey } from "../src/platform/resolve-key";
import { createTestApp, type TestApp } from "../src/testing/app";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { until } from "../src/testing/until";
import { queryDuckDB as query } from "./query/testing";

const GATEWAY_TOKEN = "gateway-token-for-idempotency-tests";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PrismSdk {
  init(options: { key: string; host: string; flushIntervalMs?: number; batchSize?: number }): void;
  identify(id: string, props?: Record<string, unknown>): void;
  track(name: string, props?: Record<string, unknown>): void;
  flush(): Promise<void>;
  pending(): number;
}

describe.each([
  ["the real broker", "kafka"],
  ["the embedded log (npm start)", "embedded"],
] as const)("idempotency by event_id on %s", (_title, bus) => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker;
  let projectId: string;
  let apiKey: string;
  let triggerId: string;
  const prefix = `idempotency-${bus}-${Date.now()}`;

  const workerUrl = () => `http://127.0.0.1:${worker.port}`;
  const resolveKey = (key: string) => resolveApiKey(app.db, key);
  /** The Next route's handler: the same edge/ code, producing over REST to the worker's gateway. */
  const restProducer = () => upstashProducer({ url: workerUrl(), username: "prism", password: GATEWAY_TOKEN });
  const toBus = (records: OutgoingRecord[]) =>
    worker.bus.produce(records.map((record) => ({ topic: record.topic, key: record.key, value: record.value, headers: record.headers }))).then(() => undefined);

  const request = (body: unknown, kind: "events" | "batch" = "batch") =>
    new Request(`http://edge.test/api/v1/${kind === "batch" ? "events/batch" : "events"}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify(body),
    });
  const toWorker = (body: unknown, kind: "events" | "batch" = "batch") =>
    fetch(`${workerUrl()}/api/v1/${kind === "batch" ? "events/batch" : "events"}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify(body),
    });

  /** Stored rows per event_id of one profile, once a later event of that profile (same partition, so behind them) is stored. */
  async function storedAfterSentinel(profileId: string): Promise<{ events: Map<string, number>; firings: Map<string, number> }> {
    const sentinel = `sentinel-${profileId}-${Date.now()}`;
    expect((await toWorker({ event_name: "page_view", event_id: sentinel, profile_id: profileId }, "events")).status).toBe(202);
    await until(`the sentinel of ${profileId}`, async () => {
      const rows = await query(worker.duckdb!, "SELECT 1 FROM events WHERE project_id = $1 AND event_id = $2", [projectId, sentinel]);
      return rows.length === 1;
    });
    const count = async (table: string) => {
      const rows = await query(
        worker.duckdb!,
        `SELECT event_id, count(*)::INT AS n FROM ${table} WHERE project_id = $1 AND profile_id = $2 AND event_id <> $3 GROUP BY event_id`,
        [projectId, profileId, sentinel],
      );
      return new Map(rows.map((row) => [String(row.event_id), Number(row.n)]));
    };
    return { events: await count("events"), firings: await count("trigger_logs") };
  }

  const deduplicated = async () => {
    const text = await (await fetch(`${workerUrl()}/metrics`)).text();
    const line = text.split("\n").find((entry) => entry.startsWith('events_deduplicated_total{kind="event"}'));
    return line ? Number(line.split(" ").pop()) : 0;
  };

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-idempotency-"));
    const { user, orgId } = await app.signUp("idempotency@example.com");
    const caller = app.caller(user);
    projectId = (await caller.projects.create({ orgId, name: "Shop" })).id;
    apiKey = (await caller.apiKeys.create({ projectId, name: "server" })).secret;
    triggerId = (
      await caller.triggers.create({
        projectId,
        trigger: { name: "Purchase", rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 },
      })
    ).id;
    worker = await startWorker(
      workerEnv({
        DATABASE_URL: app.url,
        ...(bus === "kafka" ? { KAFKA_BROKERS: inject("kafkaBrokers") } : {}),
        DUCKDB_PATH: path.join(dir, "prism.duckdb"),
        WORKER_PORT: "0",
        CONSUMER_GROUP_PREFIX: prefix,
        GATEWAY_TOKEN,
        INGEST_KEY_CACHE_MS: "0",
        LOG_LEVEL: "warn",
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stores an event_id sent three times (twice to the worker 2.5 s apart, once through the Next route) once, and fires its rule once", async () => {
    const before = await deduplicated();
    const event = { event_name: "purchase", event_id: `order-${bus}-1001`, profile_id: "dana", props: { amount: 4900 } };
    expect((await toWorker(event, "events")).status).toBe(202);
    await sleep(2500);
    expect((await toWorker([event])).status).toBe(202);
    const next = createIngestHandler({ resolveKey, produce: restProducer() });
    expect((await next.events(request(event, "events"))).status).toBe(202);

    const stored = await storedAfterSentinel("dana");
    expect(Object.fromEntries(stored.events)).toEqual({ [event.event_id]: 1 });
    expect(Object.fromEntries(stored.firings)).toEqual({ [event.event_id]: 1 });
    expect(await until("the two resends counted", async () => (await deduplicated()) - before === 2 && true)).toBe(true);
    const firing = await query(worker.duckdb!, "SELECT trigger_id FROM trigger_logs WHERE project_id = $1 AND event_id = $2", [projectId, event.event_id]);
    expect(firing).toEqual([{ trigger_id: triggerId }]);
  }, 60_000);

  it.each([
    // The late write lands after the resend on the worker path, before it on the Next path.
    ["the worker's ingest", "worker", 3000],
    ["the Next route's handler", "next", 500],
  ] as const)(
    "stores each event once when a 503 was answered but %s's write landed anyway, and the client resent with the event_ids the 503 gave",
    async (_name, route, landsAfterMs) => {
      const profileId = `olga-${route}`;
      const write = route === "worker" ? toBus : restProducer();
      let landed = false;
      const outage = createIngestHandler({
        resolveKey,
        produce: async (records) => {
          await sleep(landsAfterMs);
          await write(records);
          landed = true;
        },
        limits: { produceTimeoutMs: 200, retryAfterSeconds: 1 },
      });
      const batch = [
        { event_name: "purchase", event_id: `client-${route}-1`, profile_id: profileId, props: { amount: 1 } },
        { event_name: "purchase", profile_id: profileId, props: { amount: 2 } },
        { event_name: "purchase", profile_id: profileId, props: { amount: 3 } },
      ];
      const refused = await outage.batch(request(batch));
      expect(refused.status).toBe(503);
      const body = (await refused.json()) as { error: string; stored: string; resend: string; events: Array<{ index: number; event_id: string }> };
      expect(body).toMatchObject({ error: "unavailable", stored: "unknown", resend: "same_event_id" });
      expect(body.events.map((event) => event.index)).toEqual([0, 1, 2]);
      const single = await outage.events(request({ event_name: "purchase", profile_id: profileId, props: { amount: 4 } }, "events"));
      expect(single.status).toBe(503);
      const singleId = ((await single.json()) as { event_id: string }).event_id;

      // The client obeys Retry-After and resends the same events with the ids it was given.
      await sleep(Number(refused.headers.get("retry-after")) * 1000);
      const resend = batch.map((event, index) => ({ ...event, event_id: body.events[index]!.event_id }));
      resend.push({ event_name: "purchase", event_id: singleId, profile_id: profileId, props: { amount: 4 } });
      const again = route === "worker" ? await toWorker(resend) : await createIngestHandler({ resolveKey, produce: restProducer() }).batch(request(resend));
      expect(again.status).toBe(202);
      await until("the late write", async () => landed);

      const stored = await storedAfterSentinel(profileId);
      const expected = Object.fromEntries(resend.map((event) => [event.event_id, 1]));
      expect(Object.fromEntries(stored.events)).toEqual(expected);
      expect(Object.fromEntries(stored.firings)).toEqual(expected);
    },
    60_000,
  );

  it("the browser SDK resends a batch after a 503 with the same event_ids, so events the server did store are not duplicated", async () => {
    const sdk = (await import(pathToFileURL(path.resolve(import.meta.dirname, "../public/sdk/prism.js")).href)) as PrismSdk;
    const realFetch = globalThis.fetch;
    const answered: number[] = [];
    const sentAt: number[] = [];
    // The first batch is stored, but the SDK is told 503 (the answer came too late).
    globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes("/api/v1/events/batch?key=")) return realFetch(input, init);
      sentAt.push(Date.now());
      const response = await realFetch(input, init);
      answered.push(response.status);
      if (answered.length > 1) return response;
      return new Response(JSON.stringify({ error: "unavailable" }), { status: 503, headers: { "retry-after": "1" } });
    };
    try {
      sdk.init({ key: apiKey, host: workerUrl(), flushIntervalMs: 100, batchSize: 100 });
      sdk.identify(`sdk-user-${bus}`, { plan: "pro" });
      for (let i = 0; i < 3; i++) sdk.track("purchase", { amount: i });
      await sdk.flush();
      await until("the SDK's resend accepted", async () => answered.length >= 2 && sdk.pending() === 0);
      expect(answered).toEqual([202, 202]);
      // It waited out Retry-After before resending.
      expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(950);
    } finally {
      globalThis.fetch = realFetch;
    }
    const stored = await storedAfterSentinel(`sdk-user-${bus}`);
    expect([...stored.events.values()]).toEqual([1, 1, 1]);
    expect([...stored.firings.values()]).toEqual([1, 1, 1]);
  }, 60_000);
});
