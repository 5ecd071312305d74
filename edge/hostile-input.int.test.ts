/**
 * Hostile input at ingest, against both paths over one real pipeline (PostgreSQL, the worker on
 * its embedded log, DuckDB): the worker's own HTTP server, and the Next.js route handlers (their
 * exported functions, producing through the REST gateway and resolving keys through the app's
 * internal endpoint, as deployed).
 * Properties: never a 5xx; every 4xx carries a string `error`; a valid event beside a bad one is
 * accepted (207); whatever is acknowledged is storable by src/core/storable and reaches DuckDB
 * as sent or as documented (lone surrogates → U+FFFD, -0 → 0).
 */
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRecordWireSchema, TOPIC } from "../src/core/events";
import { storableProblem } from "../src/core/storable";
import { createTestApp, type TestApp } from "../src/testing/app";
import { workerEnv } from "../workers/env";
import { malformedPathAnswer } from "./ingest";
import { startWorker, type RunningWorker } from "../workers/main";

const SECRET = "internal-secret-for-hostile-tests";
const GATEWAY_TOKEN = "gateway-token-for-hostile-tests";

interface Hostile {
  label: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A JSON body; it is sent as its text. */
  json?: unknown;
}

type Send = (request: Hostile) => Promise<{ status: number; text: string; headers: Headers }>;

let app: TestApp;
let dir: string;
let worker: RunningWorker;
let appServer: http.Server;
let apiKey: string;
let otherKey: string;
let projectId: string;
let otherProjectId: string;
let viaWorker: Send;
let viaNext: Send;

type RouteHandler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;
type RouteModule = Record<string, RouteHandler | unknown>;
let nextRoutes: Array<[RegExp, RouteModule]>;

function bodyOf(request: Hostile): string | undefined {
  if (request.json !== undefined) return JSON.stringify(request.json);
  return request.body;
}

function headersOf(request: Hostile): Record<string, string> {
  return { "content-type": "application/json", "x-api-key": apiKey, ...request.headers };
}

/**
 * The Next path: src/proxy.ts's answer to a malformed escape under /api/v1 (it runs before Next
 * decodes the path), else the route module Next would pick, called with a web Request and the
 * decoded path parameters (the patterns' named groups).
 */
async function callNext(request: Hostile): Promise<{ status: number; text: string; headers: Headers }> {
  const pathname = request.path.split("?")[0]!;
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : bodyOf(request);
  const sent = new Request(`http://next.test${request.path}`, { method: request.method, headers: headersOf(request), body });
  const malformed = pathname.includes("%") ? malformedPathAnswer(sent) : null;
  if (malformed) return { status: malformed.status, text: await malformed.text(), headers: malformed.headers };
  const [pattern, route] = nextRoutes.find(([candidate]) => candidate.test(pathname))!;
  const handle = route[request.method] as RouteHandler | undefined;
  // Next answers a method a route does not export with a bare 405; every ingest route exports them all.
  if (!handle) return { status: 405, text: "", headers: new Headers() };
  const params = Object.fromEntries(Object.entries(pathname.match(pattern)!.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]));
  const response = await handle(sent, { params: Promise.resolve(params) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function callWorker(request: Hostile): Promise<{ status: number; text: string; headers: Headers }> {
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : bodyOf(request);
  const response = await fetch(`http://127.0.0.1:${worker.port}${request.path}`, { method: request.method, headers: headersOf(request), body });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Serves the app's internal key endpoint, which the Next ingest routes call to resolve keys. */
async function startAppServer(resolve: (request: Request) => Promise<Response>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      void resolve(new Request(`http://app.test${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) })).then(async (response) => {
        res.writeHead(response.status, { "content-type": "application/json" });
        res.end(await response.text());
      });
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return server;
}

beforeAll(async () => {
  app = await createTestApp();
  dir = await mkdtemp(path.join(os.tmpdir(), "prism-hostile-"));
  const { user, orgId } = await app.signUp("hostile@example.com");
  const caller = app.caller(user);
  projectId = (await caller.projects.create({ orgId, name: "Hostile" })).id;
  apiKey = (await caller.apiKeys.create({ projectId, name: "ingest" })).secret;
  otherProjectId = (await caller.projects.create({ orgId, name: "Other" })).id;
  otherKey = (await caller.apiKeys.create({ projectId: otherProjectId, name: "other" })).secret;

  worker = await startWorker(
    workerEnv({
      DATABASE_URL: app.url,
      DUCKDB_PATH: path.join(dir, "prism.duckdb"),
      WORKER_PORT: "0",
      GATEWAY_TOKEN,
      INTERNAL_SECRET: SECRET,
      INGEST_KEY_CACHE_MS: "0",
      LOG_LEVEL: "silent",
    }),
  );

  // The Next routes read their configuration from the environment, like the deployed app.
  process.env.DATABASE_URL = app.url;
  process.env.INTERNAL_SECRET = SECRET;
  process.env.GATEWAY_TOKEN = GATEWAY_TOKEN;
  process.env.WORKER_URL = `http://127.0.0.1:${worker.port}`;
  process.env.INGEST_KEY_CACHE_MS = "0";
  const internal = await import("../src/app/api/internal/keys/resolve/route");
  appServer = await startAppServer(internal.POST);
  process.env.INTERNAL_APP_URL = `http://127.0.0.1:${(appServer.address() as net.AddressInfo).port}`;
  nextRoutes = [
    [/^\/api\/v1\/events$/, await import("../src/app/api/v1/events/route")],
    [/^\/api\/v1\/events\/batch$/, await import("../src/app/api/v1/events/batch/route")],
    [/^\/api\/v1\/profiles$/, await import("../src/app/api/v1/profiles/route")],
    [/^\/api\/v1\/profiles\/(?<profileId>[^/]+)$/, await import("../src/app/api/v1/profiles/[profileId]/route")],
    [/^\/api\/v1\/health$/, await import("../src/app/api/v1/health/route")],
    [/^\/api\/v1\/.+$/, await import("../src/app/api/v1/[...path]/route")],
  ];
  viaWorker = callWorker;
  viaNext = callNext;
}, 240_000);

afterAll(async () => {
  await new Promise<void>((done) => (appServer ? appServer.close(() => done()) : done()));
  await worker?.stop();
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

const valid = (id: string) => ({ event_name: "hostile_ok", event_id: id, profile_id: "h-1", props: { n: 1 } });

function nested(levels: number): unknown {
  let out: unknown = 1;
  for (let i = 0; i < levels; i++) out = { d: out };
  return out;
}

/** Hostile requests whose answer must be a 4xx (2xx allowed where marked), never a 5xx. */
const fixed: Hostile[] = [
  { label: "malformed JSON", method: "POST", path: "/api/v1/events", body: "{not json" },
  { label: "truncated JSON", method: "POST", path: "/api/v1/events/batch", body: '[{"event_name":"x","props":{"a":' },
  { label: "empty body", method: "POST", path: "/api/v1/events", body: "" },
  { label: "JSON null", method: "POST", path: "/api/v1/events", body: "null" },
  { label: "10,000 levels of arrays", method: "POST", path: "/api/v1/events", body: "[".repeat(10_000) + "]".repeat(10_000) },
  {
    label: "60,000 levels in props",
    method: "POST",
    path: "/api/v1/events",
    body: `{"event_name":"x","props":${'{"a":'.repeat(60_000)}1${"}".repeat(60_000)}}`,
  },
  {
    label: "60,000 levels beside a valid event",
    method: "POST",
    path: "/api/v1/events/batch",
    body: `[${JSON.stringify(valid("beside-deep"))},${"[".repeat(60_000)}${"]".repeat(60_000)}]`,
  },
  { label: "12 levels in props", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: nested(12) } },
  { label: "NUL in a prop", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: { a: "x\u0000y" } } },
  { label: "NUL in a key", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: { "a\u0000": 1 } } },
  { label: "NUL in the name", method: "POST", path: "/api/v1/events", json: { event_name: "x\u0000" } },
  { label: "NUL in a profile", method: "POST", path: "/api/v1/profiles", json: { profile_id: "p\u0000", set: {} } },
  { label: "__proto__ key", method: "POST", path: "/api/v1/events", body: '{"event_name":"x","props":{"__proto__":{"admin":true}}}' },
  { label: "constructor key", method: "POST", path: "/api/v1/profiles", body: '{"profile_id":"p","set":{"constructor":{"prototype":1}}}' },
  { label: "prototype key top level", method: "POST", path: "/api/v1/events", body: '{"event_name":"x","prototype":1}' },
  { label: "1e999", method: "POST", path: "/api/v1/events", body: '{"event_name":"x","props":{"n":1e999}}' },
  { label: "2^53 + 1", method: "POST", path: "/api/v1/events", body: '{"event_name":"x","props":{"n":9007199254740993}}' },
  { label: "-1e308", method: "POST", path: "/api/v1/events", body: '{"event_name":"x","props":{"n":-1e308}}' },
  { label: "wrong type name", method: "POST", path: "/api/v1/events", json: { event_name: 42 } },
  { label: "wrong type props", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: [1] } },
  { label: "batch of strings", method: "POST", path: "/api/v1/events/batch", json: ["a", "b"] },
  { label: "batch as object", method: "POST", path: "/api/v1/events/batch", json: { nope: 1 } },
  { label: "101 events", method: "POST", path: "/api/v1/events/batch", json: Array.from({ length: 101 }, () => ({ event_name: "x" })) },
  { label: "key of 257 chars", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: { ["k".repeat(257)]: 1 } } },
  {
    label: "1001 keys",
    method: "POST",
    path: "/api/v1/events",
    json: { event_name: "x", props: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) },
  },
  { label: "event over 32 KB", method: "POST", path: "/api/v1/events", json: { event_name: "x", props: { pad: "x".repeat(40_000) } } },
  {
    label: "Segment country of 65 chars",
    method: "POST",
    path: "/api/v1/events",
    json: { type: "track", event: "x", userId: "u", context: { location: { country: "C".repeat(65) } } },
  },
  { label: "ctx.ip of 65 chars", method: "POST", path: "/api/v1/events", json: { event_name: "x", ctx: { ip: "1".repeat(65) } } },
  { label: "other tenant's project_id", method: "POST", path: "/api/v1/events", json: { event_name: "x", project_id: "OTHER" } },
  { label: "x-api-key of 300 chars", method: "POST", path: "/api/v1/events", headers: { "x-api-key": "k".repeat(300) }, json: valid("never") },
  { label: "x-api-key of 5,000 chars", method: "POST", path: "/api/v1/events", headers: { "x-api-key": "k".repeat(5000) }, json: valid("never") },
  // Write keys are public (in browsers): they never read a profile back.
  { label: "GET a profile with the write key", method: "GET", path: "/api/v1/profiles/h-1" },
  { label: "no key", method: "POST", path: "/api/v1/events", headers: { "x-api-key": "" }, json: valid("never") },
  { label: "GET /events", method: "GET", path: "/api/v1/events" },
  { label: "PUT /events/batch", method: "PUT", path: "/api/v1/events/batch", json: [] },
  { label: "DELETE /profiles", method: "DELETE", path: "/api/v1/profiles" },
  { label: "PATCH /profiles/:id", method: "PATCH", path: "/api/v1/profiles/p1", json: {} },
  { label: "POST /health", method: "POST", path: "/api/v1/health", json: {} },
  { label: "unknown path", method: "POST", path: "/api/v1/evnets", json: valid("never") },
  { label: "unknown nested path", method: "GET", path: "/api/v1/events/batch/extra" },
  { label: "bad escape in the profile path", method: "GET", path: "/api/v1/profiles/%ZZ" },
  {
    label: "bad escape in x-vercel-ip-city (valid event)",
    method: "POST",
    path: "/api/v1/events",
    headers: { "x-vercel-ip-city": "%ZZ" },
    json: valid("city-escape"),
  },
  {
    label: "NUL escape in x-vercel-ip-city (valid event)",
    method: "POST",
    path: "/api/v1/events",
    headers: { "x-vercel-ip-city": "a%00b" },
    json: valid("city-nul"),
  },
];

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>("\u0000", "a\ud800", "\udfff", -0, 1e300, -(2 ** 60), "__proto__", null, [], {}, true, "x".repeat(300)),
  fc.string({ maxLength: 20, unit: "binary" }),
  fc.double(),
);
const hostileEvent = fc.oneof(
  fc.record({
    event_name: fc.oneof(fc.string({ maxLength: 20, unit: "binary" }), hostileValue),
    props: fc.dictionary(fc.string({ maxLength: 12, unit: "binary" }), hostileValue),
  }),
  fc.record({
    type: fc.constant("track"),
    event: fc.constant("x"),
    userId: hostileValue,
    context: fc.record({ ip: hostileValue, location: fc.record({ country: hostileValue }) }),
  }),
  fc.record({ event_type: hostileValue, fields: fc.dictionary(fc.constantFrom("a", "constructor", "b\u0000"), hostileValue) }),
  hostileValue,
);

async function expectNoServerError(send: Send, request: Hostile): Promise<number> {
  const { status, text } = await send(request);
  expect(status, `${request.label}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (status >= 400) {
    const body = JSON.parse(text) as { error?: unknown };
    expect(typeof body.error, `${request.label}: ${text.slice(0, 300)}`).toBe("string");
  }
  return status;
}

const table: Array<{ label: string; worker: number; next: number }> = [];

describe.each([
  ["the worker's HTTP server", "worker"],
  ["the Next.js route handlers", "next"],
] as const)("hostile input through %s", (_title, which) => {
  const send: Send = (request) => (which === "worker" ? viaWorker(request) : viaNext(request));

  it("answers every fixed hostile request with a 4xx and an error (or 2xx where the input is storable)", async () => {
    for (const request of fixed) {
      const status = await expectNoServerError(send, request);
      const row = table.find((entry) => entry.label === request.label) ?? { label: request.label, worker: 0, next: 0 };
      row[which] = status;
      if (!table.includes(row)) table.push(row);
    }
    const statusOf = (label: string) => table.find((entry) => entry.label === label)![which];
    expect(statusOf("malformed JSON")).toBe(400);
    expect(statusOf("60,000 levels in props")).toBe(422);
    expect(statusOf("60,000 levels beside a valid event")).toBe(207);
    expect(statusOf("NUL in a prop")).toBe(422);
    expect(statusOf("x-api-key of 300 chars")).toBe(401);
    expect(statusOf("x-api-key of 5,000 chars")).toBe(401);
    // On the Next server GET /events is the REST API's event list (src/server/rest): without a Bearer key, 401.
    expect(statusOf("GET /events")).toBe(which === "worker" ? 405 : 401);
    expect(statusOf("unknown path")).toBe(404);
    // On the Next server GET /profiles/:id is the REST API's, for read keys (Bearer): the write key in X-API-Key is no key there.
    expect(statusOf("GET a profile with the write key")).toBe(which === "worker" ? 404 : 401);
    expect(statusOf("bad escape in the profile path")).toBe(which === "worker" ? 404 : 400);
    expect(statusOf("bad escape in x-vercel-ip-city (valid event)")).toBe(202);
    expect(statusOf("Segment country of 65 chars")).toBe(422);
    expect(statusOf("2^53 + 1")).toBe(422);
  });

  it("never answers a profile to the write key, in X-API-Key or as Bearer", async () => {
    const asBearer = await send({ label: "bearer", method: "GET", path: "/api/v1/profiles/h-1", headers: { authorization: `Bearer ${apiKey}` } });
    // The worker serves ingest only; the app's REST API refuses the key's scope.
    expect(asBearer.status, asBearer.text).toBe(which === "worker" ? 404 : 403);
    expect(JSON.parse(asBearer.text)).toMatchObject({ error: which === "worker" ? "not_found" : "insufficient_scope" });
  });

  it("names the refused value's JSON path, and 405 carries Allow", async () => {
    const refused = await send({
      label: "path",
      method: "POST",
      path: "/api/v1/events",
      json: { type: "track", event: "x", properties: { a: { b: "\u0000" } } },
    });
    expect(JSON.parse(refused.text)).toMatchObject({ error: "unstorable_value", path: "properties.a.b" });
    const wrong = await send({ label: "405", method: "GET", path: "/api/v1/events/batch" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST, OPTIONS");
    expect(JSON.parse(wrong.text)).toMatchObject({ error: "method_not_allowed" });
  });

  it("never answers 5xx to generated hostile events, and keeps the valid event of a mixed batch (207)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(hostileEvent, fc.constantFrom("/api/v1/events", "/api/v1/events/batch", "/api/v1/profiles"), async (event, endpoint) => {
        run++;
        const isBatch = endpoint.endsWith("batch");
        const id = `${which}-mix-${run}`;
        const json = isBatch ? [valid(id), event] : event;
        const status = await expectNoServerError(send, { label: `generated ${JSON.stringify(json).slice(0, 120)}`, method: "POST", path: endpoint, json });
        if (isBatch) expect([202, 207]).toContain(status);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("answers a body over the request limit with 413", async () => {
    const big = { label: "600 KB body", method: "POST", path: "/api/v1/events", body: `{"event_name":"x","props":{"pad":"${"x".repeat(600_000)}"}}` };
    const response = await send(big);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({ error: "payload_too_large" });
  });
});

/** Raw HTTP/1.1 on one connection: each request is written only after the previous answer arrived. */
async function onOneConnection(requests: Array<(socket: net.Socket) => void>, timeoutMs = 10_000): Promise<string[]> {
  const socket = net.connect(worker.port, "127.0.0.1");
  await new Promise<void>((done) => socket.once("connect", done));
  const answers: string[] = [];
  let buffer = "";
  try {
    for (const write of requests) {
      const answer = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer on the connection after ${answers.length} answers`)), timeoutMs);
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString("latin1");
          const head = buffer.indexOf("\r\n\r\n");
          if (head < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, head))?.[1] ?? 0);
          if (buffer.length < head + 4 + length) return;
          clearTimeout(timer);
          socket.off("data", onData);
          const whole = buffer.slice(0, head + 4 + length);
          buffer = buffer.slice(head + 4 + length);
          resolve(whole);
        };
        socket.on("data", onData);
      });
      write(socket);
      answers.push(await answer);
    }
  } finally {
    socket.destroy();
  }
  return answers;
}

describe("the worker's HTTP server and keep-alive", () => {
  const post =
    (body: string, chunked = false) =>
    (socket: net.Socket) => {
      const head = `POST /api/v1/events HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nx-api-key: ${apiKey}\r\n`;
      if (!chunked) {
        socket.write(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n`);
        socket.write(body);
        return;
      }
      socket.write(`${head}transfer-encoding: chunked\r\n\r\n`);
      for (let i = 0; i < body.length; i += 64 * 1024) {
        const part = body.slice(i, i + 64 * 1024);
        socket.write(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
      }
      socket.write("0\r\n\r\n");
    };
  const oversized = `{"event_name":"x","props":{"pad":"${"x".repeat(600_000)}"}}`;

  it("answers the next request on the same connection after a 413 (declared length and chunked)", async () => {
    for (const chunked of [false, true]) {
      const answers = await onOneConnection([post(oversized, chunked), post(JSON.stringify(valid(`keepalive-${chunked}`)))]);
      expect(answers[0]).toMatch(/^HTTP\/1\.1 413/);
      expect(answers[1]).toMatch(/^HTTP\/1\.1 202/);
    }
  });

  it("answers the next request on the same connection after a 405 and a 401 that left their bodies unread", async () => {
    const answers = await onOneConnection([
      (socket) => socket.write(`PUT /api/v1/events HTTP/1.1\r\nhost: localhost\r\ncontent-length: 5\r\n\r\nhello`),
      (socket) => socket.write(`POST /api/v1/events HTTP/1.1\r\nhost: localhost\r\nx-api-key: nope\r\ncontent-length: 2\r\n\r\n{}`),
      post(JSON.stringify(valid("keepalive-after-405"))),
    ]);
    expect(answers.map((answer) => answer.slice(0, 12))).toEqual(["HTTP/1.1 405", "HTTP/1.1 401", "HTTP/1.1 202"]);
  });
});

describe("what ingest acknowledged", () => {
  it("is storable by the domain definition on event.raw, and reaches DuckDB as sent or as documented", async () => {
    const sent = {
      event_name: "roundtrip",
      event_id: "roundtrip-1",
      profile_id: "r-1",
      props: { lone: "a\ud800b", pair: "😀", zero: -0, big: 9007199254740991, tiny: 5e-324, nested: { list: [1, "two", null, true] }, "key\udc00": "k" },
    };
    for (const send of [viaWorker, viaNext]) {
      const id = send === viaWorker ? "roundtrip-worker" : "roundtrip-next";
      const response = await send({ label: "roundtrip", method: "POST", path: "/api/v1/events", json: { ...sent, event_id: id } });
      expect(response.status, response.text).toBe(202);
    }
    // The other tenant's key writes into its own project only.
    const other = await viaWorker({
      label: "other tenant",
      method: "POST",
      path: "/api/v1/events",
      headers: { "x-api-key": otherKey },
      json: valid("other-1"),
    });
    expect(other.status).toBe(202);

    const duckdb = worker.duckdb!;
    const read = async (sql: string, values: string[]) => {
      const connection = await duckdb.connect();
      try {
        return (await connection.runAndReadAll(sql, values)).getRowObjectsJson();
      } finally {
        connection.closeSync();
      }
    };
    const deadline = Date.now() + 60_000;
    let rows: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline) {
      rows = await read("SELECT event_id, props::VARCHAR AS props FROM events WHERE project_id = $1 AND event_name = 'roundtrip' ORDER BY event_id", [
        projectId,
      ]);
      if (rows.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rows.map((row) => row.event_id)).toEqual(["roundtrip-next", "roundtrip-worker"]);
    const documented = {
      lone: "a\ufffdb",
      pair: "😀",
      zero: 0,
      big: 9007199254740991,
      tiny: 5e-324,
      nested: { list: [1, "two", null, true] },
      "key\ufffd": "k",
    };
    for (const row of rows) expect(JSON.parse(row.props as string)).toStrictEqual(documented);

    // Everything this project's key got acknowledged is on the log in storable form.
    // (The embedded log keeps its records in the same DuckDB file.)
    const records = await read("SELECT value FROM bus_records WHERE topic = $1", [TOPIC.raw]);
    const ours = records
      .map((row) => JSON.parse(row.value as string) as { project_id?: string; props?: unknown })
      .filter((record) => record.project_id === projectId);
    expect(ours.length).toBeGreaterThan(2);
    for (const record of ours) {
      expect(rawRecordWireSchema.safeParse(record).success, JSON.stringify(record).slice(0, 300)).toBe(true);
      if (record.props !== undefined) expect(storableProblem(record.props)).toBeNull();
    }
    const leaked = await read("SELECT count(*)::INT AS n FROM events WHERE project_id = $1 AND event_id = 'other-1'", [projectId]);
    expect(leaked[0]?.n).toBe(0);
  }, 90_000);

  it("prints what each path answered", () => {
    // The closing note of the issue lists these; kept in the test output for the record.
    console.log(table.map((row) => `${row.label.padEnd(48)} worker ${row.worker}  next ${row.next}`).join("\n"));
    expect(table.length).toBe(fixed.length);
  });
});
