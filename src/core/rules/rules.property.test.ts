/**
 * Property: a compiled CEL rule agrees with the same rule written as a plain-JS predicate, over
 * random events, profiles and cohort memberships, including missing props and cohorts whose
 * members are not loaded (which never fire, per CEL's error-absorbing && and ||).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRule, compileRule, EMPTY_WINDOW_READER, RuleRuntimeError, type AttributeDef, type CohortReader, type RuleInput } from ".";

const NUMBER_ATTRS = ["amount", "score"] as const;
const STRING_ATTRS = ["plan", "campaign"] as const;
const ATTRIBUTES: AttributeDef[] = [
  ...NUMBER_ATTRS.flatMap((name) => (["event", "profile"] as const).map((entity) => ({ entity, name, type: "number" as const }))),
  ...STRING_ATTRS.flatMap((name) => (["event", "profile"] as const).map((entity) => ({ entity, name, type: "string" as const }))),
];

const COHORTS = ["vip", "churn_risk"] as const;

/** CEL outcome of a sub-expression: a value, or an error (a missing key). */
type Outcome = boolean | "error";

/** An event with its profile's cohort membership: true, false, or null while not loaded. */
type Sample = RuleInput & { cohorts: Partial<Record<(typeof COHORTS)[number], boolean | null>> };

const readerOf = (sample: Sample): CohortReader => ({ inCohort: (key) => sample.cohorts[key as (typeof COHORTS)[number]] ?? null });

interface Clause {
  cel: string;
  js: (input: Sample) => Outcome;
}

const OPS = ["==", "!=", "<", "<=", ">", ">="] as const;
type Op = (typeof OPS)[number];
const compare = (op: Op, a: number | string, b: number | string): boolean =>
  op === "==" ? a === b : op === "!=" ? a !== b : op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;

const entityArb = fc.constantFrom("event", "profile") as fc.Arbitrary<"event" | "profile">;
/** Ints and two-decimal doubles, written as CEL int and double literals. */
const numberLiteral = fc.oneof(
  fc.integer({ min: -50, max: 50 }).map((n) => ({ cel: String(n), value: n })),
  fc.integer({ min: -5000, max: 5000 }).map((n) => ({ cel: (n / 100).toFixed(2), value: Number((n / 100).toFixed(2)) })),
);
const word = fc.constantFrom("a", "b", "free", "pro", "Pro", "summer_sale");

const numberClause: fc.Arbitrary<Clause> = fc
  .record({ entity: entityArb, attr: fc.constantFrom(...NUMBER_ATTRS), op: fc.constantFrom(...OPS), lit: numberLiteral })
  .map(({ entity, attr, op, lit }) => ({
    cel: `${entity}.props.${attr} ${op} ${lit.cel}`,
    js: (input) => {
      const value = input[entity].props[attr];
      return value === undefined ? "error" : compare(op, value as number, lit.value);
    },
  }));
const stringClause: fc.Arbitrary<Clause> = fc
  .record({ entity: entityArb, attr: fc.constantFrom(...STRING_ATTRS), op: fc.constantFrom(...OPS), lit: word })
  .map(({ entity, attr, op, lit }) => ({
    cel: `${entity}.props.${attr} ${op} '${lit}'`,
    js: (input) => {
      const value = input[entity].props[attr];
      return value === undefined ? "error" : compare(op, value as string, lit);
    },
  }));
const nameClause: fc.Arbitrary<Clause> = fc.oneof(
  word.map((name) => ({ cel: `event.name == '${name}'`, js: (input: Sample) => input.event.name === name })),
  word.map((name) => ({ cel: `'${name}' == event.name`, js: (input: Sample) => input.event.name === name })),
  fc.uniqueArray(word, { minLength: 1, maxLength: 3 }).map((names) => ({
    cel: `event.name in [${names.map((name) => `'${name}'`).join(", ")}]`,
    js: (input: Sample) => (names as string[]).includes(input.event.name),
  })),
);
const cohortClause: fc.Arbitrary<Clause> = fc.constantFrom(...COHORTS).map((key) => ({
  cel: `profile.in_cohort('${key}')`,
  js: (input: Sample) => input.cohorts[key] ?? "error",
}));

const and = (a: Outcome, b: Outcome): Outcome => (a === false || b === false ? false : a === "error" || b === "error" ? "error" : true);
const or = (a: Outcome, b: Outcome): Outcome => (a === true || b === true ? true : a === "error" || b === "error" ? "error" : false);
const not = (a: Outcome): Outcome => (a === "error" ? "error" : !a);

const ruleArb: fc.Arbitrary<Clause> = fc.letrec<{ rule: Clause }>((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberClause,
    stringClause,
    nameClause,
    cohortClause,
    fc.tuple(tie("rule"), tie("rule")).map(([a, b]) => ({ cel: `(${a.cel}) && (${b.cel})`, js: (input: Sample) => and(a.js(input), b.js(input)) })),
    fc.tuple(tie("rule"), tie("rule")).map(([a, b]) => ({ cel: `(${a.cel}) || (${b.cel})`, js: (input: Sample) => or(a.js(input), b.js(input)) })),
    tie("rule").map((a) => ({ cel: `!(${a.cel})`, js: (input: Sample) => not(a.js(input)) })),
  ),
})).rule;

/** Props with each attribute present (as an int or a double, or a word) or missing. */
const propsArb = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: -60, max: 60 }), fc.double({ min: -60, max: 60, noNaN: true })),
    score: fc.oneof(fc.integer({ min: -60, max: 60 }), fc.constantFrom(0, -0, 0.5, 50.5)),
    plan: word,
    campaign: word,
  },
  { requiredKeys: [] },
);
const membershipArb = fc.record(
  Object.fromEntries(COHORTS.map((key) => [key, fc.constantFrom(true, false, null)])) as Record<(typeof COHORTS)[number], fc.Arbitrary<boolean | null>>,
  { requiredKeys: [] },
);
const inputArb: fc.Arbitrary<Sample> = fc
  .record({ name: word, eventProps: propsArb, profileProps: propsArb, cohorts: membershipArb })
  .map(({ name, eventProps, profileProps, cohorts }) => ({
    event: { id: "e", name, time: 0, profile_id: "p", props: eventProps, ctx: {} },
    profile: { id: "p", props: profileProps },
    cohorts,
  }));

describe("compiled rules", () => {
  it("agree with the equivalent plain-JS predicate", () => {
    fc.assert(
      fc.property(ruleArb, fc.array(inputArb, { minLength: 1, maxLength: 8 }), (rule, inputs) => {
        expect(checkRule(rule.cel, ATTRIBUTES, COHORTS)).toMatchObject({ ok: true });
        const compiled = compileRule(rule.cel, ATTRIBUTES, COHORTS);
        for (const input of inputs) {
          const expected = rule.js(input);
          expect(compiled.evaluate(input, EMPTY_WINDOW_READER, readerOf(input)), `${rule.cel} on ${JSON.stringify(input)}`).toBe(expected === true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never throw anything but RuleRuntimeError, whatever the props hold", () => {
    const anyProps = fc.dictionary(fc.constantFrom(...NUMBER_ATTRS, ...STRING_ATTRS, "__proto__", "constructor", "x"), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(ruleArb, anyProps, anyProps, (rule, eventProps, profileProps) => {
        const compiled = compileRule(rule.cel, ATTRIBUTES, COHORTS);
        const input: RuleInput = {
          event: { id: "e", name: "a", time: 0, profile_id: null, props: eventProps, ctx: {} },
          profile: { id: null, props: profileProps },
        };
        try {
          expect(typeof compiled.evaluate(input, EMPTY_WINDOW_READER)).toBe("boolean");
        } catch (error) {
          expect(error).toBeInstanceOf(RuleRuntimeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("are false without an error for every event name outside the names they declare, so the worker may skip them", () => {
    const anyProps = fc.dictionary(fc.constantFrom(...NUMBER_ATTRS, ...STRING_ATTRS, "x"), fc.jsonValue({ maxDepth: 2 }));
    let skippable = 0;
    fc.assert(
      fc.property(ruleArb, word, anyProps, anyProps, membershipArb, (rule, name, eventProps, profileProps, cohorts) => {
        const compiled = compileRule(rule.cel, ATTRIBUTES, COHORTS);
        if (compiled.eventNames === null || compiled.eventNames.has(name)) return;
        skippable++;
        const input: RuleInput = {
          event: { id: "e", name, time: 0, profile_id: null, props: eventProps, ctx: {} },
          profile: { id: null, props: profileProps },
        };
        expect(compiled.evaluate(input, EMPTY_WINDOW_READER, readerOf({ ...input, cohorts })), rule.cel).toBe(false);
      }),
      { numRuns: 1000 },
    );
    expect(skippable).toBeGreaterThan(100);
  });
});
