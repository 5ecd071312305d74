import { describe, expect, it } from "vitest";
import type { ResolvedCohort } from "../../src/core/cohorts";
import { createLogger } from "../../src/platform/logger";
import { CohortCache, type CohortMemberSource } from "./cohort-cache";

const log = createLogger("cohort-cache-test", "silent");

const cohort = (id: string, key: string, version = "1"): ResolvedCohort => ({ id, key, name: key, kind: "static", definition: null, version });

/** A source answering from a mutable table, counting its loads; `down` makes it fail. */
function fakeSource() {
  const members = new Map<string, string[]>();
  const state = { loads: 0, down: false };
  const source: CohortMemberSource = async (projectId, wanted) => {
    state.loads++;
    if (state.down) throw new Error("query service unreachable");
    return members.get(`${projectId}/${wanted.id}`) ?? [];
  };
  return { members, state, source };
}

describe("CohortCache", () => {
  it("knows no members before the first load, then the loaded ones, through a view taken before", async () => {
    const { members, source } = fakeSource();
    members.set("p1/c1", ["alice", "bob"]);
    const cache = new CohortCache(source, log, { now: () => 0 });
    const view = cache.view("p1");
    cache.want([{ projectId: "p1", cohort: cohort("c1", "vip") }]);
    expect(view.members("vip")).toBeNull();
    await cache.refresh();
    expect([...view.members("vip")!]).toEqual(["alice", "bob"]);
    expect(view.members("other")).toBeNull();
    expect(cache.view("p2").members("vip")).toBeNull();
  });

  it("reloads a cohort after refreshMs, and at once when its version changes, and not in between", async () => {
    const { members, state, source } = fakeSource();
    let now = 0;
    const cache = new CohortCache(source, log, { refreshMs: 30_000, now: () => now });
    members.set("p1/c1", ["alice"]);
    cache.want([{ projectId: "p1", cohort: cohort("c1", "vip") }]);
    await cache.refresh();
    members.set("p1/c1", ["bob"]);
    now = 29_999;
    await cache.refresh();
    expect(state.loads).toBe(1);
    expect([...cache.view("p1").members("vip")!]).toEqual(["alice"]);
    now = 30_000;
    await cache.refresh();
    expect([...cache.view("p1").members("vip")!]).toEqual(["bob"]);
    // A new version (an edit or an upload) is due at once.
    members.set("p1/c1", ["carol"]);
    now = 30_001;
    cache.want([{ projectId: "p1", cohort: cohort("c1", "vip", "2") }]);
    expect([...cache.view("p1").members("vip")!]).toEqual(["bob"]);
    await cache.refresh();
    expect([...cache.view("p1").members("vip")!]).toEqual(["carol"]);
    expect(cache.loaded()).toEqual([{ projectId: "p1", key: "vip", version: "2", members: 1 }]);
  });

  it("forgets a cohort no rule reads, and a key that now names another cohort starts unknown", async () => {
    const { members, source } = fakeSource();
    members.set("p1/c1", ["alice"]);
    const cache = new CohortCache(source, log, { now: () => 0 });
    cache.want([{ projectId: "p1", cohort: cohort("c1", "vip") }]);
    await cache.refresh();
    cache.want([{ projectId: "p1", cohort: cohort("c2", "vip") }]);
    expect(cache.view("p1").members("vip")).toBeNull();
    cache.want([]);
    expect(cache.loaded()).toEqual([]);
  });

  it("keeps the last members when a refresh fails, and retries without waiting a whole refresh", async () => {
    const { members, state, source } = fakeSource();
    let now = 0;
    const cache = new CohortCache(source, log, { refreshMs: 30_000, now: () => now });
    members.set("p1/c1", ["alice"]);
    cache.want([{ projectId: "p1", cohort: cohort("c1", "vip") }]);
    await cache.refresh();
    state.down = true;
    now = 30_000;
    await cache.refresh();
    expect([...cache.view("p1").members("vip")!]).toEqual(["alice"]);
    state.down = false;
    members.set("p1/c1", ["bob"]);
    now = 35_000;
    await cache.refresh();
    expect([...cache.view("p1").members("vip")!]).toEqual(["bob"]);
  });
});
