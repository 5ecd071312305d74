import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProfileRecord } from "../../src/core/events";
import { topicMatches } from "../actions/runner";
import { applyProfileRecord, firingIdOf } from "./steps";

const record = (change: Partial<ProfileRecord>): ProfileRecord => ({
  type: "profile",
  event_id: "p1",
  project_id: "proj_a",
  profile_id: "alice",
  sts: 1,
  set: {},
  set_once: {},
  unset: [],
  ...change,
});

describe("applyProfileRecord", () => {
  it("sets, fills once, unsets and adds tags", () => {
    const props = applyProfileRecord(
      { plan: "free", email: "a@example.com", tags: ["new"] },
      record({ set: { plan: "pro" }, set_once: { plan: "x", country: "DE" }, unset: ["email"], add_tags: ["vip", "new"] }),
    );
    expect(props).toEqual({ plan: "pro", country: "DE", tags: ["new", "vip"] });
  });

  it("never touches prototypes, whatever the keys", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}') as Record<string, number>;
    const props = applyProfileRecord({}, record({ set: hostile, set_once: hostile }));
    expect(props).toEqual({ ok: 2 });
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("is idempotent: applying the same record twice gives the same profile", () => {
    const json = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean()), { maxKeys: 5 });
    fc.assert(
      fc.property(json, json, json, fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), (start, set, setOnce, unset) => {
        const change = record({ set, set_once: setOnce, unset });
        const once = applyProfileRecord(start, change);
        expect(applyProfileRecord(once, change)).toEqual(once);
      }),
    );
  });
});

describe("firingIdOf", () => {
  it("is the same for the same trigger and event, and differs otherwise", () => {
    expect(firingIdOf("t1", "e1")).toBe(firingIdOf("t1", "e1"));
    expect(firingIdOf("t1", "e1")).not.toBe(firingIdOf("t1", "e2"));
    expect(firingIdOf("t1", "e1")).not.toBe(firingIdOf("t2", "e1"));
  });
});

describe("topicMatches", () => {
  it("treats * as a wildcard and everything else literally", () => {
    expect(topicMatches("prism.*", "prism.orders")).toBe(true);
    expect(topicMatches("prism.*", "prismXorders")).toBe(false);
    expect(topicMatches("prism.*", "other.orders")).toBe(false);
    expect(topicMatches("team-a.*.events", "team-a.shop.events")).toBe(true);
  });
});
