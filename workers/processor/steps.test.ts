import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TOPIC, type InternalEvent, type JsonObject, type ProfileRecord } from "../../src/core/events";
import { NO_ACTIONS_HEADER, enrichedEventSchema, enrichedRecordSchema, firingSchema, type Firing } from "../../src/core/pipeline";
import {
  backtestTrigger,
  projectTriggers,
  sampleEvents,
  SAMPLE_EVENT_ID,
  testRuleOnSample,
  type RuleTestSample,
  type StoredEvent,
} from "../../src/core/processing";
import { compileRule } from "../../src/core/rules";
import type { BusMessage, ProduceRecord } from "../bus/types";
import type { LoadedTrigger, ProjectRules } from "./rule-registry";
import { stateKey, type ProfileState } from "./state-store";
import { decodeBatch, dropSeen, firingIdOf, processRecords } from "./steps";
import { createUserAgentParser } from "./user-agent";

const PROJECT = "proj_a";

const loaded = (id: string, rule: string, options: Partial<LoadedTrigger> = {}): LoadedTrigger => ({
  id,
  projectId: PROJECT,
  name: `Trigger ${id}`,
  version: 3,
  cooldownMs: 0,
  actions: [],
  rule: compileRule(rule, []),
  ...options,
});

let offset = 0;
const message = (value: unknown): BusMessage => ({
  topic: TOPIC.raw,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: typeof value === "string" ? value : JSON.stringify(value),
  headers: { trace: "t1" },
  timestamp: 0,
});

const event = (
  id: string,
  name: string,
  cts: number,
  props: JsonObject = {},
  profileId: string | null = "alice",
  extra: Partial<InternalEvent> = {},
): InternalEvent => ({
  type: "event",
  event_id: id,
  project_id: PROJECT,
  event_name: name,
  cts,
  sts: cts + 5,
  profile_id: profileId,
  props,
  ctx: {},
  ...extra,
});

const profile = (id: string, set: JsonObject, profileId = "alice"): ProfileRecord => ({
  type: "profile",
  event_id: id,
  project_id: PROJECT,
  profile_id: profileId,
  sts: 100,
  set,
  set_once: {},
  unset: [],
});

/** The pure part of one batch: decode, drop resends, process, against in-memory states. */
function runBatch(records: unknown[], rules: ProjectRules, states = new Map<string, ProfileState>(), seen: ReadonlySet<string> = new Set()) {
  const decoded = decodeBatch(records.map(message));
  const deduplicated = dropSeen(decoded, seen);
  const outcome = processRecords(deduplicated.handled, states, () => rules, createUserAgentParser());
  return { decoded, deduplicated, outcome, states };
}

const firingsOf = (outputs: ProduceRecord[]): Firing[] =>
  outputs.filter((record) => record.topic === TOPIC.triggered).map((record) => firingSchema.parse(JSON.parse(record.value)));

describe("decodeBatch and dropSeen", () => {
  it("dead-letters what does not decode and lists each profile once", () => {
    const { decoded } = runBatch(
      ["{nope", { type: "event" }, event("e1", "view", 1000), event("e2", "view", 2000), event("e3", "view", 3000, {}, null)],
      projectTriggers([]),
    );
    expect(decoded.decoded.map((item) => (item.kind === "dead" ? item.reason : item.record.event_id))).toEqual(["not_json", "invalid", "e1", "e2", "e3"]);
    expect(decoded.profiles).toEqual([{ projectId: PROJECT, profileId: "alice" }]);
    expect(decoded.idKeys.map((key) => key !== null)).toEqual([false, false, true, true, true]);
  });

  it("drops records an earlier batch or an earlier record handled, counting them by kind", () => {
    const first = decodeBatch([event("e1", "view", 1000), profile("p1", {})].map(message));
    const { deduplicated } = runBatch(
      ["{nope", event("e1", "view", 1000), event("e2", "view", 2000), event("e2", "view", 2000), profile("p1", { a: 1 }), profile("p2", {})],
      projectTriggers([]),
      new Map(),
      new Set(first.idKeys.filter((key) => key !== null)),
    );
    expect(deduplicated.handled.map((item) => (item.kind === "dead" ? "dead" : item.record.event_id))).toEqual(["dead", "e2", "p2"]);
    expect(deduplicated.duplicates).toEqual({ event: 2, profile: 1 });
    expect(deduplicated.fresh.size).toBe(2);
  });
});

describe("processRecords", () => {
  it("enriches events with the profile as of that point in the batch", () => {
    const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
    const { outcome } = runBatch(
      [event("e1", "view", 1000), profile("p1", { plan: "pro" }), event("e2", "view", 2000, {}, "alice", { ctx: { user_agent: ua } })],
      projectTriggers([]),
    );
    const enriched = outcome.outputs.map((record) => enrichedRecordSchema.parse(JSON.parse(record.value)));
    expect(enriched.map((record) => (record.type === "event" ? record.profile_props : record.type === "profile" ? record.props : null))).toEqual([
      {},
      { plan: "pro" },
      { plan: "pro" },
    ]);
    expect(enriched[2]).toMatchObject({ browser: "Chrome", os: "Windows", device_type: "desktop" });
    expect(outcome.outputs.every((record) => record.topic === TOPIC.enriched && record.headers?.trace === "t1")).toBe(true);
    // No trigger reads windows, so only the profile record changed state.
    expect(outcome.changed.map((state) => state.props)).toEqual([{ plan: "pro" }]);
  });

  it("produces firings and errors after their event, with stable ids and the no-actions header", () => {
    const notify = { type: "notification" as const, title: "Big", body: "" };
    const rules = projectTriggers([
      loaded("big", "event.props.amount > 100", { actions: [notify] }),
      loaded("quiet", "event.props.amount > 100"),
      loaded("broken", "event.props.amount > 'x'"),
    ]);
    const { outcome } = runBatch([event("e1", "purchase", 1000, { amount: 500 })], rules);
    expect(outcome.outputs.map((record) => record.topic)).toEqual([TOPIC.enriched, TOPIC.triggered, TOPIC.triggered, TOPIC.triggered]);
    const [big, quiet, broken] = firingsOf(outcome.outputs);
    expect(big).toMatchObject({
      firing_id: firingIdOf("big", "e1"),
      trigger_version: 3,
      result: "fired",
      actions: [notify],
      event: { event_id: "e1" },
      fired_at: 1005,
      event_ts: 1000,
    });
    expect(quiet).toMatchObject({ result: "fired", actions: [] });
    expect(quiet!.event).toBeUndefined();
    expect(broken).toMatchObject({ result: "error", error: expect.any(String), actions: [] });
    expect(outcome.outputs.slice(1).map((record) => record.headers?.[NO_ACTIONS_HEADER] ?? null)).toEqual([null, "1", "1"]);
    expect(outcome.evaluations).toEqual({ fired: 2, quiet: 0, failed: 1 });
  });

  it("keeps windows and cooldowns in the state it saves, and carries them into the next batch", () => {
    const rules = projectTriggers([loaded("third", "window.count('purchase', '1h') >= 3", { cooldownMs: 600_000 })]);
    const first = runBatch([event("e1", "purchase", 1000, { amount: 1 }), event("e2", "purchase", 2000), event("e0", "login", 500)], rules);
    expect(firingsOf(first.outcome.outputs)).toEqual([]);
    expect(first.outcome.changed).toHaveLength(1);
    expect(first.outcome.changed[0]!.windows).toEqual([
      { id: "e1", n: "purchase", t: 1000 },
      { id: "e2", n: "purchase", t: 2000 },
    ]);
    // As Postgres would hand it back.
    const stored = new Map([[stateKey(PROJECT, "alice"), structuredClone(first.outcome.changed[0]!)]]);
    const second = runBatch([event("e3", "purchase", 3000), event("e4", "purchase", 4000), event("e5", "purchase", 700_000)], rules, stored);
    expect(firingsOf(second.outcome.outputs).map((firing) => firing.event_id)).toEqual(["e3", "e5"]);
    expect(second.outcome.changed[0]!.cooldowns).toEqual({ third: { t: 700_000, id: "e5" } });
    expect(second.outcome.evaluations).toEqual({ fired: 2, quiet: 1, failed: 0 });
  });

  it("gives anonymous events no state, and dead letters their place in the outputs", () => {
    const rules = projectTriggers([loaded("any", "window.count('view', '1h') >= 1")]);
    const { outcome } = runBatch([event("e1", "view", 1000, {}, null), "not json"], rules);
    expect(firingsOf(outcome.outputs)).toEqual([]);
    expect(outcome.changed).toEqual([]);
    expect(outcome.outputs.map((record) => record.topic)).toEqual([TOPIC.enriched, TOPIC.dlq]);
    expect(outcome.deadLettered).toEqual(["not_json"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The app's rule tester answers what the processor does with the same events.

const RULES = [
  "event.name == 'purchase' && window.count('purchase', '5m') >= 3",
  "window.sum('purchase', 'amount', '1h') > 100",
  "window.distinct('view', 'page', '10m') >= 2 && profile.props.vip == true",
  "event.props.amount > 50",
  "profile.props.vip == true || window.max('purchase', 'amount', '1m') > 40",
] as const;

const propsArb: fc.Arbitrary<JsonObject> = fc.record(
  { amount: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant("lots")), page: fc.constantFrom("/", "/a", "/b") },
  { requiredKeys: [] },
);
const sampleArb: fc.Arbitrary<RuleTestSample> = fc.record({
  event: fc.record(
    { name: fc.constantFrom("purchase", "view"), props: propsArb, profile_id: fc.constantFrom(undefined, null, "bob") },
    { requiredKeys: ["name", "props"] },
  ),
  profile: fc.record({ props: fc.record({ vip: fc.boolean() }, { requiredKeys: [] }) }),
  history: fc.array(
    fc.record({ name: fc.constantFrom("purchase", "view", "login"), props: propsArb, secondsAgo: fc.double({ min: 0, max: 7200, noNaN: true }) }),
    {
      maxLength: 12,
    },
  ),
});

describe("the rule tester and the processor", () => {
  it("agree on whether the sample fires, for any rule, sample and split of the events into batches", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULES), sampleArb, fc.nat(), fc.integer({ min: 0, max: 10_000 }), (rule, sample, split, cooldownSeconds) => {
        const now = 1_800_000_000_000;
        const trigger = loaded("t", rule, { cooldownMs: cooldownSeconds * 1000 });
        const tested = testRuleOnSample(trigger, sample, now);

        const events = sampleEvents(sample, now).map((e) => ({ ...e, project_id: PROJECT }));
        const profileId = events[0]!.profile_id;
        const records: unknown[] = profileId === null ? events : [profile("p-setup", sample.profile.props, profileId), ...events];
        const cut = split % (records.length + 1);
        const rules = projectTriggers([trigger]);
        const first = runBatch(records.slice(0, cut), rules);
        // What the next batch loads from Postgres: the saved states.
        const stored = new Map(first.outcome.changed.map((state) => [stateKey(state.projectId, state.profileId), structuredClone(state)]));
        const second = runBatch(records.slice(cut), rules, stored);
        const produced = firingsOf([...first.outcome.outputs, ...second.outcome.outputs]).find((firing) => firing.event_id === SAMPLE_EVENT_ID);

        expect(produced?.result ?? null).toBe(tested?.result ?? null);
        expect(produced?.error ?? null).toBe(tested?.error ?? null);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A backtest over what the sink stored answers what the processor fired on the same events.

const historyArb = fc.array(
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant("event" as const),
        name: fc.constantFrom("purchase", "view", "login"),
        props: propsArb,
        who: fc.constantFrom("alice", "bob", "carol", null),
        gapSeconds: fc.integer({ min: 0, max: 900 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("profile" as const), vip: fc.boolean(), who: fc.constantFrom("alice", "bob", "carol") }) },
  ),
  { maxLength: 40 },
);

describe("the rule backtest and the processor", () => {
  it("fire on the same events, for any rule, cooldown and history of several profiles", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULES), historyArb, fc.integer({ min: 0, max: 3600 }), (rule, history, cooldownSeconds) => {
        const trigger = loaded("t", rule, { cooldownMs: cooldownSeconds * 1000 });
        let at = 1_800_000_000_000;
        // Arrival order is event-time order, ties in id order: the order the backtest reads them in.
        const records = history.map((item, index) => {
          const id = `r${String(index).padStart(4, "0")}`;
          if (item.kind === "profile") return profile(id, { vip: item.vip }, item.who);
          at += item.gapSeconds * 1000;
          return event(id, item.name, at, item.props, item.who);
        });
        const { outcome } = runBatch(records, projectTriggers([trigger]));
        const produced = firingsOf(outcome.outputs).map((firing) => `${firing.event_id}:${firing.result}:${firing.error ?? ""}`);

        // What the sink stores: the enriched events, read back grouped by profile in event-time order.
        const stored: StoredEvent[] = outcome.outputs
          .filter((record) => record.topic === TOPIC.enriched)
          .flatMap((record) => {
            const parsed = enrichedEventSchema.safeParse(JSON.parse(record.value));
            return parsed.success ? [{ ...parsed.data, person: parsed.data.profile_id }] : [];
          })
          .sort((a, b) => (a.person ?? "").localeCompare(b.person ?? "") || a.cts - b.cts || a.event_id.localeCompare(b.event_id));
        const backtested = backtestTrigger(trigger, stored).map((firing) => `${firing.eventId}:${firing.result}:${firing.error ?? ""}`);

        expect(backtested.sort()).toEqual(produced.sort());
      }),
      { numRuns: 300 },
    );
  });
});
