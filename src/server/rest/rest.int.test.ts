/**
 * The public REST API through the real Next route handlers, real PostgreSQL and a running query
 * service (real DuckDB): every documented route answers as the OpenAPI document says, every scope
 * is enforced, no key reaches another project, and REST answers equal the UI's tRPC answers.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createLogger } from "~/platform/logger";
import type { SessionUser } from "~/server/api/trpc";
import { setQueryServiceTarget } from "~/server/query-client";
import { createTestApp, type TestApp } from "~/testing/app";
import { closeServer, listen, Routes } from "../../../workers/http-server";
import { createQueryService } from "../../../workers/query/service";
import { insertEvents, insertProfiles } from "../../../workers/query/testing";
import { ensureAnalyticsSchema } from "../../../workers/sink/schema";
import { openApiDocument } from "./openapi";
import { REST_RATE } from "./handler";
import { ingestRoutes } from "./ingest-docs";
import { restRoutes } from "./routes";

const SECRET = "rest-test-internal-secret-0123";
const RANGE = { from: "2024-03-09T00:00:00Z", to: "2024-03-12T00:00:00Z" };
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;
type Module = Partial<Record<"GET" | "POST" | "PUT" | "DELETE", Handler>>;

/** A route module's handlers; Next passes each its own params type, the test one record. */
const asModule = (module: unknown) => module as Module;

let app: TestApp;
let duckdb: DuckDBInstance;
let server: Server;
let owner: SessionUser;
let projectId: string;
let otherProjectId: string;
let savedReportId: string;
let otherSavedReportId: string;
let routes: Array<[RegExp, Module, string[]]>;
let internalResolve: (request: Request) => Promise<Response>;
const keys = { write: "", read: "", manage: "", otherRead: "", otherManage: "", organization: "" };

beforeAll(async () => {
  app = await createTestApp();
  // The route modules read their configuration from the environment, like the deployed app.
  process.env.DATABASE_URL = app.url;
  process.env.INTERNAL_SECRET = SECRET;
  duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
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

  const mine = await app.signUp("rest-owner@example.com", "Owner");
  owner = mine.user;
  projectId = (await app.caller(owner).projects.create({ orgId: mine.orgId, name: "Shop" })).id;
  const theirs = await app.signUp("rest-other@example.com", "Other");
  otherProjectId = (await app.caller(theirs.user).projects.create({ orgId: theirs.orgId, name: "Theirs" })).id;
  const steps = ["view", "cart", "purchase"];
  const events = (project: string, prefix: string) =>
    ["u1", "u2", "u3"].flatMap((profile, p) =>
      steps.slice(0, 3 - p).map((name, s) => ({
        project_id: project,
        event_id: `${prefix}-${profile}-${name}`,
        event_name: name,
        profile_id: profile,
        ts: Date.parse("2024-03-10T10:00:00Z") + p * 3_600_000 + s * 60_000,
        props: { amount: 10 * (s + 1), plan: p === 0 ? "pro" : "free" },
        ctx: {},
        browser: null,
        os: null,
        device_type: null,
      })),
    );
  await insertEvents(connection, [...events(projectId, "mine"), ...events(otherProjectId, "theirs")]);
  await insertProfiles(
    connection,
    new Map<string, Record<string, string>>([
      [`${projectId}\u0000u1`, { plan: "pro", email: "u1@example.com" }],
      [`${otherProjectId}\u0000u2`, { plan: "secret-of-theirs" }],
    ]),
  );
  connection.closeSync();

  for (const kind of ["write", "read", "manage"] as const) keys[kind] = (await app.caller(owner).apiKeys.create({ projectId, name: kind, kind })).secret;
  keys.organization = (await app.caller(owner).apiKeys.createForOrg({ orgId: mine.orgId, name: "org" })).secret;
  keys.otherRead = (await app.caller(theirs.user).apiKeys.create({ projectId: otherProjectId, name: "r", kind: "read" })).secret;
  keys.otherManage = (await app.caller(theirs.user).apiKeys.create({ projectId: otherProjectId, name: "m", kind: "manage" })).secret;
  const report = { kind: "trend" as const, definition: { range: RANGE, interval: "day" as const, series: [{ event: "purchase" }] } };
  savedReportId = (await app.caller(owner).savedReports.create({ projectId, name: "Purchases", spec: report })).id;
  otherSavedReportId = (await app.caller(theirs.user).savedReports.create({ projectId: otherProjectId, name: "Theirs", spec: report })).id;

  routes = [
    [/^\/api\/v1\/reports\/(query|funnel|trend|segment|paths)$/, {}, []],
    [/^\/api\/v1\/reports\/export\/([^/]+)$/, asModule(await import("~/app/api/v1/reports/export/[reportId]/route")), ["reportId"]],
    [/^\/api\/v1\/events$/, await import("~/app/api/v1/events/route"), []],
    [/^\/api\/v1\/events\/([^/]+)$/, asModule(await import("~/app/api/v1/events/[eventId]/route")), ["eventId"]],
    [/^\/api\/v1\/profiles\/([^/]+)$/, asModule(await import("~/app/api/v1/profiles/[profileId]/route")), ["profileId"]],
    [/^\/api\/v1\/projects$/, await import("~/app/api/v1/projects/route"), []],
    [/^\/api\/v1\/triggers$/, await import("~/app/api/v1/triggers/route"), []],
    [/^\/api\/v1\/triggers\/test$/, await import("~/app/api/v1/triggers/test/route"), []],
    [/^\/api\/v1\/attributes$/, await import("~/app/api/v1/attributes/route"), []],
    [/^\/api\/v1\/api-keys$/, await import("~/app/api/v1/api-keys/route"), []],
    [/^\/api\/v1\/openapi\.json$/, await import("~/app/api/v1/openapi.json/route"), []],
  ];
  const reports: Record<string, Module> = {
    query: await import("~/app/api/v1/reports/query/route"),
    funnel: await import("~/app/api/v1/reports/funnel/route"),
    trend: await import("~/app/api/v1/reports/trend/route"),
    segment: await import("~/app/api/v1/reports/segment/route"),
    paths: await import("~/app/api/v1/reports/paths/route"),
  };
  routes[0]![1] = new Proxy({} as Module, {
    get: (_target, method: string) => (request: Request) =>
      reports[new URL(request.url).pathname.split("/").pop()!]![method as "POST"]!(request, { params: Promise.resolve({}) }),
  });
  ({ POST: internalResolve } = await import("~/app/api/internal/keys/resolve/route"));
});

afterAll(async () => {
  setQueryServiceTarget(null);
  if (server) await closeServer(server);
  duckdb?.closeSync();
  await app?.close();
});

interface Sent {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  /** A body that arrives as a stream (one that fails part-way, as a dropped client's does). */
  bodyStream?: ReadableStream<Uint8Array>;
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** One request through the route module Next would pick for `path`. */
async function send(method: "GET" | "POST" | "PUT" | "DELETE", path: string, sent: Sent = {}): Promise<Response> {
  const url = new URL(`http://app.test${path}`);
  for (const [name, value] of Object.entries(sent.query ?? {})) url.searchParams.set(name, typeof value === "string" ? value : JSON.stringify(value));
  const headers: Record<string, string> = { ...(sent.key ? { authorization: `Bearer ${sent.key}` } : {}), ...sent.headers };
  const body = sent.rawBody ?? (sent.body === undefined ? undefined : JSON.stringify(sent.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  const request = new Request(url, { method, headers, body: sent.bodyStream ?? body, ...(sent.bodyStream ? { duplex: "half" } : {}) } as RequestInit);
  for (const [pattern, module, names] of routes) {
    const match = url.pathname.match(pattern);
    if (!match) continue;
    const handler = module[method];
    if (!handler) throw new Error(`${method} ${path} has no handler`);
    return handler(request, { params: Promise.resolve(Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]))) });
  }
  throw new Error(`No route module for ${path}`);
}

async function json(response: Response): Promise<unknown> {
  return JSON.parse(await response.text());
}

/** What tRPC answers, as JSON (dates become ISO strings, as the REST body has them). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

function withoutComputed(answer: unknown): unknown {
  const { computedAt, cached, ...report } = answer as { computedAt: unknown; cached: unknown };
  expect(typeof computedAt).toBe("string");
  expect(typeof cached).toBe("boolean");
  return report;
}

const trigger = (name: string) => ({ name, rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 });

/** A valid call of every documented operation, by operationId, with the key kind it needs. */
function validCall(operationId: string): { path: string; sent: Sent } {
  switch (operationId) {
    case "reportQuery":
      return { path: "/api/v1/reports/query", sent: { body: { definition: { range: RANGE, groupBy: ["event_name"] } } } };
    case "reportFunnel":
      return {
        path: "/api/v1/reports/funnel",
        sent: { body: { definition: { range: RANGE, steps: [{ event: "view" }, { event: "cart" }, { event: "purchase" }] } } },
      };
    case "reportTrend":
      return { path: "/api/v1/reports/trend", sent: { body: { definition: { range: RANGE, interval: "day", series: [{ event: "view" }] } } } };
    case "reportSegment":
      return { path: "/api/v1/reports/segment", sent: { body: { definition: { range: RANGE, event: null, breakdown: "props.plan" } } } };
    case "reportPaths":
      return { path: "/api/v1/reports/paths", sent: { body: { definition: { range: RANGE, event: "view", direction: "after", depth: 2 } } } };
    case "reportExport":
      return { path: `/api/v1/reports/export/${savedReportId}`, sent: { query: { format: "csv" } } };
    case "eventList":
      return { path: "/api/v1/events", sent: { query: { limit: 5 } } };
    case "eventGet":
      return { path: "/api/v1/events/mine-u1-cart", sent: {} };
    case "profileGet":
      return { path: "/api/v1/profiles/u1", sent: {} };
    case "projectList":
      return { path: "/api/v1/projects", sent: {} };
    case "projectCreate":
      return { path: "/api/v1/projects", sent: { body: { name: "New" } } };
    case "triggerList":
      return { path: "/api/v1/triggers", sent: {} };
    case "triggerCreate":
      return { path: "/api/v1/triggers", sent: { body: { trigger: trigger(`Documented ${Math.random()}`) } } };
    case "triggerTest":
      return { path: "/api/v1/triggers/test", sent: { body: { rule: "event.props.amount > 5", event: { name: "purchase", props: { amount: 10 } } } } };
    case "attributeList":
      return { path: "/api/v1/attributes", sent: {} };
    case "attributeCreate":
      return {
        path: "/api/v1/attributes",
        sent: { body: { attribute: { entity: "event", name: `attr_${Date.now()}`, type: "number", itemsType: null, indexed: false } } },
      };
    case "apiKeyList":
      return { path: "/api/v1/api-keys", sent: {} };
    case "apiKeyCreate":
      return { path: "/api/v1/api-keys", sent: { body: { name: "from a script", kind: "read" } } };
    default:
      throw new Error(`No valid call written for ${operationId}: add one here`);
  }
}

describe("the OpenAPI document", () => {
  it("is served at /api/v1/openapi.json as OpenAPI 3.1 listing every route", async () => {
    const response = await send("GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const document = (await json(response)) as ReturnType<typeof openApiDocument>;
    expect(document.openapi).toBe("3.1.0");
    const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual([...restRoutes, ...ingestRoutes].map((route) => `${route.method} ${route.path}`).sort());
  });

  it("matches what every route answers: the documented status and the documented shape", async () => {
    const document = openApiDocument();
    for (const route of restRoutes) {
      const operation = (
        document.paths[route.path] as Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>
      )[route.method.toLowerCase()]!;
      const { path, sent } = validCall(operation.operationId);
      // Organisation routes are documented for organisation keys; src/server/rest/org-keys.int.test.ts covers project keys on them.
      const response = await send(route.method, path, { ...sent, key: route.target === "organization" ? keys.organization : keys[route.scope] });
      const label = `${route.method} ${route.path}`;
      const [documented] = Object.keys(operation.responses).filter((status) => /^[2]/.test(status) || status === String(route.status));
      expect(response.status, label).toBe(Number(documented));
      const contentType = response.headers.get("content-type") ?? "";
      expect(
        Object.keys(operation.responses[documented!]!.content ?? {}).some((type) => contentType.startsWith(type)),
        `${label}: ${contentType}`,
      ).toBe(true);
      if (route.kind === "procedure") {
        const parsed = (route.response as z.ZodType).safeParse(await json(response));
        expect(parsed.success, `${label}: ${parsed.error?.message}`).toBe(true);
      } else {
        expect((await response.text()).split("\n")[0]).toMatch(/bucket|date|series|value/i);
      }
    }
  });
});

describe("one implementation, two doors", () => {
  it("answers reports and events exactly as the UI's procedures do", async () => {
    const ui = app.caller(owner);
    const pairs: Array<[string, unknown, Promise<unknown>]> = [
      [
        "/api/v1/reports/query",
        validCall("reportQuery").sent.body,
        ui.reports.query({ projectId, ...(validCall("reportQuery").sent.body as { definition: never }) }),
      ],
      [
        "/api/v1/reports/funnel",
        validCall("reportFunnel").sent.body,
        ui.reports.funnel({ projectId, ...(validCall("reportFunnel").sent.body as { definition: never }) }),
      ],
      [
        "/api/v1/reports/trend",
        validCall("reportTrend").sent.body,
        ui.reports.trend({ projectId, ...(validCall("reportTrend").sent.body as { definition: never }) }),
      ],
      [
        "/api/v1/reports/segment",
        validCall("reportSegment").sent.body,
        ui.reports.segment({ projectId, ...(validCall("reportSegment").sent.body as { definition: never }) }),
      ],
      [
        "/api/v1/reports/paths",
        validCall("reportPaths").sent.body,
        ui.reports.paths({ projectId, ...(validCall("reportPaths").sent.body as { definition: never }) }),
      ],
    ];
    for (const [path, body, expected] of pairs) {
      const response = await send("POST", path, { key: keys.read, body });
      expect(response.status, path).toBe(200);
      // When, and whether from the report cache, may differ between two calls; the report itself may not.
      expect(withoutComputed(await json(response)), path).toEqual(withoutComputed(asJson(await expected)));
    }
    const funnel = (await json(await send("POST", "/api/v1/reports/funnel", { key: keys.read, body: validCall("reportFunnel").sent.body }))) as {
      steps: Array<{ count: number }>;
    };
    expect(funnel.steps.map((step) => step.count)).toEqual([3, 2, 1]);
    expect(await json(await send("GET", "/api/v1/events", { key: keys.read, query: { limit: 4 } }))).toEqual(
      asJson(await ui.events.list({ projectId, limit: 4 })),
    );
    expect(await json(await send("GET", "/api/v1/events/mine-u2-cart", { key: keys.read }))).toEqual(
      asJson(await ui.events.get({ projectId, eventId: "mine-u2-cart" })),
    );
  });

  it("answers configuration exactly as the UI's procedures do", async () => {
    const ui = app.caller(owner);
    await ui.triggers.create({ projectId, trigger: trigger("From the app") });
    expect(await json(await send("GET", "/api/v1/triggers", { key: keys.manage }))).toEqual(asJson(await ui.triggers.list({ projectId })));
    const plan = await ui.trackingPlan.get({ projectId });
    expect(await json(await send("GET", "/api/v1/attributes", { key: keys.manage }))).toEqual(
      asJson({ attributes: plan.attributes, maxCustomAttributes: plan.maxCustomAttributes }),
    );
    expect(await json(await send("GET", "/api/v1/api-keys", { key: keys.manage }))).toEqual(asJson(await ui.apiKeys.list({ projectId })));
    const { role: _role, ...project } = await ui.projects.get({ projectId });
    expect(await json(await send("GET", "/api/v1/projects", { key: keys.manage }))).toEqual([{ ...(asJson(project) as object), role: "admin" }]);
    const test = validCall("triggerTest").sent.body as { rule: string; event: { name: string; props: Record<string, number> } };
    expect(await json(await send("POST", "/api/v1/triggers/test", { key: keys.manage, body: test }))).toEqual(
      asJson(await ui.triggers.test({ projectId, ...test })),
    );
  });

  it("refuses invalid input with the procedure's own rules, as 422 naming each problem", async () => {
    const tooMany = { definition: { range: RANGE, steps: Array.from({ length: 21 }, () => ({ event: "view" })) } };
    const response = await send("POST", "/api/v1/reports/funnel", { key: keys.read, body: tooMany });
    expect(response.status).toBe(422);
    const body = (await json(response)) as { error: string; issues: Array<{ path: string }> };
    expect(body).toMatchObject({ error: "invalid_input" });
    expect(body.issues[0]?.path).toBe("definition.steps");
    await expect(app.caller(owner).reports.funnel({ projectId, ...(tooMany as { definition: never }) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("creates a trigger from a script, and answers a duplicate name with 409", async () => {
    const created = await send("POST", "/api/v1/triggers", { key: keys.manage, body: { trigger: trigger("From CI") } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: "From CI", enabled: true, version: 1 });
    expect(await app.db.trigger.count({ where: { projectId, name: "From CI" } })).toBe(1);
    const again = await send("POST", "/api/v1/triggers", { key: keys.manage, body: { trigger: trigger("From CI") } });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ error: "conflict", message: expect.stringContaining("already exists") });
    const unchecked = await send("POST", "/api/v1/triggers", { key: keys.manage, body: { trigger: { ...trigger("Bad rule"), rule: "event.nope(" } } });
    expect(unchecked.status).toBe(400);
    expect(await json(unchecked)).toMatchObject({ error: "bad_request", message: expect.stringContaining("does not check") });
  });

  it("pages events by cursor: every event once, newest first", async () => {
    const seen: string[] = [];
    let cursor: unknown = null;
    for (let page = 0; page < 10; page++) {
      const response = await send("GET", "/api/v1/events", { key: keys.read, query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      expect(response.status).toBe(200);
      const body = (await json(response)) as { items: Array<{ eventId: string }>; nextCursor: unknown };
      seen.push(...body.items.map((item) => item.eventId));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect(seen.every((id) => id.startsWith("mine-"))).toBe(true);
    const filtered = await send("GET", "/api/v1/events", { key: keys.read, query: { filter: { events: ["purchase"], filters: [] } } });
    expect(((await json(filtered)) as { items: unknown[] }).items).toHaveLength(1);
  });

  it("reads a profile with a read key: the profiles browser's answer; a write key, public in browsers, cannot", async () => {
    const response = await send("GET", "/api/v1/profiles/u1", { key: keys.read });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ profileId: "u1", props: { plan: "pro", email: "u1@example.com" }, eventCount: 3 });
    expect(body).toEqual(asJson(await app.caller(owner).profiles.get({ projectId, profileId: "u1" })));
    const asWriteKey = await send("GET", "/api/v1/profiles/u1", { key: keys.write });
    expect(asWriteKey.status).toBe(403);
    const refused = await asWriteKey.text();
    expect(JSON.parse(refused)).toMatchObject({ error: "insufficient_scope" });
    expect(refused).not.toContain("u1@example.com");
    const asIngestClient = await send("GET", "/api/v1/profiles/u1", { headers: { "x-api-key": keys.write } });
    expect(asIngestClient.status).toBe(401);
    expect((await send("GET", "/api/v1/profiles/nobody", { key: keys.read })).status).toBe(404);
  });

  it("streams a saved report's export", async () => {
    const response = await send("GET", `/api/v1/reports/export/${savedReportId}`, { key: keys.read, query: { format: "ndjson" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/ndjson/);
    expect(response.body).toBeInstanceOf(ReadableStream);
    const lines = (await response.text()).trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(() => lines.map((line) => JSON.parse(line) as unknown)).not.toThrow();
  });
});

describe("scopes", () => {
  const readRoutes = restRoutes.filter((route) => route.scope === "read");
  const manageRoutes = restRoutes.filter((route) => route.scope === "manage");

  it("refuses a write key every route: it cannot read or configure", async () => {
    for (const route of restRoutes) {
      const { path, sent } = validCall(route.id);
      const response = await send(route.method, path, { ...sent, key: keys.write });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
      expect(await json(response)).toMatchObject({ error: "insufficient_scope" });
    }
  });

  it("lets a read key read but not change anything, nor ingest", async () => {
    const before = { triggers: await app.db.trigger.count(), attributes: await app.db.attributeDefinition.count(), keys: await app.db.apiKey.count() };
    for (const route of manageRoutes) {
      const { path, sent } = validCall(route.id);
      const response = await send(route.method, path, { ...sent, key: keys.read });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
    expect({ triggers: await app.db.trigger.count(), attributes: await app.db.attributeDefinition.count(), keys: await app.db.apiKey.count() }).toEqual(before);
    // The edge resolves ingest keys through this endpoint: read and manage keys are not ingest keys.
    const resolve = (apiKey: string) =>
      internalResolve(
        new Request("http://app.test/api/internal/keys/resolve", {
          method: "POST",
          headers: { "content-type": "application/json", "x-internal-secret": SECRET },
          body: JSON.stringify({ apiKey }),
        }),
      );
    expect((await resolve(keys.write)).status).toBe(200);
    expect((await resolve(keys.read)).status).toBe(404);
    expect((await resolve(keys.manage)).status).toBe(404);
  });

  it("keeps a manage key to configuration: no reports, no events", async () => {
    for (const route of readRoutes) {
      const { path, sent } = validCall(route.id);
      expect((await send(route.method, path, { ...sent, key: keys.manage })).status, `${route.method} ${route.path}`).toBe(403);
    }
  });

  it("lets a manage key create write and read keys of its project, never a manage key", async () => {
    const read = await send("POST", "/api/v1/api-keys", { key: keys.manage, body: { name: "for the notebook", kind: "read" } });
    expect(read.status).toBe(201);
    const { secret, kind } = (await json(read)) as { secret: string; kind: string };
    expect(kind).toBe("read");
    expect((await send("GET", "/api/v1/events", { key: secret })).status).toBe(200);
    const write = await send("POST", "/api/v1/api-keys", { key: keys.manage, body: { name: "for ingest" } });
    expect(((await json(write)) as { kind: string }).kind).toBe("write");
    const manage = await send("POST", "/api/v1/api-keys", { key: keys.manage, body: { name: "escalate", kind: "manage" } });
    expect(manage.status).toBe(403);
    expect(await app.db.apiKey.count({ where: { projectId, kind: "manage" } })).toBe(1);
  });
});

describe("tenant isolation", () => {
  it("never reaches another project's events, reports or configuration", async () => {
    expect((await send("GET", "/api/v1/events/theirs-u1-cart", { key: keys.read })).status).toBe(404);
    const theirProfile = await send("GET", "/api/v1/profiles/u2", { key: keys.read });
    expect(theirProfile.status).toBe(404);
    expect(await theirProfile.text()).not.toContain("secret-of-theirs");
    expect((await send("GET", "/api/v1/profiles/u2", { key: keys.otherRead })).status).toBe(200);
    expect((await send("GET", `/api/v1/reports/export/${otherSavedReportId}`, { key: keys.read })).status).toBe(404);
    // The project is the key's; naming another one is refused as unknown input, not obeyed.
    const named = await send("POST", "/api/v1/reports/trend", {
      key: keys.read,
      body: { ...(validCall("reportTrend").sent.body as object), projectId: otherProjectId },
    });
    expect(named.status).toBe(422);
    expect((await send("GET", "/api/v1/events", { key: keys.read, query: { projectId: otherProjectId } })).status).toBe(422);
    const created = await send("POST", "/api/v1/triggers", { key: keys.manage, body: { projectId: otherProjectId, trigger: trigger("Sneaky") } });
    expect(created.status).toBe(422);
    expect(await app.db.trigger.count({ where: { projectId: otherProjectId } })).toBe(0);
    // And each project's keys see only their own project's data.
    const theirs = (await json(await send("GET", "/api/v1/events", { key: keys.otherRead, query: { limit: 50 } }))) as { items: Array<{ eventId: string }> };
    expect(theirs.items.length).toBe(6);
    expect(theirs.items.every((item) => item.eventId.startsWith("theirs-"))).toBe(true);
    const theirKeys = (await json(await send("GET", "/api/v1/api-keys", { key: keys.otherManage }))) as Array<{ name: string }>;
    expect(theirKeys.map((key) => key.name).sort()).toEqual(["m", "r"]);
    const theirProjects = (await json(await send("GET", "/api/v1/projects", { key: keys.otherManage }))) as Array<{ id: string }>;
    expect(theirProjects.map((project) => project.id)).toEqual([otherProjectId]);
  });
});

describe("authentication, errors and limits", () => {
  it("answers 401 without a key, with an unknown key and with a revoked one", async () => {
    const none = await send("GET", "/api/v1/triggers");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    expect(await json(none)).toMatchObject({ error: "missing_key" });
    expect(await json(await send("GET", "/api/v1/triggers", { key: "ef_live_notarealkeynotarealkey00" }))).toMatchObject({ error: "invalid_key" });
    const created = await app.caller(owner).apiKeys.create({ projectId, name: "revoked soon", kind: "manage" });
    expect((await send("GET", "/api/v1/triggers", { key: created.secret })).status).toBe(200);
    expect((await app.caller(owner).apiKeys.list({ projectId })).find((key) => key.id === created.id)?.lastUsedAt).not.toBeNull();
    await app.caller(owner).apiKeys.revoke({ projectId, keyId: created.id });
    expect((await send("GET", "/api/v1/triggers", { key: created.secret })).status).toBe(401);
  });

  it("answers malformed JSON with 400, an oversized body with 413 and a wrong method with 405, all as JSON errors", async () => {
    const malformed = await send("POST", "/api/v1/reports/trend", { key: keys.read, rawBody: "{nope" });
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ error: "malformed_json" });
    const dropped = await send("POST", "/api/v1/reports/trend", {
      key: keys.read,
      headers: { "content-type": "application/json" },
      bodyStream: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"range":'));
          controller.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
        },
      }),
    });
    // A client gone mid-body: answered (to nobody) as a broken body, never thrown for the server to log as a 500.
    expect(dropped.status).toBe(400);
    expect(await json(dropped)).toMatchObject({ error: "malformed_json" });
    const huge = await send("POST", "/api/v1/reports/trend", { key: keys.read, rawBody: JSON.stringify({ pad: "x".repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
    const wrong = await send("DELETE", "/api/v1/triggers", { key: keys.manage });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST");
    expect(await json(wrong)).toMatchObject({ error: "method_not_allowed" });
  });

  it(`limits each key to bursts of ${REST_RATE.burst}, then 429 with Retry-After; other keys go on`, async () => {
    const { secret } = await app.caller(owner).apiKeys.create({ projectId, name: "busy", kind: "manage" });
    const started = performance.now();
    // Two routes at once: the limit is the key's, across routes.
    const answers = await Promise.all(
      Array.from({ length: REST_RATE.burst + 50 }, (_, index) => send("GET", index % 2 ? "/api/v1/projects" : "/api/v1/triggers", { key: secret })),
    );
    const refilled = Math.ceil(((performance.now() - started) / 1000) * REST_RATE.perSecond) + 1;
    const passed = answers.filter((answer) => answer.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(REST_RATE.burst);
    expect(passed).toBeLessThanOrEqual(REST_RATE.burst + refilled);
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited, "no request was limited").toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await json(limited!)).toMatchObject({ error: "rate_limited" });
    expect((await send("GET", "/api/v1/projects", { key: keys.otherManage })).status).toBe(200);
  });
});
