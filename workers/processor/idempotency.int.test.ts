/**
 * The processor's idempotency by event_id on the real PostgreSQL: a resend (a later batch, the same
 * batch, a redelivered batch) is enriched once, fires once and counts once in windows, for
 * IDEMPOTENCY_WINDOW_MS. The bus is only recorded here; workers/idempotency.int.test.ts runs the
 * same through ingest, the real broker, the embedded log and DuckDB.
 */
import fc from "fast-check";
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPIC, kafkaKeyOf, type InternalEvent, type ProfileRecord } from "../../src/core/events";
import type { Firing } from "../../src/core/pipeline";
import { createLogger } from "../../src/platform/logger";
import { createTestApp, type TestApp } from "../../src/testing/app";
import type { Bus, BusMessage, ProduceRecord } from "../bus/types";
import { createRawBatchHandler, processorMetrics, type ProcessorMetrics } from "./processor";
import { RuleRegistry } from "./rule-registry";
import { IDEMPOTENCY_WINDOW_MS, ProfileStateStore } from "./state-store";

let app: TestApp;
let pool: pg.Pool;
let rules: RuleRegistry;
let projectId: string;
let everyPurchase: string;
let thirdPurchase: string;
let offset = 0;

const T0 = Date.now() - 10 * 60_000;

function purchase(id: string, profileId: string, cts: number): InternalEvent {
  return {
    type: "event",
    event_id: id,
    project_id: projectId,
    event_name: "purchase",
    cts,
    sts: Date.now(),
    profile_id: profileId,
    props: { amount: 1 },
    ctx: {},
  };
}

function profileUpdate(id: string, profileId: string, set: Record<string, string>): ProfileRecord {
  return { type: "profile", event_id: id, project_id: projectId, profile_id: profileId, sts: Date.now(), set, set_once: {}, unset: [] };
}

/** Records as the bus delivers them: offsets only grow, as on one partition. */
function messages(records: Array<InternalEvent | ProfileRecord>): BusMessage[] {
  return records.map((record) => ({
    topic: TOPIC.raw,
    partition: 0,
    offset: String(offset++),
    key: kafkaKeyOf(record),
    value: JSON.stringify(record),
    headers: {},
    timestamp: Date.now(),
  }));
}

function processor() {
  const produced: ProduceRecord[] = [];
  const bus = {
    kind: "embedded",
    produce: async (records: ProduceRecord[]) => {
      produced.push(...records);
      return [];
    },
  } as unknown as Bus;
  const metrics: ProcessorMetrics = processorMetrics(new Registry());
  const handle = createRawBatchHandler({ bus, groupPrefix: "idempotency", pool, rules, log: createLogger("test", "silent"), metrics });
  const run = (batch: BusMessage[]) => handle({ topic: TOPIC.raw, partition: 0, messages: batch, heartbeat: async () => undefined });
  const enriched = () =>
    produced
      .filter((record) => record.topic === TOPIC.enriched)
      .map((record) => JSON.parse(record.value) as { type?: string; event_id?: string; change_id?: string });
  const firings = (triggerId: string) =>
    produced
      .filter((record) => record.topic === TOPIC.triggered)
      .map((record) => JSON.parse(record.value) as Firing)
      .filter((firing) => firing.trigger_id === triggerId)
      .map((firing) => firing.event_id);
  const deduplicated = async () => (await metrics.deduplicated.get()).values.reduce((sum, value) => sum + value.value, 0);
  return { run, produced, enriched, firings, deduplicated };
}

beforeAll(async () => {
  app = await createTestApp();
  pool = new pg.Pool({ connectionString: app.url, max: 4 });
  const { user, orgId } = await app.signUp("idempotency@example.com");
  const caller = app.caller(user);
  projectId = (await caller.projects.create({ orgId, name: "Idempotency" })).id;
  everyPurchase = (
    await caller.triggers.create({
      projectId,
      trigger: { name: "Every purchase", rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 },
    })
  ).id;
  thirdPurchase = (
    await caller.triggers.create({
      projectId,
      trigger: {
        name: "Third purchase within the hour",
        rule: "event.name == 'purchase' && window.count('purchase', '1h') >= 3",
        actions: [],
        enabled: true,
        cooldownSeconds: 0,
      },
    })
  ).id;
  rules = new RuleRegistry(pool, createLogger("test", "silent"), 60_000);
  await rules.reload();
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await app?.close();
});

describe("idempotency by event_id in the processor", () => {
  it("drops a resend in a later batch and within a batch, before windows and rules, and counts it", async () => {
    const p = processor();
    await p.run(messages([purchase("a-1", "ann", T0), purchase("a-2", "ann", T0 + 1000)]));
    // A resend of a-2 whose server stamped a new event time, the same id twice in one batch, then a third purchase.
    await p.run(messages([purchase("a-2", "ann", T0 + 5000), purchase("a-3", "ann", T0 + 2000), purchase("a-3", "ann", T0 + 2000)]));
    expect(p.enriched().map((event) => event.event_id)).toEqual(["a-1", "a-2", "a-3"]);
    expect(p.firings(everyPurchase)).toEqual(["a-1", "a-2", "a-3"]);
    // window.count saw three purchases at a-3, not four or five.
    expect(p.firings(thirdPurchase)).toEqual(["a-3"]);
    await p.run(messages([purchase("a-4", "ann", T0 + 3000)]));
    expect(p.firings(thirdPurchase)).toEqual(["a-3", "a-4"]);
    const state = await app.db.profileState.findUniqueOrThrow({ where: { projectId_profileId: { projectId, profileId: "ann" } } });
    expect((state.windows as Array<{ id: string }>).map((entry) => entry.id).sort()).toEqual(["a-1", "a-2", "a-3", "a-4"]);
    expect(await p.deduplicated()).toBe(2);
  });

  it("emits nothing for a batch delivered again after its state was saved, and keeps events and profile updates apart", async () => {
    const p = processor();
    const batch = messages([purchase("b-1", "bea", T0), profileUpdate("b-1", "bea", { plan: "pro" })]);
    await p.run(batch);
    const first = p.produced.length;
    expect(p.enriched()).toEqual([expect.objectContaining({ event_id: "b-1" }), expect.objectContaining({ type: "profile", change_id: "b-1" })]);
    // The bus delivers the batch again (a crash between the save and the offset commit).
    await p.run(batch);
    expect(p.produced.length).toBe(first);
    await p.run(messages([profileUpdate("b-1", "bea", { plan: "free" })]));
    const state = await app.db.profileState.findUniqueOrThrow({ where: { projectId_profileId: { projectId, profileId: "bea" } } });
    expect(state.props).toEqual({ plan: "pro" });
    expect(await p.deduplicated()).toBe(3);
  });

  it("forgets an event_id once it is older than the 7-day window, and not before", async () => {
    const p = processor();
    const store = new ProfileStateStore(pool);
    await p.run(messages([purchase("c-1", "cem", T0)]));
    await store.pruneSeen(IDEMPOTENCY_WINDOW_MS, Date.now() + IDEMPOTENCY_WINDOW_MS - 60_000);
    await p.run(messages([purchase("c-1", "cem", T0)]));
    expect(p.enriched().map((event) => event.event_id)).toEqual(["c-1"]);
    expect(await store.pruneSeen(IDEMPOTENCY_WINDOW_MS, Date.now() + IDEMPOTENCY_WINDOW_MS + 60_000)).toBeGreaterThan(0);
    await p.run(messages([purchase("c-1", "cem", T0 + 1000)]));
    expect(p.enriched().map((event) => event.event_id)).toEqual(["c-1", "c-1"]);
  });

  it("matches a set of distinct ids over random sequences of sends, resends, batch cuts and redeliveries", async () => {
    let run = 0;
    const send = fc.record({ id: fc.nat({ max: 7 }), dt: fc.integer({ min: 0, max: 20_000 }), sameTime: fc.boolean() });
    const step = fc.record({ sends: fc.array(send, { minLength: 1, maxLength: 8 }), redeliver: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        run++;
        const profile = `prop-${run}`;
        const p = processor();
        const idOf = (n: number) => `r${run}-${n}`;
        // A client's resend carries its event time; a server-stamped time differs per request.
        const ctsOf = new Map<number, number>();
        const arrivals: Array<{ id: string; t: number }> = [];
        for (const { sends, redeliver } of steps) {
          const records = sends.map(({ id, dt, sameTime }) => {
            const cts = sameTime ? (ctsOf.get(id) ?? T0 + dt) : T0 + dt;
            if (!ctsOf.has(id)) ctsOf.set(id, cts);
            return purchase(idOf(id), profile, cts);
          });
          for (const record of records) if (!arrivals.some((seen) => seen.id === record.event_id)) arrivals.push({ id: record.event_id, t: record.cts });
          const batch = messages(records);
          await p.run(batch);
          if (redeliver) await p.run(batch);
        }
        // Reference: each distinct id once, in order of first arrival; the third-purchase rule
        // fires where at least three first arrivals so far are at or before the event in (t, id) order.
        const distinct = arrivals.map((arrival) => arrival.id);
        const third = arrivals
          .filter((arrival, index) => {
            const visible = arrivals.slice(0, index + 1).filter((other) => other.t < arrival.t || (other.t === arrival.t && other.id <= arrival.id));
            return visible.length >= 3;
          })
          .map((arrival) => arrival.id);
        expect(p.enriched().map((event) => event.event_id)).toEqual(distinct);
        expect(p.firings(everyPurchase)).toEqual(distinct);
        expect(p.firings(thirdPurchase)).toEqual(third);
        const sent = steps.reduce((sum, { sends, redeliver }) => sum + sends.length * (redeliver ? 2 : 1), 0);
        expect(await p.deduplicated()).toBe(sent - distinct.length);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
