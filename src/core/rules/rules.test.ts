import { describe, expect, it } from "vitest";
import {
  checkRule,
  compileRule,
  EMPTY_WINDOW_READER,
  NO_COHORTS,
  RuleCompileError,
  RuleRuntimeError,
  type AttributeDef,
  type CohortReader,
  type RuleInput,
  type WindowReader,
} from ".";

const SHOP: AttributeDef[] = [
  { entity: "event", name: "amount", type: "number" },
  { entity: "event", name: "campaign", type: "string" },
  { entity: "event", name: "tags", type: "array" },
  { entity: "event", name: "page.url", type: "string" },
  { entity: "profile", name: "vip_level", type: "number" },
  { entity: "profile", name: "login_count", type: "number" },
  { entity: "profile", name: "beta", type: "boolean" },
];

const RULE_PURCHASE = "event.name == 'purchase' && event.props.amount > 10000 && window.count('purchase', '5m') >= 1";
const RULE_FIRST_LOGIN = "event.name == 'login' && profile.props.login_count == 0";
const RULE_CAMPAIGN = "event.name == 'page_view' && event.props.campaign == 'summer_sale' && profile.props.vip_level >= 3";

function input(name: string, props: Record<string, unknown> = {}, profileProps: Record<string, unknown> = {}, ctx: Record<string, unknown> = {}): RuleInput {
  return { event: { id: "e1", name, time: 1_700_000_000_000, profile_id: "p1", props, ctx }, profile: { id: "p1", props: profileProps } };
}

/** A reader answering from fixed numbers (empty-window answers otherwise), recording what it was asked. */
function fixedWindows(values: Partial<Record<keyof WindowReader, number | null>>, asked: string[] = []): WindowReader {
  const answer =
    (fn: keyof WindowReader, empty: number | null) =>
    (...args: (string | number)[]) => {
      asked.push(`${fn}(${args.join(",")})`);
      return values[fn] === undefined ? empty : values[fn];
    };
  return {
    count: answer("count", 0) as WindowReader["count"],
    sum: answer("sum", 0) as WindowReader["sum"],
    avg: answer("avg", null),
    min: answer("min", null),
    max: answer("max", null),
    distinct: answer("distinct", 0) as WindowReader["distinct"],
  };
}

function errorsOf(source: string, attributes = SHOP, cohorts: readonly string[] = []) {
  const check = checkRule(source, attributes, cohorts);
  if (check.ok) throw new Error(`expected "${source}" to fail, but it checked fine`);
  return check.errors;
}

describe("the design's three rules, verbatim", () => {
  it("type-check against the shop's attributes and name the window the worker must keep", () => {
    expect(checkRule(RULE_PURCHASE, SHOP)).toEqual({
      ok: true,
      warnings: [],
      windowNeeds: [{ fn: "count", name: "purchase", prop: null, durationMs: 300_000 }],
      cohortKeys: [],
    });
    expect(checkRule(RULE_FIRST_LOGIN, SHOP)).toEqual({ ok: true, warnings: [], windowNeeds: [], cohortKeys: [] });
    expect(checkRule(RULE_CAMPAIGN, SHOP)).toEqual({ ok: true, warnings: [], windowNeeds: [], cohortKeys: [] });
  });

  it("fire a big purchase when the window holds a purchase, whether the amount is an int or a double", () => {
    const rule = compileRule(RULE_PURCHASE, SHOP);
    const asked: string[] = [];
    expect(rule.evaluate(input("purchase", { amount: 12000.5 }), fixedWindows({ count: 1 }, asked))).toBe(true);
    expect(asked).toEqual(["count(purchase,300000)"]);
    expect(rule.evaluate(input("purchase", { amount: 12000 }), fixedWindows({ count: 3 }))).toBe(true);
    expect(rule.evaluate(input("purchase", { amount: 10000 }), fixedWindows({ count: 3 }))).toBe(false);
    expect(rule.evaluate(input("purchase", { amount: 12000 }), EMPTY_WINDOW_READER)).toBe(false);
    expect(rule.evaluate(input("refund", { amount: 12000 }), fixedWindows({ count: 3 }))).toBe(false);
  });

  it("fire on a first login when login_count is 0 (sent as 0 or 0.0) and not otherwise", () => {
    const rule = compileRule(RULE_FIRST_LOGIN, SHOP);
    expect(rule.evaluate(input("login", {}, { login_count: 0 }), EMPTY_WINDOW_READER)).toBe(true);
    expect(rule.evaluate(input("login", {}, { login_count: 0.0 }), EMPTY_WINDOW_READER)).toBe(true);
    expect(rule.evaluate(input("login", {}, { login_count: 4 }), EMPTY_WINDOW_READER)).toBe(false);
    expect(rule.evaluate(input("login", {}, {}), EMPTY_WINDOW_READER)).toBe(false);
  });

  it("fire on a summer-sale page view by a VIP of level 3 or more", () => {
    const rule = compileRule(RULE_CAMPAIGN, SHOP);
    expect(rule.evaluate(input("page_view", { campaign: "summer_sale" }, { vip_level: 3 }), EMPTY_WINDOW_READER)).toBe(true);
    expect(rule.evaluate(input("page_view", { campaign: "summer_sale" }, { vip_level: 4.5 }), EMPTY_WINDOW_READER)).toBe(true);
    expect(rule.evaluate(input("page_view", { campaign: "summer_sale" }, { vip_level: 2 }), EMPTY_WINDOW_READER)).toBe(false);
    expect(rule.evaluate(input("page_view", { campaign: "winter" }, { vip_level: 5 }), EMPTY_WINDOW_READER)).toBe(false);
  });
});

describe("checkRule", () => {
  it("names an unknown attribute, with its offsets and a suggestion", () => {
    const source = "event.name == 'purchase' && event.props.amout > 10";
    expect(errorsOf(source)).toEqual([{ message: "unknown event attribute 'amout'; did you mean 'amount'?", from: 28, to: 45 }]);
    expect(errorsOf("profile.props.plan == 'pro'")[0]!.message).toBe("unknown profile attribute 'plan'");
    expect(errorsOf("event.props['nope'] == 1")[0]!.message).toBe("unknown event attribute 'nope'");
    expect(errorsOf("event.nmae == 'x'")[0]!.message).toMatch(/^unknown event field 'nmae'/);
  });

  it("reads attributes whose names are not identifiers through a literal index", () => {
    expect(checkRule("event.props['page.url'].startsWith('https://')", SHOP).ok).toBe(true);
  });

  it("leaves an entity's props unchecked, with a warning, while the project declares none of its attributes", () => {
    const eventOnly = SHOP.filter((attribute) => attribute.entity === "event");
    const check = checkRule("event.props.amount > 1 && profile.props.anything == 'x' && profile.props.other > 2", eventOnly);
    expect(check).toMatchObject({ ok: true, warnings: [{ message: "this project defines no profile attributes, so profile.props.anything is not checked" }] });
    expect(checkRule(RULE_PURCHASE, []).ok).toBe(true);
  });

  it("warns about a computed key it cannot check", () => {
    const check = checkRule("event.props[event.name] == 1", SHOP);
    expect(check).toMatchObject({
      ok: true,
      warnings: [{ message: "event.props[…] with a computed key cannot be checked against the event attributes", from: 0, to: 23 }],
    });
  });

  it("uses the declared types: a string attribute cannot be compared with a number", () => {
    expect(errorsOf("event.props.campaign > 3")).toEqual([{ message: "operator '>' cannot be applied to string and int", from: 0, to: 24 }]);
    expect(errorsOf("profile.props.beta + 1 > 0")[0]!.message).toMatch(/cannot be applied to bool and int/);
    expect(checkRule("profile.props.vip_level * 2 - 1 >= 3.5 && profile.props.beta && 'sale' in event.props.tags", SHOP).ok).toBe(true);
  });

  it("requires a bool result", () => {
    expect(errorsOf("1 + 2")[0]!.message).toBe("a rule must evaluate to a bool (true or false), but this one gives int");
    expect(errorsOf("event.name")[0]!.message).toMatch(/gives string$/);
    expect(errorsOf("window.sum('purchase', 'amount', '1h')")[0]!.message).toMatch(/gives double$/);
  });

  it("reports syntax errors with their position", () => {
    expect(errorsOf("event.props.amount >")).toEqual([{ message: "Unexpected token: EOF", from: 20, to: 20 }]);
    expect(errorsOf("   ")[0]!.message).toBe("the rule is empty");
  });

  it("accepts durations from 1s to 7d and names the problem with any other", () => {
    for (const [dur, ms] of [
      ["1s", 1000],
      ["30s", 30_000],
      ["5m", 300_000],
      ["1h", 3_600_000],
      ["24h", 86_400_000],
      ["7d", 604_800_000],
    ] as const) {
      expect(checkRule(`window.count('x', '${dur}') > 0`, SHOP)).toMatchObject({ ok: true, windowNeeds: [{ durationMs: ms }] });
    }
    expect(errorsOf("window.count('x', '8d') > 0")).toEqual([{ message: "window duration '8d' is out of range: use 1s to 7d", from: 18, to: 22 }]);
    expect(errorsOf("window.count('x', '169h') > 0")[0]!.message).toMatch(/out of range/);
    for (const dur of ["0s", "5x", "1.5h", "", "5 m", "-1m", "99999999d", "5M"]) {
      expect(errorsOf(`window.count('x', '${dur}') > 0`)[0]!.message).toMatch(/invalid window duration|out of range/);
    }
  });

  it("requires string literals for window arguments, so the worker knows what to keep", () => {
    expect(errorsOf("window.count(event.name, '5m') > 0")).toEqual([
      { message: "window.count: 'name' must be a string literal like 'purchase', so the worker knows which events to keep", from: 13, to: 23 },
    ]);
    expect(errorsOf("window.sum('purchase', event.props.campaign, '1h') > 0")[0]!.message).toMatch(/'prop' must be a string literal/);
    expect(errorsOf("window.count('purchase', 5) > 0")[0]!.message).toMatch(/'dur' must be a string literal like '5m'/);
    expect(errorsOf("window.count('purchase', '5' + 'm') > 0")[0]!.message).toMatch(/'dur' must be a string literal/);
    expect(errorsOf("window.total('purchase', '5m') > 0")[0]!.message).toBe("unknown window function 'total': use count, sum, avg, min, max, distinct");
    expect(errorsOf("window.sum('purchase', '5m') > 0")[0]!.message).toBe("window.sum takes (name, prop, dur), got 2 arguments");
    expect(errorsOf("window == null")[0]!.message).toMatch(/window is only used through its functions/);
  });

  it("collects every window the rule reads, once each", () => {
    const source =
      "window.count('a', '30s') > 0 && window.count('a', '30s') < 9 && window.sum('a', 'amount', '1h') > 1.5 && window.avg('a', 'amount', '1h') > 0 && " +
      "window.min('b', 'x', '1m') < 0 && window.max('b', 'x', '7d') > 0 && window.distinct('c', 'sku', '24h') >= 2";
    const check = checkRule(source, SHOP);
    expect(check.ok && check.windowNeeds).toEqual([
      { fn: "count", name: "a", prop: null, durationMs: 30_000 },
      { fn: "sum", name: "a", prop: "amount", durationMs: 3_600_000 },
      { fn: "avg", name: "a", prop: "amount", durationMs: 3_600_000 },
      { fn: "min", name: "b", prop: "x", durationMs: 60_000 },
      { fn: "max", name: "b", prop: "x", durationMs: 604_800_000 },
      { fn: "distinct", name: "c", prop: "sku", durationMs: 86_400_000 },
    ]);
  });

  it("refuses hostile input with clear errors instead of crashing", () => {
    expect(errorsOf("event.name == 'x' || ".repeat(500) + "true")[0]!.message).toMatch(/^the rule is 10504 characters long; the limit is 4000$/);
    expect(errorsOf("(".repeat(300) + "true" + ")".repeat(300))[0]!.message).toMatch(/Exceeded maxDepth/);
    expect(errorsOf("!".repeat(3000) + "true")[0]!.message).toMatch(/Exceeded/);
    expect(errorsOf("event.props.__proto__ == 1")[0]!.message).toBe("'__proto__' is a reserved name, not an attribute");
    expect(errorsOf("profile.props['constructor'] == 1", [])[0]!.message).toBe("'constructor' is a reserved name, not an attribute");
    expect(errorsOf("window.sum('x', '__proto__', '1h') > 0")[0]!.message).toBe("window.sum: '__proto__' is a reserved name");
    expect(errorsOf(42 as unknown as string)[0]!.message).toBe("the rule must be text");
    expect(errorsOf("undefined_variable == 1")[0]!.message).toMatch(/undefined_variable/);
  });

  it("throws RuleCompileError with the problems from compileRule", () => {
    expect(() => compileRule("event.props.amout > 1", SHOP)).toThrow(RuleCompileError);
    try {
      compileRule("event.props.amout > 1", SHOP);
    } catch (error) {
      expect((error as RuleCompileError).problems[0]!.message).toMatch(/unknown event attribute 'amout'/);
    }
  });
});

describe("evaluate", () => {
  it("turns window ints into CEL ints and window doubles into doubles", () => {
    const windows = fixedWindows({ count: 2, distinct: 3, sum: 0, avg: 12.5, min: 1, max: 40 });
    expect(compileRule("window.count('a', '1m') + 1 == 3 && window.distinct('a', 'x', '1m') == 3", SHOP).evaluate(input("a"), windows)).toBe(true);
    expect(
      compileRule(
        "window.sum('a', 'x', '1m') == 0 && window.avg('a', 'x', '1m') > 12 && window.max('a', 'x', '1m') - window.min('a', 'x', '1m') == 39",
        SHOP,
      ).evaluate(input("a"), windows),
    ).toBe(true);
  });

  it("does not fire on a missing value, and CEL's && / || still decide when they can", () => {
    expect(compileRule("event.props.amount > 1", SHOP).evaluate(input("purchase"), EMPTY_WINDOW_READER)).toBe(false);
    expect(compileRule("event.props.amount > 1 || event.name == 'purchase'", SHOP).evaluate(input("purchase"), EMPTY_WINDOW_READER)).toBe(true);
    expect(compileRule("!has(event.props.amount)", SHOP).evaluate(input("purchase"), EMPTY_WINDOW_READER)).toBe(true);
    expect(compileRule("event.ctx.os == 'iOS'", SHOP).evaluate(input("x", {}, {}, { os: "iOS" }), EMPTY_WINDOW_READER)).toBe(true);
    expect(compileRule("event.ctx.os == 'iOS'", SHOP).evaluate(input("x"), EMPTY_WINDOW_READER)).toBe(false);
    expect(compileRule("window.avg('a', 'x', '1m') > 1", SHOP).evaluate(input("a"), EMPTY_WINDOW_READER)).toBe(false);
    expect(compileRule("window.avg('a', 'x', '1m') > 1 || true", SHOP).evaluate(input("a"), EMPTY_WINDOW_READER)).toBe(true);
  });

  it("raises only RuleRuntimeError, naming the failing part, for values of the wrong type", () => {
    const rule = compileRule("event.name == 'purchase' && event.props.amount > 10000", SHOP);
    expect(() => rule.evaluate(input("purchase", { amount: "lots" }), EMPTY_WINDOW_READER)).toThrow(
      new RuleRuntimeError("operator '>' cannot be applied to string and int in 'event.props.amount > 10000'"),
    );
    expect(() => compileRule("int(event.props.amount) / 0 > 1", SHOP).evaluate(input("x", { amount: 5 }), EMPTY_WINDOW_READER)).toThrow(RuleRuntimeError);
    expect(() => compileRule("event.props.x", []).evaluate(input("x", { x: "yes" }), EMPTY_WINDOW_READER)).toThrow(
      new RuleRuntimeError("the rule gave a string, not a bool"),
    );
    const broken: WindowReader = { ...EMPTY_WINDOW_READER, count: () => Number.NaN };
    expect(() => compileRule("window.count('a', '1m') > 0", SHOP).evaluate(input("a"), broken)).toThrow(RuleRuntimeError);
  });

  it("never reads the prototype through props named like prototype keys", () => {
    const props = JSON.parse('{"__proto__": {"amount": 99999}, "x": 1}') as Record<string, unknown>;
    expect(compileRule("event.props.amount > 1", SHOP).evaluate(input("x", props), EMPTY_WINDOW_READER)).toBe(false);
    expect(compileRule("event.props[event.name] == 1", []).evaluate(input("toString", {}), EMPTY_WINDOW_READER)).toBe(false);
    expect(compileRule("event.props[event.name] == 1", []).evaluate(input("x", props), EMPTY_WINDOW_READER)).toBe(true);
    // Ingest refuses a "constructor" key; should one slip through, the rule fails loudly instead of guessing.
    expect(() => compileRule("event.props.amount > 1", SHOP).evaluate(input("x", { constructor: 1, amount: 5 }), EMPTY_WINDOW_READER)).toThrow(
      RuleRuntimeError,
    );
  });
});

describe("profile.in_cohort", () => {
  const COHORTS = ["vip", "churn_risk", "beta_testers"];
  /** Membership answered from fixed sets: listed keys are known, others not loaded yet. */
  const members = (known: Record<string, boolean>): CohortReader => ({ inCohort: (key) => known[key] ?? null });

  it("checks against the project's cohort keys and names the cohorts the worker must keep, once each", () => {
    const rule = "event.name == 'purchase' && (profile.in_cohort('vip') || !profile.in_cohort('churn_risk')) && profile.in_cohort('vip')";
    expect(checkRule(rule, SHOP, COHORTS)).toEqual({ ok: true, warnings: [], windowNeeds: [], cohortKeys: ["vip", "churn_risk"] });
    expect(compileRule(rule, SHOP, COHORTS).cohortKeys).toEqual(["vip", "churn_risk"]);
  });

  it("names an unknown cohort with its offsets, and suggests a close key", () => {
    const source = "profile.in_cohort('vpi')";
    const [problem] = errorsOf(source, SHOP, COHORTS);
    expect(problem!.message).toBe("unknown cohort 'vpi'; did you mean 'vip'?");
    expect(source.slice(problem!.from, problem!.to)).toBe("'vpi'");
    expect(errorsOf("profile.in_cohort('whales')", SHOP, COHORTS)[0]!.message).toBe(
      "unknown cohort 'whales': this project's cohorts are 'vip', 'churn_risk', 'beta_testers'",
    );
    expect(errorsOf("profile.in_cohort('vip')", SHOP, [])[0]!.message).toBe(
      "unknown cohort 'vip': this project has no cohorts yet; create one on the Cohorts page",
    );
    // Without the project's keys, no cohort is known.
    expect(checkRule("profile.in_cohort('vip')", SHOP)).toMatchObject({ ok: false });
  });

  it("requires one string literal, so the worker knows which members to keep", () => {
    const source = "profile.in_cohort(profile.props.segment)";
    const [problem] = errorsOf(source, [], COHORTS);
    expect(problem!.message).toMatch(/the cohort key must be a string literal like 'vip'/);
    expect(source.slice(problem!.from, problem!.to)).toBe("profile.props.segment");
    expect(errorsOf("profile.in_cohort('vip' + '')", SHOP, COHORTS)[0]!.message).toMatch(/must be a string literal/);
    expect(errorsOf("profile.in_cohort()", SHOP, COHORTS)[0]!.message).toMatch(/takes one cohort key.*got 0 arguments/);
    expect(errorsOf("profile.in_cohort('vip', 'x')", SHOP, COHORTS)[0]!.message).toMatch(/got 2 arguments/);
    expect(errorsOf("profile.in_segment('vip')", SHOP, COHORTS)[0]!.message).toBe("unknown profile function 'in_segment': use profile.in_cohort('cohort_key')");
  });

  it("is a bool the checker types, only on profile", () => {
    expect(errorsOf("profile.in_cohort('vip') + 1", SHOP, COHORTS)[0]!.message).toMatch(/cannot be applied to bool and int/);
    expect(checkRule("event.in_cohort('vip')", SHOP, COHORTS)).toMatchObject({ ok: false });
    expect(checkRule("in_cohort('vip')", SHOP, COHORTS)).toMatchObject({ ok: false });
  });

  it("fires for members, not for others, and not while the cohort's members are unknown", () => {
    const rule = compileRule("event.name == 'purchase' && profile.in_cohort('vip')", SHOP, COHORTS);
    expect(rule.evaluate(input("purchase"), EMPTY_WINDOW_READER, members({ vip: true }))).toBe(true);
    expect(rule.evaluate(input("purchase"), EMPTY_WINDOW_READER, members({ vip: false }))).toBe(false);
    expect(rule.evaluate(input("purchase"), EMPTY_WINDOW_READER, members({}))).toBe(false);
    expect(rule.evaluate(input("purchase"), EMPTY_WINDOW_READER)).toBe(false);
    expect(rule.evaluate(input("refund"), EMPTY_WINDOW_READER, members({ vip: true }))).toBe(false);
  });

  it("treats unknown membership as a missing value: a negation does not fire either, and || still decides", () => {
    const negated = compileRule("!profile.in_cohort('churn_risk')", SHOP, COHORTS);
    expect(negated.evaluate(input("login"), EMPTY_WINDOW_READER, members({ churn_risk: false }))).toBe(true);
    expect(negated.evaluate(input("login"), EMPTY_WINDOW_READER, NO_COHORTS)).toBe(false);
    const either = compileRule("profile.in_cohort('vip') || profile.in_cohort('beta_testers')", SHOP, COHORTS);
    expect(either.evaluate(input("login"), EMPTY_WINDOW_READER, members({ beta_testers: true }))).toBe(true);
    expect(either.evaluate(input("login"), EMPTY_WINDOW_READER, members({ beta_testers: false }))).toBe(false);
  });

  it("reads the membership passed to this evaluation only", () => {
    const rule = compileRule("profile.in_cohort('vip')", SHOP, COHORTS);
    const asked: string[] = [];
    const reader: CohortReader = { inCohort: (key) => (asked.push(key), true) };
    expect(rule.evaluate(input("login"), EMPTY_WINDOW_READER, reader)).toBe(true);
    expect(asked).toEqual(["vip"]);
    // The next evaluation without a reader does not see the previous one's.
    expect(rule.evaluate(input("login"), EMPTY_WINDOW_READER)).toBe(false);
  });
});
