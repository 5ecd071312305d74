import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newWebhookEndpointId, newWebhookSecret } from "../../src/core/webhooks";
import { createLogger } from "../../src/platform/logger";
import { createTestApp, type TestApp } from "../../src/testing/app";
import { enqueueWebhookDelivery, retryDelay, startWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from "./webhook-dispatcher";
import { startReceiver, verifyStandardWebhook, type TestReceiver } from "./webhook-testing";

let app: TestApp;
let projectId: string;
let otherProjectId: string;
let hook: TestReceiver;
let other: TestReceiver;
const dispatchers: WebhookDispatcher[] = [];
const log = createLogger("webhook-test", "silent");

beforeAll(async () => {
  app = await createTestApp();
  const { user, orgId } = await app.signUp("hooks-owner@example.com");
  projectId = (await app.caller(user).projects.create({ orgId, name: "Hooks" })).id;
  otherProjectId = (await app.caller(user).projects.create({ orgId, name: "Other" })).id;
  [hook, other] = await Promise.all([startReceiver(), startReceiver()]);
});
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.stop()));
  hook.received.length = 0;
  other.received.length = 0;
  hook.answer((_req, res) => res.writeHead(204).end());
});
afterAll(async () => {
  await Promise.all([hook?.close(), other?.close()]);
  await app?.close();
});

/** Endpoints are inserted directly: the router refuses private URLs, which only the worker's allow list admits. */
async function endpoint(url: string, project = projectId) {
  return app.db.webhookEndpoint.create({ data: { id: newWebhookEndpointId(), projectId: project, url, secret: newWebhookSecret() } });
}

function dispatcher(overrides: Partial<WebhookDispatcherOptions> = {}) {
  const started = startWebhookDispatcher({ db: app.db, log, allowHosts: ["127.0.0.1"], pollIntervalMs: 50, retryDelaysMs: [], timeoutMs: 2000, ...overrides });
  dispatchers.push(started);
  return started;
}

let sequence = 0;
async function enqueue(endpointId: string, payload: unknown = { type: "trigger.fired", n: sequence }, project = projectId) {
  const deliveryId = `msg_test${++sequence}`;
  const outcome = await enqueueWebhookDelivery(app.db, { deliveryId, endpointId, projectId: project, triggerId: null, payload });
  return { deliveryId, outcome };
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const settled = (deliveryId: string) =>
  waitFor(async () => {
    const delivery = await app.db.webhookDelivery.findUniqueOrThrow({
      where: { id: deliveryId },
      include: { attemptLog: { orderBy: { attempt: "asc" } } },
    });
    return delivery.status !== "pending" ? delivery : undefined;
  });

describe("webhook delivery", () => {
  it("POSTs the payload signed so that a Standard Webhooks verifier accepts it", async () => {
    const target = await endpoint(hook.url());
    dispatcher();
    const { deliveryId, outcome } = await enqueue(target.id, { type: "trigger.fired", amount: 12000, name: "Zoë" });
    expect(outcome).toBe("queued");
    const delivery = await settled(deliveryId);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 204, lastError: null });
    expect(delivery.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, error: null })]);

    const [request] = hook.received;
    expect(JSON.parse(request!.body)).toEqual({ type: "trigger.fired", amount: 12000, name: "Zoë" });
    expect(request!.headers["webhook-id"]).toBe(deliveryId);
    expect(verifyStandardWebhook(target.secret, request!.headers, request!.body, Date.now() / 1000)).toBe(true);
    expect(verifyStandardWebhook(newWebhookSecret(), request!.headers, request!.body, Date.now() / 1000)).toBe(false);
  });

  it("retries after 500s with growing pauses, keeps the webhook-id, then succeeds and clears the failure count", async () => {
    const target = await endpoint(hook.url("/flaky"));
    hook.answer((_req, res, index) => res.writeHead(index < 2 ? 500 : 200).end(index < 2 ? "try later" : "ok"));
    dispatcher({ retryDelaysMs: [150, 400, 1000] });
    const { deliveryId } = await enqueue(target.id);
    const delivery = await settled(deliveryId);

    expect(delivery).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 200 });
    expect(delivery.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, "HTTP 500: try later"],
      [2, 500, "HTTP 500: try later"],
      [3, 200, null],
    ]);
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([deliveryId]));
    const [first, second, third] = hook.received.map((r) => r.at);
    expect(second! - first!).toBeGreaterThanOrEqual(150 * 0.8 - 10);
    expect(third! - second!).toBeGreaterThanOrEqual(400 * 0.8 - 10);
    expect(third! - second!).toBeGreaterThan(second! - first!);
    expect((await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: target.id } })).consecutiveFailures).toBe(0);
  });

  it("gives up after the last retry and records every attempt", async () => {
    const target = await endpoint(hook.url("/down"));
    hook.answer((_req, res) => res.writeHead(503).end());
    dispatcher({ retryDelaysMs: [20, 20] });
    const { deliveryId } = await enqueue(target.id);
    const delivery = await settled(deliveryId);
    expect(delivery).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 503 });
    expect(delivery.attemptLog).toHaveLength(3);
    expect((await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: target.id } })).consecutiveFailures).toBe(1);
  });

  it("disables the endpoint on 410 Gone and queues nothing more for it", async () => {
    const target = await endpoint(hook.url("/gone"));
    hook.answer((_req, res) => res.writeHead(410).end());
    dispatcher({ retryDelaysMs: [20, 20] });
    const { deliveryId } = await enqueue(target.id);
    expect(await settled(deliveryId)).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410 });
    const disabled = await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: target.id } });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("410 Gone") });

    const later = await enqueue(target.id);
    expect(later.outcome).toBe("endpoint_disabled");
    expect(await app.db.webhookDelivery.findUniqueOrThrow({ where: { id: later.deliveryId } })).toMatchObject({ status: "failed", attempts: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.received).toHaveLength(1);
  });

  it("disables the endpoint after a run of deliveries that failed every attempt", async () => {
    const target = await endpoint(hook.url("/broken"));
    hook.answer((_req, res) => res.writeHead(500).end());
    dispatcher({ disableAfterFailedDeliveries: 3 });
    for (let i = 0; i < 3; i++) await settled((await enqueue(target.id)).deliveryId);
    expect(await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: target.id } })).toMatchObject({
      enabled: false,
      consecutiveFailures: 3,
      disabledReason: expect.stringContaining("3 deliveries in a row failed every attempt"),
    });
  });

  it("records a timeout as a failed attempt", async () => {
    const target = await endpoint(hook.url("/slow"));
    hook.answer(() => undefined);
    dispatcher({ timeoutMs: 300 });
    const delivery = await settled((await enqueue(target.id)).deliveryId);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: null, lastError: "timed out after 300 ms" });
    expect(delivery.attemptLog[0]!.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it.each([
    ["loopback that is not allow-listed", () => hook.url("/private"), "loopback"],
    ["a private network address", () => "http://10.0.0.1/hook", "private"],
    ["the cloud metadata address", () => "http://169.254.169.254/latest/meta-data/", "link-local"],
    ["IPv6 loopback", () => `http://[::1]:${hook.port()}/hook`, "loopback"],
    ["a host name that resolves to loopback", () => `http://localhost:${hook.port()}/hook`, "localhost resolves to"],
  ])("refuses %s, records why, and never connects", async (_name, url, reason) => {
    const target = await endpoint(url());
    dispatcher({ allowHosts: [], retryDelaysMs: [20, 20] });
    const delivery = await settled((await enqueue(target.id)).deliveryId);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: null, lastError: expect.stringContaining(reason) });
    expect(delivery.attemptLog).toEqual([expect.objectContaining({ statusCode: null, error: expect.stringMatching(/^refused: /) })]);
    expect(hook.received).toHaveLength(0);
  });

  it("refuses to follow a redirect to a private address", async () => {
    const target = await endpoint(hook.url("/moved"));
    hook.answer((_req, res) => res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end());
    dispatcher();
    const delivery = await settled((await enqueue(target.id)).deliveryId);
    expect(delivery).toMatchObject({ status: "failed", lastStatusCode: 302, lastError: expect.stringContaining("redirects are not followed") });
    expect(hook.received).toHaveLength(1);
  });

  it("sends a delivery enqueued twice only once", async () => {
    const target = await endpoint(hook.url("/once"));
    const request = { deliveryId: "msg_same_firing", endpointId: target.id, projectId, triggerId: null, payload: { n: 1 } };
    expect(await enqueueWebhookDelivery(app.db, request)).toBe("queued");
    expect(await enqueueWebhookDelivery(app.db, request)).toBe("duplicate");
    dispatcher();
    await settled("msg_same_firing");
    expect(await enqueueWebhookDelivery(app.db, request)).toBe("duplicate");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.received).toHaveLength(1);
  });

  it("refuses an endpoint of another project, an unknown endpoint, and a payload that is not JSON", async () => {
    const foreign = await endpoint(hook.url("/foreign"), otherProjectId);
    expect((await enqueue(foreign.id)).outcome).toBe("endpoint_missing");
    expect((await enqueue("whe_doesnotexist")).outcome).toBe("endpoint_missing");
    const target = await endpoint(hook.url("/json"));
    await expect(enqueue(target.id, { at: new Date(), f: () => 1 })).rejects.toThrow();
  });

  it("shares the work between several dispatchers without sending anything twice", async () => {
    const target = await endpoint(hook.url("/many"));
    hook.answer((_req, res) => setTimeout(() => res.writeHead(200).end(), 20));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await enqueue(target.id)).deliveryId);
    dispatcher({ concurrency: 4 });
    dispatcher({ concurrency: 4 });
    dispatcher({ concurrency: 4 });
    await waitFor(async () => (await app.db.webhookDelivery.count({ where: { id: { in: ids }, status: "delivered" } })) === ids.length);
    expect(hook.received).toHaveLength(ids.length);
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"])).size).toBe(ids.length);
  });

  it("sends right after wake() instead of waiting for the next poll, and counts results in the metrics", async () => {
    const target = await endpoint(hook.url("/wake"));
    const metrics = new Registry();
    const started = dispatcher({ pollIntervalMs: 60_000, metrics });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first, empty poll is done
    const { deliveryId } = await enqueue(target.id);
    const before = Date.now();
    started.wake();
    await settled(deliveryId);
    expect(Date.now() - before).toBeLessThan(1000);
    const text = await metrics.metrics();
    expect(text).toContain('webhook_deliveries_total{result="delivered"} 1');
    expect(text).toContain("webhook_delivery_latency_seconds_count 1");
  });

  it("prunes finished deliveries past the retention period but never pending ones", async () => {
    const target = await endpoint(hook.url("/old"));
    const old = new Date(Date.now() - 40 * 86_400_000);
    await app.db.$executeRaw`INSERT INTO webhook_deliveries (id, endpoint_id, project_id, payload, status, next_attempt_at, created_at, updated_at) VALUES
      ('msg_old_done', ${target.id}, ${projectId}, '{}'::jsonb, 'delivered', ${old}, ${old}, ${old}),
      ('msg_old_pending', ${target.id}, ${projectId}, '{}'::jsonb, 'pending', now() + interval '1 day', ${old}, ${old})`;
    dispatcher({ retainDays: 30 });
    await waitFor(async () => (await app.db.webhookDelivery.count({ where: { id: "msg_old_done" } })) === 0);
    expect(await app.db.webhookDelivery.count({ where: { id: "msg_old_pending" } })).toBe(1);
  });

  it("spreads retry pauses by ±20 % and stops after the schedule", () => {
    expect(retryDelay([1000, 5000], 1, () => 0)).toBe(800);
    expect(retryDelay([1000, 5000], 2, () => 1)).toBe(6000);
    expect(retryDelay([1000, 5000], 3)).toBeNull();
  });
});
