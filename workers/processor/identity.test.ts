import { describe, expect, it } from "vitest";
import { TOPIC, type InternalEvent, type JsonObject, type ProfileRecord } from "../../src/core/events";
import { personMergeSchema } from "../../src/core/identity";
import { enrichedRecordSchema, firingSchema } from "../../src/core/pipeline";
import { projectTriggers } from "../../src/core/processing";
import { compileRule } from "../../src/core/rules";
import type { BusMessage } from "../bus/types";
import { BatchIdentity } from "./identity";
import type { LoadedTrigger } from "./rule-registry";
import { stateKey, type ProfileState } from "./state-store";
import { decodeBatch, dropSeen, processRecords } from "./steps";
import { createUserAgentParser } from "./user-agent";

const PROJECT = "proj_a";
const HOUR = 3600_000;
let offset = 0;
const message = (value: unknown): BusMessage => ({
  topic: TOPIC.raw,
  partition: 0,
  offset: String(offset++),
  key: null,
  value: JSON.stringify(value),
  headers: {},
  timestamp: 0,
});
const event = (id: string, name: string, cts: number, profileId: string): InternalEvent => ({
  type: "event",
  event_id: id,
  project_id: PROJECT,
  event_name: name,
  cts,
  sts: cts,
  profile_id: profileId,
  props: {},
  ctx: {},
});
const identify = (id: string, user: string, anonymous: string, set: JsonObject = {}, explicit = false): ProfileRecord => ({
  type: "profile",
  event_id: id,
  project_id: PROJECT,
  profile_id: user,
  sts: 10 * HOUR,
  set,
  set_once: {},
  unset: [],
  merge: { from: anonymous, explicit },
});
const trigger: LoadedTrigger = {
  id: "two-views",
  projectId: PROJECT,
  name: "Two views then sign-up",
  version: 1,
  cooldownMs: 0,
  actions: [],
  rule: compileRule("event.name == 'signup' && window.count('view', '1h') >= 2", []),
};

function run(records: unknown[], states: Map<string, ProfileState>, identity: BatchIdentity) {
  const decoded = decodeBatch(records.map(message));
  const outcome = processRecords(dropSeen(decoded, new Set()).handled, states, () => projectTriggers([trigger]), createUserAgentParser(), identity);
  return { decoded, outcome };
}

const fresh = () => new BatchIdentity(new Map(), new Map());

describe("identity merge in the processor", () => {
  it("an identify folds the anonymous id's windows and props into the user, and later anonymous events count for the user", () => {
    const states = new Map<string, ProfileState>();
    const identity = fresh();
    const { decoded, outcome } = run(
      [
        event("v1", "view", 10 * HOUR - 20 * 60_000, "anon-1"),
        { ...identify("i1", "user-1", "anon-1", { plan: "pro" }) },
        event("v2", "view", 10 * HOUR + 60_000, "anon-1"),
        event("s1", "signup", 10 * HOUR + 120_000, "user-1"),
      ],
      states,
      identity,
    );
    expect(decoded.profiles.map((key) => key.profileId)).toEqual(["anon-1", "user-1"]);
    const firings = outcome.outputs.filter((record) => record.topic === TOPIC.triggered).map((record) => firingSchema.parse(JSON.parse(record.value)));
    expect(firings.map((firing) => [firing.event_id, firing.result])).toEqual([["s1", "fired"]]);
    const merges = outcome.outputs
      .filter((record) => JSON.parse(record.value).type === "merge")
      .map((record) => personMergeSchema.parse(JSON.parse(record.value)));
    expect(merges).toEqual([{ type: "merge", project_id: PROJECT, distinct_id: "anon-1", person_id: "user-1", change_id: "i1", merged_at: 10 * HOUR }]);
    // The anonymous event keeps its id; it reads the user's props.
    const enriched = outcome.outputs.filter((record) => record.topic === TOPIC.enriched).map((record) => JSON.parse(record.value) as unknown);
    const v2 = enriched
      .map((record) => enrichedRecordSchema.safeParse(record))
      .find((parsed) => parsed.success && parsed.data.type === "event" && parsed.data.event_id === "v2");
    expect(v2?.success && v2.data).toMatchObject({ profile_id: "anon-1", profile_props: { plan: "pro" } });
    expect(outcome.changed.map((state) => state.profileId)).toEqual(["user-1"]);
    // Windows keep only what rules read (views).
    expect(outcome.changed[0]!.windows.map((entry) => entry.id).sort()).toEqual(["v1", "v2"]);
    expect(states.has(stateKey(PROJECT, "anon-1"))).toBe(false);
    expect(identity.ops).toEqual([
      { kind: "identified", projectId: PROJECT, profileId: "user-1" },
      { kind: "merge", projectId: PROJECT, from: "anon-1", into: "user-1" },
    ]);
  });

  it("the user's props win over the anonymous id's", () => {
    const states = new Map<string, ProfileState>([
      [
        stateKey(PROJECT, "anon-1"),
        { projectId: PROJECT, profileId: "anon-1", props: { plan: "free", ref: "ad" }, windows: [], cooldowns: {}, createdAt: 1, updatedAt: 1 },
      ],
      [
        stateKey(PROJECT, "user-1"),
        { projectId: PROJECT, profileId: "user-1", props: { plan: "pro" }, windows: [], cooldowns: {}, createdAt: 5, updatedAt: 5 },
      ],
    ]);
    const { outcome } = run([identify("i1", "user-1", "anon-1")], states, fresh());
    expect(outcome.changed).toEqual([expect.objectContaining({ profileId: "user-1", props: { plan: "pro", ref: "ad" }, createdAt: 1 })]);
  });

  it("never merges two identified users on an identify; an explicit merge does", () => {
    const identity = new BatchIdentity(new Map([[PROJECT, new Map([["anon-1", "user-1"]])]]), new Map([[PROJECT, new Set(["user-1", "user-2"])]]));
    // The same device signs in as another user without reset(): refused, counted, user-2 still gets its traits.
    const refused = run([identify("i2", "user-2", "anon-1", { plan: "team" })], new Map(), identity);
    expect(refused.outcome.outputs.some((record) => JSON.parse(record.value).type === "merge")).toBe(false);
    expect(refused.outcome.changed.map((state) => [state.profileId, state.props])).toEqual([["user-2", { plan: "team" }]]);
    // An identified id named as the anonymous one is refused too.
    run([identify("i3", "user-2", "user-1")], new Map(), identity);
    expect(identity.results).toEqual(["refused", "refused"]);
    expect(identity.personOf(PROJECT, "anon-1")).toBe("user-1");
    // Only the explicit merge joins them; anon-1 follows its person.
    run([identify("m1", "user-2", "user-1", {}, true)], new Map(), identity);
    expect(identity.results).toEqual(["refused", "refused", "merged"]);
    expect(identity.personOf(PROJECT, "anon-1")).toBe("user-2");
    expect(identity.personOf(PROJECT, "user-1")).toBe("user-2");
  });
});
