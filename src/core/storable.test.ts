import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedCopy, STORABLE_LIMITS, storableProblem, toStorable } from "./storable";

/** The rules written plainly, without paths or early exits: is `value` storable at all? */
function referenceStorable(value: unknown, level = 0): boolean {
  if (value === null || typeof value === "boolean") return true;
  if (typeof value === "string") return !value.includes("\u0000");
  if (typeof value === "number") return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
  if (typeof value !== "object") return false;
  if (level > STORABLE_LIMITS.maxDepth) return false;
  if (Array.isArray(value)) return value.every((item) => referenceStorable(item, level + 1));
  const entries = Object.entries(value);
  const stored = new Set(entries.map(([key]) => key.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")));
  return (
    entries.length <= STORABLE_LIMITS.maxKeysPerObject &&
    stored.size === entries.length &&
    entries.every(
      ([key, child]) =>
        !["__proto__", "constructor", "prototype"].includes(key) &&
        key.length <= STORABLE_LIMITS.maxKeyLength &&
        !key.includes("\u0000") &&
        referenceStorable(child, level + 1),
    )
  );
}

/** Strings that exercise the rules: NUL, lone and paired surrogates, plain text. */
const text = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udc00", "😀", "\ud83d", "é", "__proto__", "constructor", "k".repeat(257)),
);
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e300, Number.MAX_VALUE, Infinity, -Infinity, NaN, 0.1),
);
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));
// JSON.parse makes "__proto__" an own key, as it arrives over HTTP; so does this builder.
const object = (child: fc.Arbitrary<unknown>) =>
  fc.array(fc.tuple(text, child), { maxLength: 4 }).map((entries) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  });
const value = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("value"), { maxLength: 4 }), object(tie("value"))),
})).value;

function nested(levels: number, leaf: unknown = 1): unknown {
  let out = leaf;
  for (let i = 0; i < levels; i++) out = { d: out };
  return out;
}

describe("storable values", () => {
  it("accepts exactly what the reference rules accept", () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(toStorable(input).ok).toBe(referenceStorable(input));
      }),
      { numRuns: 3000 },
    );
  });

  it("normalises into a value that the check accepts and that survives JSON unchanged", () => {
    fc.assert(
      fc.property(value, (input) => {
        const result = toStorable(input);
        if (!result.ok) return;
        expect(storableProblem(result.value)).toBeNull();
        expect(toStorable(result.value)).toEqual(result);
        const text = JSON.stringify(result.value);
        expect(JSON.parse(text)).toStrictEqual(result.value);
        expect(text).not.toMatch(/\\ud[89a-f]/i);
      }),
      { numRuns: 3000 },
    );
  });

  it("checks as storable only values already in normal form", () => {
    fc.assert(
      fc.property(value, (input) => {
        const result = toStorable(input);
        const unchanged = result.ok && JSON.stringify(result.value) === JSON.stringify(input) && !hasNegativeZero(input);
        expect(storableProblem(input) === null).toBe(unchanged);
      }),
      { numRuns: 3000 },
    );
  });

  it("names the refused value by its JSON path", () => {
    expect(toStorable({ a: { b: [1, "x\u0000"] } }, "props")).toEqual({
      ok: false,
      problem: { path: "props.a.b[1]", message: expect.stringContaining("NUL") },
    });
    expect(toStorable(JSON.parse(`{"a":1e999}`), "props")).toMatchObject({ ok: false, problem: { path: "props.a" } });
    expect(toStorable({ a: 2 ** 53 }, "props")).toMatchObject({ ok: false, problem: { path: "props.a", message: expect.stringContaining("strings") } });
    expect(toStorable(JSON.parse('{"x":{"__proto__":{"admin":true}}}'), "props")).toMatchObject({ ok: false, problem: { path: "props.x.__proto__" } });
    expect(toStorable({ ["k".repeat(257)]: 1 }, "set")).toMatchObject({ ok: false, problem: { message: expect.stringContaining("longer than 256") } });
    // props itself, then at most 10 levels of objects or arrays inside it.
    expect(toStorable(nested(12), "props")).toMatchObject({ ok: false, problem: { path: `props${".d".repeat(11)}` } });
    expect(toStorable(nested(11), "props").ok).toBe(true);
  });

  it("replaces lone surrogates by U+FFFD and -0 by 0, and keeps surrogate pairs", () => {
    expect(toStorable({ "k\ud800": ["\udc00", "😀", -0] })).toEqual({ ok: true, value: { "k\ufffd": ["\ufffd", "😀", 0] } });
    expect(Object.is((toStorable([-0]) as { value: number[] }).value[0], 0)).toBe(true);
  });

  it("answers for a value nested 100,000 levels deep without overflowing the stack", () => {
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) as unknown;
    expect(toStorable(deep)).toMatchObject({ ok: false, problem: { message: expect.stringContaining("deeper") } });
    expect(storableProblem(deep)).not.toBeNull();
    const copy = boundedCopy(deep, 4);
    expect(JSON.stringify(copy)).toBe('[[[["[nested deeper than 4 levels]"]]]]');
  });
});

function hasNegativeZero(value: unknown): boolean {
  if (Object.is(value, -0)) return true;
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some(hasNegativeZero);
}
