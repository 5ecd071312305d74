import { describe, expect, it } from "vitest";
import { internalEventSchema } from "../src/core/events";
import type { ResolvedKey } from "../src/core/tracking-plan";
import { testPlan } from "./test-fixtures";
import { createIngestHandler, malformedPathAnswer, type OutgoingRecord } from "./ingest";

const KEY = "ef_live_valid_key_for_tests_000000";

const PURCHASE: ResolvedKey["eventTypes"] = [{ name: "purchase", fields: [{ name: "amount", dataType: "number", required: true }] }];
const plan = (overrides: Partial<ResolvedKey["project"]> = {}): ResolvedKey => testPlan(overrides, PURCHASE);

/** The handler's producer is injected: here an in-memory log, so the handler's own logic is tested. */
function setup(
  opts: { plan?: ResolvedKey; produce?: (records: OutgoingRecord[]) => Promise<void>; limits?: Parameters<typeof createIngestHandler>[0]["limits"] } = {},
) {
  const written: OutgoingRecord[] = [];
  const handler = createIngestHandler({
    resolveKey: async (key) => (key === KEY ? (opts.plan ?? plan()) : null),
    produce: opts.produce ?? (async (records) => void written.push(...records)),
    limits: opts.limits,
  });
  const post = (path: "events" | "batch" | "profiles", body: string | unknown, headers: Record<string, string> = { "x-api-key": KEY }) =>
    handler[path](
      new Request(`http://edge.test/api/v1/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  return { handler, written, post };
}

describe("ingest handler", () => {
  it("accepts a planned event, produces it to event.raw keyed by project and profile, and answers 202 with its id", async () => {
    const { post, written } = setup();
    const response = await post(
      "events",
      { event_name: "purchase", profile_id: "u1", props: { amount: 10 } },
      { "x-api-key": KEY, "x-forwarded-for": "198.51.100.7, 10.0.0.1", "user-agent": "Test/1" },
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { event_id: string };
    expect(written).toHaveLength(1);
    const record = written[0]!;
    expect(record).toMatchObject({ topic: "event.raw", key: "proj_1:u1" });
    const event = internalEventSchema.parse(JSON.parse(record.value));
    expect(event).toMatchObject({ event_id: body.event_id, project_id: "proj_1", ctx: { ip: "198.51.100.7", user_agent: "Test/1" } });
    expect(record.headers.trace_id).toBe(response.headers.get("x-trace-id"));
  });

  it("answers 401 without a key or with an unknown one, 403 for an archived project, and writes nothing", async () => {
    const { post, written } = setup();
    expect((await post("events", { event_name: "x" }, {})).status).toBe(401);
    expect((await post("events", { event_name: "x" }, { authorization: "Bearer ef_live_unknown" })).status).toBe(401);
    const archived = setup({ plan: plan({ archived: true }) });
    expect((await archived.post("events", { event_name: "x" })).status).toBe(403);
    expect(written).toHaveLength(0);
  });

  it("takes the key from the query string for sendBeacon", async () => {
    const { handler, written } = setup();
    const response = await handler.batch(
      new Request(`http://edge.test/api/v1/events/batch?key=${KEY}`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify([{ event_name: "purchase", props: { amount: 1 } }]),
      }),
    );
    expect(response.status).toBe(202);
    expect(written).toHaveLength(1);
  });

  it("refuses a violating event with its machine-readable type and sends it to event.dlq", async () => {
    const { post, written } = setup();
    const response = await post("events", { event_name: "purchase", props: {} });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: "required_missing", violations: [{ type: "required_missing", field: "props.amount" }] });
    expect(written.map((record) => record.topic)).toEqual(["event.dlq"]);
    expect(JSON.parse(written[0]!.value)).toMatchObject({ project_id: "proj_1", reason: "required_missing", payload: { event_name: "purchase", props: {} } });
  });

  it("accepts an unplanned event under observe, recording the violation on the event", async () => {
    const { post, written } = setup({ plan: plan({ planEnforcement: "observe" }) });
    const response = await post("events", { event_name: "refund" });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ violations: [{ type: "unplanned_event" }] });
    expect(JSON.parse(written[0]!.value)).toMatchObject({ violations: [{ type: "unplanned_event" }] });
  });

  it("keeps the valid events of a batch, names the refused ones, and dead-letters them", async () => {
    const { post, written } = setup();
    const response = await post("batch", [
      { event_name: "purchase", props: { amount: 1 } },
      { event_name: "purchase", props: { amount: "x" } },
      "nonsense",
      { event_type: "purchase", fields: { amount: 2 }, user_id: "u9" },
    ]);
    expect(response.status).toBe(207);
    const body = (await response.json()) as { accepted: number; refused: number; errors: Array<{ index: number; reason: string }> };
    expect(body).toMatchObject({ accepted: 2, refused: 2 });
    expect(body.errors.map((error) => [error.index, error.reason])).toEqual([
      [1, "datatype_mismatch"],
      [2, "malformed"],
    ]);
    expect(written.filter((record) => record.topic === "event.raw")).toHaveLength(2);
    expect(written.filter((record) => record.topic === "event.dlq")).toHaveLength(2);
  });

  it("answers 503 with Retry-After, never 2xx, when the producer fails or does not answer in time", async () => {
    const failing = setup({ produce: () => Promise.reject(new Error("broker down")) });
    const failed = await failing.post("events", { event_name: "purchase", props: { amount: 1 } });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBeTruthy();
    const hanging = setup({ produce: () => new Promise(() => undefined), limits: { produceTimeoutMs: 50 } });
    const started = Date.now();
    const slow = await hanging.post("batch", [{ event_name: "purchase", props: { amount: 1 } }]);
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("says in a 503 that the events are not known to be stored and gives the event_ids to resend with", async () => {
    // The write lands after the bound: exactly the records the 503 names are what got stored.
    let landed: OutgoingRecord[] = [];
    const late = setup({
      produce: (records) => new Promise((resolve) => setTimeout(() => resolve(void (landed = records)), 100)),
      limits: { produceTimeoutMs: 20 },
    });
    const batch = await late.post("batch", [
      { event_name: "purchase", event_id: "client-1", props: { amount: 1 } },
      { event_name: "purchase", props: {} },
      { event_name: "purchase", props: { amount: 2 } },
    ]);
    expect(batch.status).toBe(503);
    expect(batch.headers.get("access-control-expose-headers")).toContain("retry-after");
    const body = (await batch.json()) as { error: string; stored: string; resend: string; events: Array<{ index: number; event_id: string }> };
    expect(body).toMatchObject({ error: "unavailable", stored: "unknown", resend: "same_event_id" });
    expect(body.events.map((event) => event.index)).toEqual([0, 2]);
    expect(body.events[0]!.event_id).toBe("client-1");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stored = landed.filter((record) => record.topic === "event.raw").map((record) => (JSON.parse(record.value) as { event_id: string }).event_id);
    expect(stored).toEqual(body.events.map((event) => event.event_id));

    const single = await late.post("events", { event_name: "purchase", props: { amount: 3 } });
    const singleBody = (await single.json()) as { stored: string; event_id: string };
    expect(single.status).toBe(503);
    expect(singleBody.stored).toBe("unknown");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(landed.map((record) => (JSON.parse(record.value) as { event_id: string }).event_id)).toEqual([singleBody.event_id]);
  });

  it("refuses malformed JSON, oversized bodies, oversized and empty batches, and prototype keys", async () => {
    const { post, written } = setup({ limits: { maxRequestBytes: 10_000, maxBatchSize: 3 } });
    expect((await post("events", "{not json")).status).toBe(400);
    expect((await post("events", { event_name: "purchase", props: { amount: 1, pad: "x".repeat(20_000) } })).status).toBe(413);
    expect((await post("batch", [1, 2, 3, 4])).status).toBe(413);
    expect((await post("batch", [])).status).toBe(400);
    expect((await post("batch", { nope: true })).status).toBe(400);
    const proto = await post("events", '{"event_name":"purchase","props":{"amount":1,"__proto__":{"polluted":true}}}');
    expect(proto.status).toBe(422);
    expect(await proto.json()).toMatchObject({ error: "unstorable_value", path: "props.__proto__" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(written.every((record) => record.topic === "event.dlq")).toBe(true);
  });

  it("rate-limits per key with 429 and Retry-After", async () => {
    const { post } = setup({ plan: plan({ rateLimitPerSecond: 2 }) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("events", { event_name: "purchase", props: { amount: 1 } })).status);
    expect(statuses.slice(0, 2)).toEqual([202, 202]);
    expect(statuses).toContain(429);
  });

  it("converts profile updates and keys them by profile", async () => {
    const { post, written } = setup();
    expect((await post("profiles", { profile_id: "u1", set: { vip_level: 3 } })).status).toBe(202);
    expect(written[0]).toMatchObject({ topic: "event.raw", key: "proj_1:u1", headers: { kind: "profile" } });
    expect((await post("profiles", { set: {} })).status).toBe(400);
  });

  it("answers a path with a malformed escape with a JSON 400 before any router decodes it, and lets well-formed paths through", async () => {
    const answer = malformedPathAnswer(new Request("http://ingest.test/api/v1/profiles/%ZZ"));
    expect(answer?.status).toBe(400);
    expect(await answer?.json()).toMatchObject({ error: "malformed" });
    expect(answer?.headers.get("access-control-allow-origin")).toBe("*");
    expect(malformedPathAnswer(new Request("http://ingest.test/api/v1/profiles/a%2Fb%20c"))).toBeNull();
  });
});
