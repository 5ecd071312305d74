/**
 * The ingest routes as the OpenAPI document describes them, on real services: the ingest handler
 * the /api/v1 route modules serve (edge/ingest.ts), keys resolved from PostgreSQL, events produced
 * through the worker's gateway to a real Kafka broker. Each documented call answers with a
 * documented status and a body matching that status's schema; only write keys ingest.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { z } from "zod";
import { createIngestHandler, type IngestHandler } from "@edge/ingest";
import { upstashProducer } from "@edge/upstash-producer";
import { resolveApiKey } from "~/platform/resolve-key";
import { createTestApp, type TestApp } from "~/testing/app";
import { startWorker, type RunningWorker } from "../../../workers/main";
import { workerEnv } from "../../../workers/env";
import { ingestRoutes } from "./ingest-docs";
import { openApiDocument } from "./openapi";

const GATEWAY_TOKEN = "gateway-token-for-tests-0000";

let app: TestApp;
let worker: RunningWorker;
let ingest: IngestHandler;
const keys = { write: "", read: "", manage: "", organization: "" };

beforeAll(async () => {
  app = await createTestApp();
  const { user, orgId } = await app.signUp("ingest-docs@example.com");
  const caller = app.caller(user);
  const projectId = (await caller.projects.create({ orgId, name: "Ingest docs" })).id;
  await caller.trackingPlan.createEventType({
    projectId,
    eventType: { name: "purchase", description: "", fields: [{ name: "amount", dataType: "number", required: true }] },
  });
  await caller.projects.updateSettings({ projectId, settings: { planEnforcement: "enforce" } });
  for (const kind of ["write", "read", "manage"] as const) keys[kind] = (await caller.apiKeys.create({ projectId, name: kind, kind })).secret;
  keys.organization = (await caller.apiKeys.createForOrg({ orgId, name: "org" })).secret;
  worker = await startWorker(
    workerEnv({ PRISM_ROLE: "gateway", DATABASE_URL: app.url, KAFKA_BROKERS: inject("kafkaBrokers"), WORKER_PORT: "0", GATEWAY_TOKEN, LOG_LEVEL: "silent" }),
  );
  ingest = createIngestHandler({
    resolveKey: (key) => resolveApiKey(app.db, key),
    produce: upstashProducer({ url: `http://127.0.0.1:${worker.port}`, username: "prism", password: GATEWAY_TOKEN }),
    limits: { produceTimeoutMs: 5000 },
  });
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
});

const handlers: Record<string, (ingest: IngestHandler) => (request: Request) => Promise<Response>> = {
  "/api/v1/events": (handler) => handler.events,
  "/api/v1/events/batch": (handler) => handler.batch,
  "/api/v1/profiles": (handler) => handler.profiles,
};

function post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return handlers[path]!(ingest)(
    new Request(`http://app.test${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }),
  );
}

/** Calls of each documented ingest operation, each with the status it must answer. */
const calls: Record<string, Array<{ body: unknown; status: number }>> = {
  ingestEvent: [
    { body: { event_name: "purchase", profile_id: "p-1", props: { amount: 12.5 } }, status: 202 },
    { body: { event_type: "purchase", user_id: "p-2", timestamp: new Date().toISOString(), fields: { amount: 3 } }, status: 202 },
    { body: { type: "track", event: "purchase", userId: "p-3", properties: { amount: 1 } }, status: 202 },
    { body: { event_name: "purchase", profile_id: "p-4", props: { amount: "lots" } }, status: 422 },
    { body: { nothing: true }, status: 400 },
  ],
  ingestBatch: [
    {
      body: [
        { event_name: "purchase", props: { amount: 1 } },
        { type: "identify", userId: "p-5", traits: { plan: "pro" } },
      ],
      status: 202,
    },
    {
      body: {
        events: [
          { event_name: "purchase", props: { amount: 1 } },
          { event_name: "purchase", props: {} },
        ],
      },
      status: 207,
    },
    { body: [{ event_name: "purchase", props: {} }], status: 422 },
    { body: [], status: 400 },
  ],
  ingestProfile: [
    { body: { profile_id: "p-6", set: { plan: "pro" }, set_once: { first_seen: "2024-01-01" }, unset: ["trial"] }, status: 202 },
    { body: { type: "identify", userId: "p-7", anonymousId: "anon-7", traits: { plan: "free" } }, status: 202 },
    { body: { set: { plan: "pro" } }, status: 400 },
  ],
};

function documentedSchema(route: (typeof ingestRoutes)[number], status: number): z.ZodType {
  const response = route.responses[status];
  expect(response, `${route.path} documents ${status}`).toBeDefined();
  return response!.schema;
}

describe("the ingest routes in the OpenAPI document", () => {
  it("are listed with their request body, answers and the write key's security", () => {
    const document = openApiDocument();
    for (const route of ingestRoutes) {
      const operation = (document.paths[route.path] as Record<string, Record<string, unknown>>)[route.method.toLowerCase()]!;
      expect(operation).toMatchObject({ operationId: route.id, "x-prism-scope": "write", security: [{ ingestKey: [] }, { apiKey: [] }] });
      expect(Object.keys(operation.responses as object)).toEqual(expect.arrayContaining(["202", "400", "401", "429"]));
    }
    expect(document.components.securitySchemes.ingestKey).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
  });

  it("answer every documented call with the documented status and shape, with the key in X-API-Key or Bearer", async () => {
    for (const route of ingestRoutes) {
      const sent = calls[route.id];
      expect(sent, `no calls written for ${route.id}`).toBeDefined();
      for (const [index, { body, status }] of sent!.entries()) {
        const headers: Record<string, string> = index % 2 === 0 ? { "x-api-key": keys.write } : { authorization: `Bearer ${keys.write}` };
        const response = await post(route.path, body, headers);
        const label = `${route.id} #${index}`;
        expect(response.status, label).toBe(status);
        expect(response.headers.get("content-type"), label).toContain("application/json");
        const parsed = documentedSchema(route, status).safeParse(await response.json());
        expect(parsed.success, `${label}: ${parsed.error?.message}`).toBe(true);
      }
    }
  });

  it("refuse every key but a write key with the documented 401", async () => {
    for (const route of ingestRoutes) {
      for (const key of [null, keys.read, keys.manage, keys.organization, "ef_live_notarealkeynotarealkey00"]) {
        const response = await post(route.path, calls[route.id]![0]!.body, key ? { "x-api-key": key } : {});
        expect(response.status, `${route.id} with ${key?.slice(0, 12) ?? "no key"}`).toBe(401);
        expect(documentedSchema(route, 401).safeParse(await response.json()).success).toBe(true);
      }
    }
  });
});
