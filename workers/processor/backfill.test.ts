import { describe, expect, it } from "vitest";
import { TOPIC, type InternalEvent } from "../../src/core/events";
import { enrichedRecordSchema, firingSchema } from "../../src/core/pipeline";
import { projectTriggers } from "../../src/core/processing";
import { compileRule } from "../../src/core/rules";
import type { BusMessage } from "../bus/types";
import type { LoadedTrigger } from "./rule-registry";
import { stateKey, type ProfileState } from "./state-store";
import { decodeBatch, dropSeen, processRecords } from "./steps";
import { createUserAgentParser } from "./user-agent";

const PROJECT = "proj_a";
const rules = projectTriggers<LoadedTrigger>([
  {
    id: "t1",
    projectId: PROJECT,
    name: "Second purchase",
    version: 1,
    cooldownMs: 0,
    actions: [{ type: "tag_profile", tag: "repeat" }],
    rule: compileRule("event.name == 'purchase' && window.count('purchase', '7d') >= 2", []),
  },
]);

let offset = 0;
const message = (value: InternalEvent): BusMessage => ({
  topic: TOPIC.raw,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: JSON.stringify(value),
  headers: {},
  timestamp: 0,
});

const purchase = (id: string, cts: number, backfill?: InternalEvent["backfill"]): InternalEvent => ({
  type: "event",
  event_id: id,
  project_id: PROJECT,
  event_name: "purchase",
  cts,
  sts: 10_000_000,
  profile_id: "alice",
  props: {},
  ctx: {},
  ...(backfill ? { backfill } : {}),
});

function run(events: InternalEvent[]) {
  const states = new Map<string, ProfileState>();
  const outcome = processRecords(dropSeen(decodeBatch(events.map(message)), new Set()).handled, states, () => rules, createUserAgentParser());
  const firings = outcome.outputs.filter((record) => record.topic === TOPIC.triggered).map((record) => firingSchema.parse(JSON.parse(record.value)));
  const enriched = outcome.outputs.filter((record) => record.topic === TOPIC.enriched).map((record) => enrichedRecordSchema.parse(JSON.parse(record.value)));
  return { firings, enriched, state: states.get(stateKey(PROJECT, "alice")) };
}

describe("imported events in the processor", () => {
  it("stores an import's events without adding them to windows or evaluating rules", () => {
    const backfill = { job_id: "imp_1", fire_actions: false };
    const { firings, enriched, state } = run([purchase("a", 1000, backfill), purchase("b", 2000, backfill), purchase("c", 3000, backfill)]);
    expect(enriched.map((record) => record.type === "event" && record.event_id)).toEqual(["a", "b", "c"]);
    expect(enriched[0]).toMatchObject({ backfill });
    expect(firings).toEqual([]);
    expect(state?.windows ?? []).toEqual([]);
  });

  it("evaluates them as live events when the import asked to fire actions", () => {
    const backfill = { job_id: "imp_1", fire_actions: true };
    const { firings } = run([purchase("a", 1000, backfill), purchase("b", 2000, backfill)]);
    expect(firings.map((firing) => [firing.event_id, firing.result])).toEqual([["b", "fired"]]);
  });
});
