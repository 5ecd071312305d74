/**
 * The query service over HTTP, as the app calls it: secret check, hostile input, time limit, row
 * cap, and streamed exports of a million rows in constant memory. A real DuckDB with the real DDL.
 */
import type { Server } from "node:http";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/platform/logger";
import type { Filter } from "../../src/core/reports";
import { ensureAnalyticsSchema } from "../sink/schema";
import { closeServer, listen, Routes } from "../http-server";
import { createQueryService, type QueryRouter, type QueryService } from "./service";
import { insertEvents, insertProfiles } from "./testing";
import type { RefEvent } from "./reference";

const SECRET = "query-service-test-secret";
const RANGE = { from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z" };

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
const servers: Server[] = [];

async function serve(limits?: { timeoutMs?: number; maxRows?: number }): Promise<{ url: string; service: QueryService }> {
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("query-test", "silent"), limits });
  const routes = new Routes()
    .add("GET", "/query/*", service.handler)
    .add("POST", "/query/*", service.handler)
    .add("POST", "/query-export", service.exportHandler);
  const server = await listen(routes, "127.0.0.1", 0, () => undefined);
  servers.push(server);
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, service };
}

function client(url: string, secret = SECRET) {
  return createTRPCClient<QueryRouter>({
    links: [httpLink({ url: `${url}/query`, transformer: superjson, methodOverride: "POST", headers: () => ({ "x-internal-secret": secret }) })],
  });
}

const event = (project: string, id: string, name: string, props: Record<string, string | number>, profile: string | null = "u1"): RefEvent => ({
  project_id: project,
  event_id: id,
  event_name: name,
  profile_id: profile,
  ts: Date.parse("2024-03-10T12:00:00Z") + Number(id.replace(/\D/g, "") || 0) * 1000,
  props,
  ctx: { country: "DE" },
  browser: "Chrome",
  os: "Linux",
  device_type: "desktop",
});

const HOSTILE = [
  "'; DROP TABLE events; --",
  '" OR 1=1 --',
  "x' OR 'a'='a",
  "/* comment */ 1",
  "a; SELECT * FROM events",
  "ünïcödé ✓ 𝔘",
  "nul\u0000byte",
  "__proto__",
  "$.a",
  "\\",
];

let main: { url: string; service: QueryService };

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  await ensureAnalyticsSchema(connection);
  const events: RefEvent[] = [];
  HOSTILE.forEach((value, index) => {
    events.push(event("p1", `a${index}`, "purchase", { note: value, amount: index }));
    events.push(event("p2", `b${index}`, "purchase", { note: value, amount: 1000 + index }, "u2"));
  });
  // JSON.parse makes a real "__proto__" key (an object literal would set the prototype instead).
  events.push(event("p1", "c1", "__proto__", JSON.parse('{"__proto__": 5}') as Record<string, number>));
  await insertEvents(connection, events);
  const profiles = new Map([
    ["p1\u0000u1", { plan: "pro" }],
    ["p2\u0000u2", { plan: "secret-of-p2" }],
  ]);
  await insertProfiles(connection, profiles);
  main = await serve();
});

afterAll(async () => {
  for (const server of servers) await closeServer(server);
  connection?.closeSync();
  duckdb?.closeSync();
});

describe("authentication", () => {
  it("answers 401 without the internal secret or with a wrong one, on procedures and exports", async () => {
    const none = await fetch(`${main.url}/query/events.list?input=${encodeURIComponent(JSON.stringify({ json: { projectId: "p1" } }))}`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "unauthorized" });
    await expect(client(main.url, "wrong-secret-of-the-same-size!").events.list.query({ projectId: "p1" })).rejects.toBeInstanceOf(TRPCClientError);
    const exportResponse = await fetch(`${main.url}/query-export`, { method: "POST", headers: { "x-internal-secret": "nope" }, body: "{}" });
    expect(exportResponse.status).toBe(401);
  });

  it("serves a caller holding the secret", async () => {
    const page = await client(main.url).events.list.query({ projectId: "p1", limit: 5 });
    expect(page.items).toHaveLength(5);
    expect(page.items.every((item) => item.eventId.startsWith("a") || item.eventId.startsWith("c"))).toBe(true);
  });
});

describe("hostile input", () => {
  const query = (filters: Filter[], groupBy: string[] = []) =>
    client(main.url).report.query.query({ projectId: "p1", definition: { range: RANGE, filters, groupBy, aggregation: { op: "count" } } });

  it("matches hostile values literally, as bound parameters, and never returns another project's rows", async () => {
    for (const [index, hostile] of HOSTILE.entries()) {
      const result = await query([{ field: "props.note", op: "eq", value: hostile }], ["props.amount"]);
      expect(result.rows, hostile).toEqual([{ groups: [String(index)], value: 1 }]);
      const contains = await query([{ field: "props.note", op: "contains", value: hostile }]);
      expect(contains.rows[0]!.value, hostile).toBeGreaterThanOrEqual(1);
      const listed = await query([{ field: "props.note", op: "in", values: [hostile, "other"] }]);
      expect(listed.rows[0]!.value, hostile).toBe(1);
    }
    const all = await query([], ["profile.plan"]);
    expect(JSON.stringify(all)).not.toContain("secret-of-p2");
  });

  it("refuses hostile property names with a validation error, not a SQL error", async () => {
    for (const hostile of [
      ...HOSTILE.filter((name) => name !== "__proto__" && name !== "$.a"),
      "a".repeat(10_000),
      'props.a"b',
      "props.",
      "props.a..b",
      "props." + "x".repeat(65),
    ]) {
      for (const field of [hostile, `props.${hostile}`, `profile.${hostile}`]) {
        const error = await query([{ field, op: "is_set" }]).then(
          () => null,
          (failure: unknown) => failure,
        );
        expect(error, field).toBeInstanceOf(TRPCClientError);
        expect((error as TRPCClientError<QueryRouter>).data?.code, field).toBe("BAD_REQUEST");
        expect((error as Error).message).not.toMatch(/Parser Error|Binder Error|Catalog Error/);
      }
    }
  });

  it("treats __proto__ as an ordinary property name and an ordinary event name", async () => {
    const result = await query([{ field: "props.__proto__", op: "eq", value: 5 }], ["event_name"]);
    expect(result.rows).toEqual([{ groups: ["__proto__"], value: 1 }]);
  });

  it("refuses 10 KB values, unknown keys and wrong types with clear messages", async () => {
    await expect(query([{ field: "props.note", op: "eq", value: "x".repeat(10_000) }])).rejects.toThrow(/at most 2000 characters/);
    await expect(client(main.url).report.query.query({ projectId: "p1", definition: { range: RANGE, extra: 1 } as never })).rejects.toThrow(
      /Unrecognized key/i,
    );
    await expect(query([{ field: "props.amount", op: "gt", value: "1; DROP" as never }])).rejects.toBeInstanceOf(TRPCClientError);
  });

  it("scopes every browsing procedure to the project it is given", async () => {
    const api = client(main.url);
    await expect(api.events.get.query({ projectId: "p1", eventId: "b0" })).rejects.toThrow(/not found/i);
    expect((await api.events.get.query({ projectId: "p2", eventId: "b0" })).props).toMatchObject({ amount: 1000 });
    await expect(api.profiles.get.query({ projectId: "p1", profileId: "u2" })).rejects.toThrow(/not found/i);
    expect((await api.profiles.search.query({ projectId: "p1", prefix: "u" })).items.map((row) => row.profileId)).toEqual(["u1"]);
    expect(await api.profiles.get.query({ projectId: "p2", profileId: "u2" })).toMatchObject({ props: { plan: "secret-of-p2" } });
  });
});

describe("limits", () => {
  it("stops a slow query at the time limit with a clear error", async () => {
    const slow = await serve({ timeoutMs: 30 });
    // Grouping 600k rows by two JSON fields with a percentile takes far longer than 30 ms.
    await connection.run(`INSERT INTO events SELECT 'slow', 'e' || i, ['a','b','c'][i % 3 + 1], 'u' || (i % 5000), TIMESTAMPTZ '2024-03-05 00:00:00+00' + INTERVAL (i) SECOND,
        now(), json_object('amount', i % 100), '{}', '{}', NULL, NULL, NULL, NULL FROM range(600000) t(i)`);
    const error = await client(slow.url)
      .report.query.query({
        projectId: "slow",
        definition: { range: RANGE, groupBy: ["props.amount", "profile_id"], aggregation: { op: "p99", field: "props.amount" } },
      })
      .then(
        () => null,
        (failure: unknown) => failure as TRPCClientError<QueryRouter>,
      );
    expect(error?.data?.code).toBe("TIMEOUT");
    expect(error?.message).toMatch(/took longer than 30 ms; narrow the date range/);
  });

  it("refuses a result over the row cap", async () => {
    const capped = await serve({ maxRows: 5 });
    const error = await client(capped.url)
      .report.query.query({ projectId: "p1", definition: { range: RANGE, groupBy: ["props.note"], limit: 100 } })
      .then(
        () => null,
        (failure: unknown) => failure as TRPCClientError<QueryRouter>,
      );
    expect(error?.data?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error?.message).toMatch(/more than 5 rows/);
  });
});

describe("exports", () => {
  const post = (body: unknown) =>
    fetch(`${main.url}/query-export`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-secret": SECRET },
      body: JSON.stringify(body),
    });

  it("streams a report as CSV with a filename and a row count", async () => {
    const response = await post({
      projectId: "p1",
      format: "csv",
      source: { kind: "report", report: { kind: "segment", definition: { range: RANGE, event: null, breakdown: "props.note", topN: 3 } } },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="prism-segment-.*\.csv"/);
    expect(response.headers.get("x-total-rows")).toBe("4");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("props.note,value");
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toBe("(other),8");
  });

  it("nests props and ctx as objects in JSON and NDJSON exports, and keeps them as JSON text in CSV", async () => {
    const source = { kind: "events", filter: { events: ["purchase"], filters: [{ field: "props.amount", op: "eq", value: 3 }] } };
    const json = (await (await post({ projectId: "p1", format: "json", source })).json()) as Array<Record<string, unknown>>;
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ event_name: "purchase", props: { note: HOSTILE[3], amount: 3 }, ctx: { country: "DE" } });
    const ndjson = (await (await post({ projectId: "p1", format: "ndjson", source })).text()).trimEnd().split("\n");
    expect(ndjson.map((line) => JSON.parse(line) as unknown)).toEqual(json);
    const csv = (await (await post({ projectId: "p1", format: "csv", source })).text()).trimEnd().split("\r\n");
    expect(csv[0]).toBe("event_id,event_name,profile_id,ts,received_at,browser,os,device_type,props,ctx");
    expect(csv[1]).toContain(`"{""country"":""DE""}"`);
  });

  it("refuses a malformed export request with 400", async () => {
    const response = await post({ projectId: "p1", format: "xlsx", source: { kind: "events" } });
    expect(response.status).toBe(400);
    expect((await response.json()) as { message: string }).toMatchObject({ message: expect.stringMatching(/format/) });
  });

  it("streams a million events as NDJSON with bounded memory", async () => {
    await connection.run(`INSERT INTO events SELECT 'big', 'e' || lpad(i::VARCHAR, 7, '0'), 'page_view', 'u' || (i % 1000), TIMESTAMPTZ '2024-03-01 00:00:00+00' + INTERVAL (i) SECOND,
        now(), json_object('path', '/p/' || (i % 50), 'n', i), '{"country":"DE"}', '{}', 'Chrome', 'Linux', 'desktop', NULL FROM range(1000000) t(i)`);
    const response = await post({ projectId: "big", format: "ndjson", source: { kind: "events" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-total-rows")).toBe("1000000");
    const reader = response.body!.getReader();
    const before = process.memoryUsage().rss;
    let peak = before;
    let lines = 0;
    let bytes = 0;
    let last = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      const text = last + Buffer.from(value).toString("utf8");
      const parts = text.split("\n");
      last = parts.pop() ?? "";
      lines += parts.length;
      if (lines % 50_000 < parts.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(lines).toBe(1_000_000);
    expect(bytes).toBeGreaterThan(100_000_000);
    const growthMb = (peak - before) / 1024 / 1024;
    // The whole export is over 100 MB of text; memory grows by a small fraction of that.
    expect(growthMb).toBeLessThan(150);
  }, 120_000);
});
