import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InternalEvent, JsonObject } from "../events";
import { compileRule } from "../rules";
import { ProfileWindows } from "../rules/windows";
import { evaluateEvent, fixedMembership, projectTriggers, type Cooldowns, type EvaluableTrigger, type ProfileView } from "./evaluate";
import { backtestTrigger, type StoredEvent } from "./backtest";
import { testRuleOnSample } from "./rule-test";

const COHORTS = ["vip", "churn_risk"];

const trigger = (id: string, rule: string, cooldownMs = 0): EvaluableTrigger => ({
  id,
  name: id,
  version: 1,
  cooldownMs,
  actions: [{ type: "notification", title: id, body: "" }],
  rule: compileRule(rule, [], COHORTS),
});

const event = (id: string, name: string, cts: number, props: JsonObject = {}, profileId: string | null = "alice"): InternalEvent => ({
  type: "event",
  event_id: id,
  project_id: "proj",
  event_name: name,
  cts,
  sts: cts,
  profile_id: profileId,
  props,
  ctx: {},
});

const view = (props: JsonObject = {}): ProfileView => ({ props, windows: new ProfileWindows(), cooldowns: {} });

describe("evaluateEvent", () => {
  it("keeps in the window only the events and props some rule reads", () => {
    const rules = projectTriggers([trigger("big", "window.sum('purchase', 'amount', '1h') > 100")]);
    const profile = view();
    expect(evaluateEvent(event("e1", "login", 1000), profile, rules).windowChanged).toBe(false);
    expect(evaluateEvent(event("e2", "purchase", 2000, { amount: 80, coupon: "x" }), profile, rules)).toMatchObject({ outcomes: [], windowChanged: true });
    expect(profile.windows.toJSON()).toEqual([{ id: "e2", n: "purchase", t: 2000, v: { amount: 80 } }]);
    const third = evaluateEvent(event("e3", "purchase", 3000, { amount: 30 }), profile, rules);
    expect(third.outcomes.map((outcome) => outcome.result)).toEqual(["fired"]);
    // A redelivery is not counted twice.
    expect(evaluateEvent(event("e3", "purchase", 3000, { amount: 30 }), profile, rules).windowChanged).toBe(false);
  });

  it("gives an anonymous event no windows and no profile props", () => {
    const rules = projectTriggers([trigger("t", "window.count('x', '1h') >= 1 || profile.props.vip == true")]);
    const result = evaluateEvent(event("e1", "x", 1000, {}, null), null, rules);
    expect(result).toMatchObject({ outcomes: [], quiet: 1, windowChanged: false });
  });

  it("reports a failing rule as an error outcome and does not start its cooldown", () => {
    const rules = projectTriggers([trigger("t", "event.props.amount > 1", 60_000)]);
    const profile = view();
    const result = evaluateEvent(event("e1", "x", 1000, { amount: "many" }), profile, rules);
    expect(result.outcomes).toEqual([{ trigger: rules.triggers[0], result: "error", error: expect.stringContaining("cannot be applied") }]);
    expect(result.cooldowns).toBe(profile.cooldowns);
  });

  it("holds a trigger back during its cooldown, except for the event that started it", () => {
    const rules = projectTriggers([trigger("t", "true", 60_000)]);
    const profile = view();
    const first = evaluateEvent(event("e1", "x", 1000), profile, rules);
    expect(first.outcomes).toHaveLength(1);
    profile.cooldowns = first.cooldowns;
    expect(evaluateEvent(event("e2", "x", 30_000), profile, rules)).toMatchObject({ outcomes: [], quiet: 1 });
    expect(evaluateEvent(event("e1", "x", 1000), profile, rules).outcomes).toHaveLength(1);
    expect(evaluateEvent(event("e3", "x", 61_000), profile, rules).outcomes).toHaveLength(1);
  });

  it("does not run a rule on an event name it cannot fire on, and counts it quiet", () => {
    const rules = projectTriggers([trigger("p", "event.name == 'purchase' && event.props.amount > 1"), trigger("any", "false")]);
    expect(evaluateEvent(event("e1", "login", 1000, { amount: "not a number" }), view(), rules)).toMatchObject({ outcomes: [], quiet: 2 });
  });
});

describe("evaluateEvent with cohorts", () => {
  const VIP_RULE = "event.name == 'purchase' && profile.in_cohort('vip')";
  const membership = fixedMembership(new Map([["vip", ["alice", "merged-into-carol"]]]));

  it("collects the cohort keys the project's rules read", () => {
    const rules = projectTriggers([trigger("v", VIP_RULE), trigger("c", "!profile.in_cohort('churn_risk')"), trigger("w", "window.count('a', '1m') > 0")]);
    expect([...rules.cohortKeys]).toEqual(["vip", "churn_risk"]);
  });

  it("fires for a member by the id the event was sent under or by its person, not for others or anonymous events", () => {
    const rules = projectTriggers([trigger("v", VIP_RULE)], membership);
    const fired = (profileId: string | null, person?: string) =>
      evaluateEvent(event(`e-${profileId}`, "purchase", 1000, {}, profileId), profileId === null ? null : { ...view(), person }, rules).outcomes.length === 1;
    expect(fired("alice")).toBe(true);
    expect(fired("bob")).toBe(false);
    expect(fired("anon-1", "merged-into-carol")).toBe(true);
    expect(fired(null)).toBe(false);
  });

  it("does not fire while the cohort's members are not loaded, for the rule or its negation", () => {
    const rules = projectTriggers([trigger("v", VIP_RULE), trigger("not", "!profile.in_cohort('churn_risk')")], membership);
    expect(evaluateEvent(event("e1", "purchase", 1000, {}, "alice"), view(), rules).outcomes.map((outcome) => outcome.trigger.id)).toEqual(["v"]);
  });

  it("gives the rule tester and the backtest the same membership", () => {
    const rule = trigger("v", VIP_RULE);
    const sample = (profileId?: string) => ({ event: { name: "purchase", props: {}, profile_id: profileId }, profile: { props: {} }, history: [] });
    expect(testRuleOnSample(rule, sample("alice"), 1_000_000, membership)).toMatchObject({ result: "fired" });
    expect(testRuleOnSample(rule, sample("bob"), 1_000_000, membership)).toBeNull();
    expect(testRuleOnSample(rule, sample("alice"), 1_000_000)).toBeNull();
    const stored = (id: string, profileId: string, person: string): StoredEvent => ({
      ...event(id, "purchase", 1000, {}, profileId),
      person,
      profile_props: {},
    });
    const firings = backtestTrigger(
      rule,
      [stored("e1", "alice", "alice"), stored("e2", "bob", "bob"), stored("e3", "anon-1", "merged-into-carol")],
      membership,
    );
    expect(firings.map((firing) => firing.eventId)).toEqual(["e1", "e3"]);
  });
});

// ---------------------------------------------------------------------------------------------
// evaluateEvent over a sequence equals a reference written from the definitions.

const COUNT_RULE = "window.count('a', '1m') >= 2";
const SUM_RULE = "event.name == 'b' && window.sum('a', 'x', '5m') > 6";
const PROP_RULE = "event.props.x > 3";
type Arrival = { name: "a" | "b"; t: number; x: number | string | null; resend: number | null };

/** What each trigger should do on each arrival, from the definitions: no indexes, no pruning. */
function reference(arrivals: InternalEvent[], triggers: EvaluableTrigger[]): string[][] {
  const stored: InternalEvent[] = [];
  const cooldowns: Cooldowns = {};
  return arrivals.map((current) => {
    if (current.event_name === "a" && !stored.some((e) => e.event_id === current.event_id)) stored.push(current);
    const seen = (name: string, ms: number) =>
      stored.filter(
        (e) => e.event_name === name && (e.cts < current.cts || (e.cts === current.cts && e.event_id <= current.event_id)) && e.cts > current.cts - ms,
      );
    const x = current.props.x;
    const results: string[] = [];
    for (const trigger of triggers) {
      let fired: boolean | "error";
      if (trigger.rule.source === COUNT_RULE) fired = seen("a", 60_000).length >= 2;
      else if (trigger.rule.source === SUM_RULE)
        fired = current.event_name === "b" && seen("a", 300_000).reduce((sum, e) => sum + (typeof e.props.x === "number" ? e.props.x : 0), 0) > 6;
      else fired = x === undefined ? false : typeof x === "number" ? x > 3 : "error";
      if (fired === "error") {
        results.push(`${trigger.id}:error`);
        continue;
      }
      if (!fired) continue;
      const last = cooldowns[trigger.id];
      if (trigger.cooldownMs > 0 && last && last.id !== current.event_id && current.cts >= last.t && current.cts < last.t + trigger.cooldownMs) continue;
      if (trigger.cooldownMs > 0) cooldowns[trigger.id] = { t: current.cts, id: current.event_id };
      results.push(`${trigger.id}:fired`);
    }
    return results;
  });
}

const arrivalArb: fc.Arbitrary<Arrival> = fc.record({
  name: fc.constantFrom("a" as const, "b" as const),
  t: fc.integer({ min: 0, max: 400_000 }),
  x: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant("five"), fc.constant(null)),
  resend: fc.option(fc.nat(), { nil: null }),
});

describe("evaluateEvent over a sequence", () => {
  it("fires exactly as the reference says, with resends and cooldowns", () => {
    fc.assert(
      fc.property(
        fc.array(arrivalArb, { maxLength: 40 }),
        fc.constantFrom(0, 30_000),
        fc.constantFrom(0, 120_000),
        (generated, countCooldown, propCooldown) => {
          const triggers = [trigger("count", COUNT_RULE, countCooldown), trigger("sum", SUM_RULE), trigger("prop", PROP_RULE, propCooldown)];
          const arrivals: InternalEvent[] = [];
          generated.forEach((arrival, index) => {
            // A resend repeats an earlier event exactly, as a client retry would.
            if (arrival.resend !== null && arrivals.length > 0) arrivals.push(arrivals[arrival.resend % arrivals.length]!);
            else arrivals.push(event(`e${String(index).padStart(3, "0")}`, arrival.name, arrival.t, arrival.x === null ? {} : { x: arrival.x }));
          });
          const rules = projectTriggers(triggers);
          const profile = view();
          const actual = arrivals.map((current) => {
            const result = evaluateEvent(current, profile, rules);
            profile.cooldowns = result.cooldowns;
            return result.outcomes.map((outcome) => `${outcome.trigger.id}:${outcome.result}`);
          });
          expect(actual).toEqual(reference(arrivals, triggers));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("testRuleOnSample", () => {
  it("counts the sample and its earlier events in the windows", () => {
    const rule = trigger("t", "event.name == 'purchase' && window.count('purchase', '5m') >= 3");
    const sample = {
      event: { name: "purchase", props: {} },
      profile: { props: {} },
      history: [
        { name: "purchase", props: {}, secondsAgo: 30 },
        { name: "purchase", props: {}, secondsAgo: 120 },
      ],
    };
    expect(testRuleOnSample(rule, sample, 1_000_000)).toMatchObject({ result: "fired" });
    expect(testRuleOnSample(rule, { ...sample, history: sample.history.slice(1) }, 1_000_000)).toBeNull();
  });

  it("treats an anonymous sample as the processor does: no windows, no profile props", () => {
    const windowRule = trigger("t", "window.count('purchase', '5m') >= 1");
    const profileRule = trigger("p", "profile.props.vip == true");
    const sample = { event: { name: "purchase", props: {}, profile_id: null }, profile: { props: { vip: true } }, history: [] };
    expect(testRuleOnSample(windowRule, sample, 1_000_000)).toBeNull();
    expect(testRuleOnSample(profileRule, sample, 1_000_000)).toBeNull();
    expect(testRuleOnSample(profileRule, { ...sample, event: { name: "purchase", props: {} } }, 1_000_000)).toMatchObject({ result: "fired" });
  });
});
