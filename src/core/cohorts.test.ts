import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMemberIds } from "./cohorts";

describe("profile ids pasted or uploaded for a static cohort", () => {
  it("reads one id a line, skips a header and blank lines, and counts repeats once", () => {
    expect(parseMemberIds("profile_id\r\nuser-1\n\n user-2 \nuser-1\nuser-1")).toEqual({ ids: ["user-1", "user-2"], invalid: [], duplicates: 2 });
  });

  it("reads a CSV's first column, quotes and all", () => {
    expect(parseMemberIds('id,plan\n"u,1",pro\nu-2,free\n').ids).toEqual(["u,1", "u-2"]);
  });

  it("names the lines that cannot be ids", () => {
    expect(parseMemberIds(`ok\n${"x".repeat(257)}\nbad\u0001id`)).toEqual({
      ids: ["ok"],
      invalid: [
        { line: 2, reason: "longer than 256 characters" },
        { line: 3, reason: "holds a control character" },
      ],
      duplicates: 0,
    });
  });

  it("every id of a list comes back once, in first-seen order, and the rest are counted as repeats", () => {
    const id = fc.stringMatching(/^[a-z][a-z0-9_.@-]{0,19}$/).filter((value) => !/^(profile_?id|id|user_?id)$/i.test(value));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 50 }), (list) => {
        const parsed = parseMemberIds(list.join("\n"));
        expect(parsed.ids).toEqual([...new Set(list)]);
        expect(parsed.duplicates).toBe(list.length - new Set(list).size);
      }),
    );
  });
});
