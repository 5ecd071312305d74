/**
 * fast-check arbitraries of the wire's records, shared by the codec's tests: instants below 2^52 ms
 * (avsc refuses a long of 2^53 − 1 itself; year 287,396 is far beyond any stored instant).
 */
import fc from "fast-check";
import type { JsonObject } from "~/core/events";
import type { EnrichedEvent } from "~/core/pipeline";

export const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
}) as fc.Arbitrary<JsonObject>;
export const time = fc.integer({ min: 0, max: 2 ** 52 });
export const text = fc.string({ minLength: 1, maxLength: 40, unit: "binary" });

export const enrichedEvent: fc.Arbitrary<EnrichedEvent> = fc.record(
  {
    type: fc.constant("event" as const),
    event_id: text,
    project_id: text,
    event_name: text,
    cts: time,
    sts: time,
    profile_id: fc.option(text, { nil: null }),
    props: jsonObject,
    ctx: fc.record({ ip: fc.string(), user_agent: fc.string(), source_format: fc.constantFrom("internal", "tracking", "segment") }, { requiredKeys: [] }),
    violations: fc.array(
      fc.record(
        { type: fc.constantFrom("unplanned_event", "datatype_mismatch"), field: fc.string(), message: fc.string() },
        { requiredKeys: ["type", "message"] },
      ),
      { maxLength: 2 },
    ),
    backfill: fc.record({ job_id: text, fire_actions: fc.boolean() }),
    profile_props: jsonObject,
    browser: fc.option(fc.string(), { nil: null }),
    os: fc.option(fc.string(), { nil: null }),
    device_type: fc.option(fc.string(), { nil: null }),
  },
  {
    requiredKeys: ["type", "event_id", "project_id", "event_name", "cts", "sts", "profile_id", "props", "ctx", "profile_props", "browser", "os", "device_type"],
  },
);
