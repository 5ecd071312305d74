import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPropValue, splitProps } from "./props-list";

describe("props list", () => {
  it("writes values as a reader expects them", () => {
    expect(formatPropValue("summer_sale")).toBe("summer_sale");
    expect(formatPropValue(4900)).toBe("4900");
    expect(formatPropValue(true)).toBe("true");
    expect(formatPropValue(null)).toBe("null");
    expect(formatPropValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatPropValue("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("shows the first entries in order and counts the rest, never hiding a single entry behind '+1 more' (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })), fc.integer({ min: 1, max: 6 }), (props, shown) => {
        const entries = Object.entries(props);
        const { visible, hidden } = splitProps(props, shown);
        expect(visible).toEqual(entries.slice(0, visible.length));
        expect(visible.length + hidden).toBe(entries.length);
        expect(hidden === 0 || hidden > 1).toBe(true);
        expect(visible.length).toBeLessThanOrEqual(shown + 1);
      }),
    );
  });
});
