/**
 * Dead letters through the query service over HTTP (superjson, as the app calls it), stored by the
 * real sink writer in a real DuckDB: any payload key is safe, consumer letters show their stage and
 * error, and discarded letters leave the list.
 */
import type { Server } from "node:http";
import { DuckDBInstance } from "@duckdb/node-api";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import { createLogger } from "../../src/platform/logger";
import type { BusMessage, ProduceRecord } from "../bus/types";
import { closeServer, listen, Routes } from "../http-server";
import { consumerDeadLetter } from "../poison";
import { SinkWriter } from "../sink/writer";
import { buildDeadLetterPayloads, storedLetterOf } from "./browse";
import { QueryRunner } from "./runner";
import { createQueryService, type QueryRouter } from "./service";

const SECRET = "dead-letters-test-secret";
let duckdb: DuckDBInstance;
let writer: SinkWriter;
let server: Server;
let client: ReturnType<typeof createTRPCClient<QueryRouter>>;
let offset = 0;

const onDlq = (record: { value: string; headers?: Record<string, string> }): BusMessage => ({
  topic: TOPIC.dlq,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: record.value,
  headers: record.headers ?? {},
  timestamp: Date.now(),
});

/** What a replay reads of the letters (workers/gateway/replay.ts). */
const storedLetters = async (projectId: string, ids: string[]) =>
  (await new QueryRunner(duckdb).all(buildDeadLetterPayloads(projectId, ids))).map(storedLetterOf);

beforeAll(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  writer = new SinkWriter(duckdb);
  const service = createQueryService({ duckdb, secret: SECRET, log: createLogger("dead-letters-test", "silent") });
  server = await listen(new Routes().add("POST", "/query/*", service.handler).add("GET", "/query/*", service.handler), "127.0.0.1", 0, () => undefined);
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/query`;
  client = createTRPCClient<QueryRouter>({
    links: [httpLink({ url, transformer: superjson, methodOverride: "POST", headers: () => ({ "x-internal-secret": SECRET }) })],
  });
});

afterAll(async () => {
  writer?.close();
  if (server) await closeServer(server);
  duckdb?.closeSync();
});

describe("dead letters in the query service", () => {
  it("lists payloads with __proto__, prototype and constructor keys instead of failing the whole list", async () => {
    const hostile = '{"__proto__":{"polluted":1},"prototype":{"x":[1]},"constructor":"c","ok":true}';
    const ingestLetter = {
      project_id: "proj_hostile",
      received_at: Date.now(),
      reason: "malformed",
      violations: [{ type: "malformed", message: "bad", prototype: 1 }],
      payload: JSON.parse(hostile) as unknown,
    };
    await writer.write([onDlq({ value: JSON.stringify(ingestLetter) })]);

    const page = await client.deadLetters.list.query({ projectId: "proj_hostile" });
    expect(page.items).toHaveLength(1);
    const stored = page.items.find((item) => item.violations[0]?.message === "bad");
    expect(stored?.violations).toEqual([{ type: "malformed", field: null, message: "bad" }]);
    expect(JSON.parse(stored!.payloadJson)).toEqual(JSON.parse(hostile));
    expect(Object.hasOwn(JSON.parse(stored!.payloadJson) as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const [got] = await storedLetters("proj_hostile", [stored!.dlqId]);
    expect(JSON.parse(got!.payloadJson)).toEqual(JSON.parse(hostile));
  });

  it("shows a consumer's stage and error, keeps one letter per poison record however often it is found, and hides discarded letters", async () => {
    const poison: BusMessage = {
      topic: TOPIC.enriched,
      partition: 3,
      offset: "42",
      key: "proj_stage:u1",
      value: '{"project_id":"proj_stage","type":"event","event_id":7}',
      headers: {},
      timestamp: 0,
    };
    const letter: ProduceRecord = consumerDeadLetter({ stage: "sink", message: poison, error: new Error("Conversion Error: out of range") });
    // Found twice (a redelivered batch): two records on event.dlq, one letter.
    await writer.write([onDlq({ value: letter.value, headers: letter.headers }), onDlq({ value: letter.value, headers: letter.headers })]);

    const page = await client.deadLetters.list.query({ projectId: "proj_stage" });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      stage: "sink",
      error: "Conversion Error: out of range",
      payloadEncoding: "utf8",
      source: "sink",
      dlqId: "sink:event.enriched:3:42",
    });
    expect(JSON.parse(page.items[0]!.payloadJson)).toBe(poison.value);
    expect((await client.deadLetters.list.query({ projectId: "proj_stage", stage: "ingest" })).items).toEqual([]);
    expect((await client.deadLetters.list.query({ projectId: "proj_stage", stage: "sink" })).items).toHaveLength(1);

    const [got] = await storedLetters("proj_stage", ["sink:event.enriched:3:42"]);
    expect(got).toMatchObject({ stage: "sink", origin: { topic: TOPIC.enriched, partition: 3, offset: "42", key: "proj_stage:u1" } });

    expect(await client.deadLetters.discard.mutate({ projectId: "other_project", ids: ["sink:event.enriched:3:42"] })).toEqual({ discarded: 0 });
    expect(await client.deadLetters.discard.mutate({ projectId: "proj_stage", ids: ["sink:event.enriched:3:42"] })).toEqual({ discarded: 1 });
    expect((await client.deadLetters.list.query({ projectId: "proj_stage" })).items).toEqual([]);
    expect(await storedLetters("proj_stage", ["sink:event.enriched:3:42"])).toEqual([]);
  });
});
