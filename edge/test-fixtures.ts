import type { ResolvedKey } from "../src/core/tracking-plan";

/** A resolved key for tests: an enforced project with no plan unless one is given. */
export function testPlan(
  overrides: Partial<ResolvedKey["project"]> = {},
  eventTypes: ResolvedKey["eventTypes"] = [],
  attributes: ResolvedKey["attributes"] = [],
): ResolvedKey {
  return {
    keyId: "key_1",
    project: {
      id: "proj_1",
      organizationId: "org_1",
      archived: false,
      timezone: "UTC",
      dataRetentionDays: 365,
      maxCustomAttributes: 100,
      allowedEventNames: [],
      planEnforcement: "enforce",
      rateLimitPerSecond: 1000,
      ...overrides,
    },
    eventTypes,
    attributes,
  };
}
