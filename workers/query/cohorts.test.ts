/**
 * Cohort membership SQL in a real DuckDB (the real DDL): examples first; the property test against
 * the reference follows below.
 */
import { describe, expect, it } from "vitest";
import { dynamicCohortDefinitionSchema, type ResolvedCohort } from "../../src/core/cohorts";
import { buildCohortCount, buildCohortMemberPage, buildReplaceStaticMembers, cohortMembers } from "./cohorts";
import type { RefData, RefEvent } from "./reference";
import { analyticsTestDb } from "./testing";

const analytics = analyticsTestDb();
const NOW = "2024-04-01T00:00:00.000Z";
const DAY = 86_400_000;

const event = (id: string, name: string, profile: string | null, daysAgo: number, props: RefEvent["props"] = {}): RefEvent => ({
  project_id: "p1",
  event_id: id,
  event_name: name,
  profile_id: profile,
  ts: Date.parse(NOW) - daysAgo * DAY,
  props,
  ctx: {},
  browser: null,
  os: null,
  device_type: null,
});

const dynamic = (id: string, definition: unknown): ResolvedCohort => ({
  id,
  key: id,
  name: id,
  kind: "dynamic",
  definition: dynamicCohortDefinitionSchema.parse(definition),
  version: "1",
});
const staticCohort = (id: string): ResolvedCohort => ({ id, key: id, name: id, kind: "static", definition: null, version: "1" });

const data: RefData = {
  events: [
    event("e1", "purchase", "u1", 1),
    event("e2", "purchase", "u1", 2),
    event("e3", "purchase", "u1", 40),
    event("e4", "purchase", "u2", 3, { amount: 5 }),
    event("e5", "purchase", "anon", 3),
    event("e6", "view", "u3", 1),
    event("e7", "purchase", null, 1),
  ],
  profiles: new Map([
    ["p1\u0000u1", { plan: "pro" }],
    ["p1\u0000u2", { plan: "free" }],
    ["p1\u0000u4", { plan: "pro" }],
    ["p2\u0000u9", { plan: "pro" }],
  ]),
};

describe("cohort membership", () => {
  it("counts purchases in the window, reads profiles, and combines conditions", async () => {
    await analytics.seed(data);
    const twice = dynamic("twice", { conditions: [{ kind: "behaviour", event: "purchase", comparison: "at_least", count: 2, days: 30 }] });
    expect((await cohortMembers(analytics.run, "p1", twice, NOW)).sort()).toEqual(["u1"]);
    const pro = dynamic("pro", { conditions: [{ kind: "prop", filter: { field: "profile.plan", op: "eq", value: "pro" } }] });
    expect((await cohortMembers(analytics.run, "p1", pro, NOW)).sort()).toEqual(["u1", "u4"]);
    const none = dynamic("none", { conditions: [{ kind: "behaviour", event: "purchase", comparison: "exactly", count: 0, days: 30 }] });
    expect((await cohortMembers(analytics.run, "p1", none, NOW)).sort()).toEqual(["u4"]);
    const either = dynamic("either", {
      match: "any",
      conditions: [
        { kind: "prop", filter: { field: "profile.plan", op: "eq", value: "free" } },
        { kind: "behaviour", event: "purchase", filters: [], comparison: "at_least", count: 1, days: 5 },
      ],
    });
    expect((await cohortMembers(analytics.run, "p1", either, NOW)).sort()).toEqual(["anon", "u1", "u2"]);
    const [count] = await analytics.run(buildCohortCount("p1", either, NOW));
    expect(Number(count?.n)).toBe(3);
    const page = await analytics.run(buildCohortMemberPage("p1", either, NOW, "anon", 1));
    expect(page.map((row) => row.profile_id)).toEqual(["u1", "u2"]);
  });

  it("stores static members and reads them through person overrides", async () => {
    await analytics.seed(data);
    await analytics.runner.transaction(buildReplaceStaticMembers("p1", "vips", ["anon", "u3", "anon"]));
    await analytics.connection.run("DELETE FROM person_overrides");
    await analytics.connection.run("INSERT INTO person_overrides VALUES ('p1', 'anon', 'u2', now())");
    try {
      expect((await cohortMembers(analytics.run, "p1", staticCohort("vips"), NOW)).sort()).toEqual(["anon", "u2", "u3"]);
      const [count] = await analytics.run(buildCohortCount("p1", staticCohort("vips"), NOW));
      expect(Number(count?.n)).toBe(2);
      expect(await cohortMembers(analytics.run, "p2", staticCohort("vips"), NOW)).toEqual([]);
    } finally {
      await analytics.connection.run("DELETE FROM person_overrides");
    }
  });
});
