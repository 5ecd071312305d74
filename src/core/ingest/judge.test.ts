import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { internalEventSchema, TOPIC } from "../events";
import type { ResolvedKey } from "../tracking-plan";
import { deadLetterOf, judgeBatch, rawRecordOf, type JudgeContext } from "./judge";

const NOW = Date.UTC(2026, 0, 15, 12);

function plan(planEnforcement: "observe" | "enforce", eventTypes: ResolvedKey["eventTypes"] = []): ResolvedKey {
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
      planEnforcement,
      rateLimitPerSecond: 1000,
    },
    eventTypes,
    attributes: [],
  };
}

const checkout: ResolvedKey["eventTypes"] = [{ name: "checkout", fields: [{ name: "total", dataType: "number", required: true }] }];
const context = (resolved: ResolvedKey): JudgeContext => ({ plan: resolved, receivedAt: NOW, requestCtx: { ip: "203.0.113.7" } });

describe("judgeBatch", () => {
  it("accepts what the plan allows and refuses the rest, by index, with the first violation as the reason", () => {
    const inputs = [
      { event_name: "checkout", event_id: "evt-1", props: { total: 3 } },
      { event_name: "checkout", event_id: "evt-2", props: {} },
      "not an object",
    ];
    const { accepted, refused } = judgeBatch(inputs, "event", context(plan("enforce", checkout)));
    expect(accepted.map(({ index, record }) => [index, record.event_id, record.project_id])).toEqual([[0, "evt-1", "proj_1"]]);
    expect(accepted[0]!.record).toMatchObject({ type: "event", sts: NOW, ctx: { ip: "203.0.113.7", source_format: "internal" } });
    expect(refused.map(({ index, reason, payload }) => ({ index, reason, payload }))).toEqual([
      { index: 1, reason: "required_missing", payload: inputs[1] },
      { index: 2, reason: "malformed", payload: "not an object" },
    ]);
  });

  it("keeps the plan's violations on the accepted event when the plan only observes", () => {
    const { accepted, refused } = judgeBatch([{ event_name: "checkout", props: {} }], "event", context(plan("observe", checkout)));
    expect(refused).toEqual([]);
    expect(accepted[0]!.record).toMatchObject({ type: "event", violations: [{ type: "required_missing", field: "props.total" }] });
  });

  it("never lets an input claim another project", () => {
    const { accepted, refused } = judgeBatch([{ event_name: "x", project_id: "proj_other" }], "event", context(plan("observe")));
    expect(accepted).toEqual([]);
    expect(refused[0]).toMatchObject({ index: 0, reason: "malformed", violations: [{ field: "project_id" }] });
  });

  it("refuses a profile over the event size limit", () => {
    const big = { profile_id: "p1", set: { bio: "x".repeat(400) } };
    const limits = { maxEventBytes: 300, maxFutureMs: 60_000 };
    const { accepted, refused } = judgeBatch([big, { profile_id: "p2", set: { a: 1 } }], "profile", { ...context(plan("enforce")), limits });
    expect(refused.map((refusal) => [refusal.index, refusal.reason])).toEqual([[0, "malformed"]]);
    expect(accepted.map(({ index, record }) => [index, record.type, record.profile_id])).toEqual([[1, "profile", "p2"]]);
  });

  it("partitions any batch: every index once, in order, and accepted records keep the input's event_id", () => {
    const eventId = fc.stringMatching(/^[\w.:-]{1,20}$/);
    const input = fc.oneof(
      fc.record({ event_name: fc.constantFrom("checkout", "view"), event_id: eventId, props: fc.dictionary(fc.constantFrom("total", "x"), fc.jsonValue()) }),
      fc.record({ event_type: fc.constantFrom("checkout", "view"), event_id: eventId, fields: fc.object() }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 12 }), fc.constantFrom<"observe" | "enforce">("observe", "enforce"), (inputs, enforcement) => {
        const { accepted, refused } = judgeBatch(inputs, "event", context(plan(enforcement, checkout)));
        const indices = [...accepted.map((item) => item.index), ...refused.map((item) => item.index)].sort((a, b) => a - b);
        expect(indices).toEqual(inputs.map((_, index) => index));
        for (const { index, record } of accepted) {
          const sent = inputs[index] as { event_id?: unknown };
          expect(record.event_id).toBe(sent.event_id);
          expect(internalEventSchema.safeParse(record).success).toBe(true);
        }
        for (const refusal of refused) expect(refusal.reason).toBe(refusal.violations[0]!.type);
      }),
    );
  });
});

describe("the records of a judgement", () => {
  it("keys an accepted event by profile and writes a refusal as a dead letter", () => {
    const { accepted, refused } = judgeBatch(
      [
        { event_name: "view", event_id: "evt-1", profile_id: "ann" },
        { event_name: "view", event_id: "bad id!" },
      ],
      "event",
      context(plan("observe")),
    );
    expect(rawRecordOf(accepted[0]!.record, "trace-1")).toMatchObject({ topic: TOPIC.raw, key: "proj_1:ann", headers: { trace_id: "trace-1", kind: "event" } });
    const letter = deadLetterOf("proj_1", refused[0]!, NOW, "trace-1");
    expect(letter).toMatchObject({ topic: TOPIC.dlq, key: "proj_1", headers: { reason: "malformed" } });
    expect(JSON.parse(letter.value)).toEqual({
      project_id: "proj_1",
      received_at: NOW,
      reason: "malformed",
      violations: refused[0]!.violations,
      payload: { event_name: "view", event_id: "bad id!" },
    });
  });
});
