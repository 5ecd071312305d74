import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMerge, decideMerge, personOf, rewriteProfileIds } from "./identity";
import { convertEvent, convertProfile } from "./ingest/convert";

const cc = { projectId: "proj_test", now: Date.parse("2026-01-01T00:00:00Z"), requestCtx: {} };

describe("identify carries the anonymous id it replaces", () => {
  it("as an implicit merge, from both the event and the profile endpoints", () => {
    for (const convert of [convertEvent, convertProfile]) {
      const result = convert({ type: "identify", userId: "user-1", anonymousId: "anon-1", traits: { plan: "pro" } }, cc);
      expect(result).toMatchObject({
        ok: true,
        kind: "profile",
        record: { profile_id: "user-1", set: { plan: "pro" }, merge: { from: "anon-1", explicit: false } },
      });
    }
  });

  it("no merge when only one id is named or both are the same", () => {
    for (const input of [{ userId: "user-1" }, { anonymousId: "anon-1" }, { userId: "user-1", anonymousId: "user-1" }]) {
      const result = convertProfile({ type: "identify", ...input }, cc);
      expect(result.ok && result.kind === "profile" && result.record.type === "profile" && result.record.merge).toBeFalsy();
    }
  });
});

describe("merge decisions", () => {
  const identified = (ids: string[]) => (id: string) => ids.includes(id);

  it("an identify merges an anonymous id, never an identified or already merged one", () => {
    const overrides = new Map([["anon-1", "user-1"]]);
    expect(decideMerge({ from: "anon-2", into: "user-1", explicit: false, overrides, identified: identified(["user-1"]) })).toEqual({
      kind: "merge",
      from: "anon-2",
      into: "user-1",
    });
    expect(decideMerge({ from: "anon-1", into: "user-1", explicit: false, overrides, identified: identified(["user-1"]) })).toEqual({ kind: "same" });
    expect(decideMerge({ from: "anon-1", into: "user-2", explicit: false, overrides, identified: identified([]) })).toEqual({
      kind: "refused",
      reason: "already_merged",
    });
    expect(decideMerge({ from: "user-1", into: "user-2", explicit: false, overrides, identified: identified(["user-1"]) })).toEqual({
      kind: "refused",
      reason: "identified",
    });
    expect(decideMerge({ from: "anon-1", into: "user-2", explicit: true, overrides, identified: identified(["user-1"]) })).toEqual({
      kind: "merge",
      from: "user-1",
      into: "user-2",
    });
  });

  it("overrides stay one hop deep and resolve every id to the person it was merged into", () => {
    const ids = ["a", "b", "c", "d", "e"];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids)), { maxLength: 12 }), (merges) => {
        let overrides = new Map<string, string>();
        // The partition a merge sequence makes, computed naively.
        const group = new Map(ids.map((id) => [id, id]));
        for (const [from, into] of merges) {
          const [f, i] = [personOf(overrides, from), personOf(overrides, into)];
          overrides = applyMerge(overrides, f, i);
          const old = group.get(from)!;
          const target = group.get(into)!;
          for (const [id, g] of group) if (g === old) group.set(id, target);
        }
        for (const person of overrides.values()) expect(overrides.has(person)).toBe(false);
        for (const a of ids) for (const b of ids) expect(personOf(overrides, a) === personOf(overrides, b)).toBe(group.get(a) === group.get(b));
        const events = ids.map((id) => ({ profile_id: id }));
        expect(rewriteProfileIds(events, overrides).map((event) => event.profile_id)).toEqual(ids.map((id) => personOf(overrides, id)));
      }),
    );
  });
});
